import Realtime
import Foundation
import Recorder
import RegieModel
import Testing

/// One item of a test plan: kind, title, artist (music), seconds.
struct TestItem {
    var kind: Item.Kind
    var title: String
    var artist: String? = nil
    var seconds: Int = 10
}

/// A plan built through the real planner from items with made-up audio facts (no files are
/// opened), for a show whose artwork is a real PNG in `dir`.
func makePlan(in dir: URL, rate: Int = 44100, items: [TestItem], carts: [(String, String)] = [],
              episode: Int = 12, title: String = "Winter on campus") throws -> Plan {
    let artwork = dir.appendingPathComponent("artwork.png")
    if !FileManager.default.fileExists(atPath: artwork.path) {
        let r = try run("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64",
                                   "-frames:v", "1", "-y", artwork.path])
        #expect(r.status == 0, "ffmpeg artwork: \(r.stderr)")
    }
    let location = SourceLocation(file: dir.appendingPathComponent("2026-12-03.yaml").path, line: 1, column: 1)
    let show = Show(directory: dir.appendingPathComponent("campus-magazine").path, file: "show.yaml",
                    title: "Campus Magazine", description: "The monthly magazine.", author: "Campus Radio",
                    language: "en", category: "Society & Culture/Documentary", explicit: false,
                    artwork: artwork.path, link: "https://radio.example.org/campus",
                    baseURL: "https://radio.example.org/podcasts/campus/",
                    owner: .init(name: "Jo Producer", email: "jo@example.org"), sampleRate: rate,
                    jinglesDirectory: dir.path,
                    carts: carts.map { Show.Cart(key: $0.0, jingle: dir.appendingPathComponent("\($0.1).wav").path,
                                                 title: $0.1, location: location) })
    var audio: [String: AudioSourceInfo] = [:]
    let rundownItems: [Item] = items.enumerated().map { index, t in
        var item = Item(index: index, kind: t.kind, value: t.kind == .live ? t.title : "audio/\(index).wav",
                        location: location)
        if t.kind == .live {
            item.planned = Timecode(seconds: Int64(t.seconds))
        } else {
            let path = dir.appendingPathComponent("audio/\(index).wav").path
            item.audioPath = path
            item.title = t.kind == .jingle ? nil : t.title
            if t.kind == .jingle { item.value = t.title }
            item.artist = t.artist
            audio[path] = AudioSourceInfo(frames: Int64(t.seconds * rate), sampleRate: rate, channels: 2, format: "WAV")
        }
        return item
    }
    let total = items.reduce(0) { $0 + $1.seconds }
    let rundown = Rundown(file: location.file, show: show, episode: episode, title: title,
                          description: "Interviews and music.", air: AirTime(iso8601: "2026-12-03T18:00:00+01:00")!,
                          slot: Timecode(seconds: Int64(total)), crossfade: nil, items: rundownItems, locations: [:])
    let result = Planner.plan(rundown, audio: audio)
    return try #require(result.plan, "\(result.diagnostics)")
}

/// Runs a Python script over a file and returns its JSON output.
func pythonJSON(_ script: String, _ args: [String]) throws -> Any {
    try python(script, args)
}

/// Integrated loudness and true peak as ffmpeg's ebur128 filter reads them.
func ffmpegLoudness(_ url: URL) throws -> (integrated: Double, truePeak: Double) {
    let r = try run("ffmpeg", ["-nostdin", "-nostats", "-i", url.path, "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-"])
    #expect(r.status == 0, "ffmpeg: \(r.stderr)")
    let summary = try #require(r.stderr.components(separatedBy: "Summary:").last)
    let integrated = try #require(summary.firstMatch(of: /I:\s+(-?[0-9.]+) LUFS/).flatMap { Double($0.1) })
    let peak = try #require(summary.firstMatch(of: /Peak:\s+(-?[0-9.]+) dBFS/).flatMap { Double($0.1) })
    return (integrated, peak)
}

/// Whether this process may mount file systems (root with CAP_SYS_ADMIN): tmpfs and read-only
/// bind mounts make disk errors that really happen even to root.
let canMount: Bool = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("regie-mount-check-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    guard (try? run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path]))?.status == 0 else { return false }
    _ = try? run("umount", [dir.path])
    return true
}()

/// Feeds `frames` frames of a 440 Hz tone into `feed` in blocks of `block` frames from a producer
/// thread, pacing itself at `speed` × real time and retrying a block the ring refuses after a
/// short sleep (a test producer may wait; the render thread would count and drop). Returns when done.
func produce(into feed: RecorderFeed, frames: Int, rate: Int, block: Int = 441, speed: Double = 8,
             retry: Bool = true) -> (refused: Int, samples: [Float]) {
    let samples = sineInterleaved(frames: frames, rate: rate)
    let done = DispatchSemaphore(value: 0)
    let refused = LockedCounter()
    let t = Thread {
        let start = DispatchTime.now().uptimeNanoseconds
        samples.withUnsafeBufferPointer { buf in
            var frame = 0
            while frame < frames {
                let n = min(block, frames - frame)
                let ok = feed.offer(UnsafeBufferPointer(rebasing: buf[(2 * frame)..<(2 * (frame + n))]))
                if !ok {
                    refused.add()
                    if retry { usleep(2000); continue }
                }
                frame += n
                let due = start + UInt64(Double(frame) / Double(rate) / speed * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(useconds_t((due - now) / 1000)) }
            }
        }
        done.signal()
    }
    t.start()
    done.wait()
    return (refused.value, samples)
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
