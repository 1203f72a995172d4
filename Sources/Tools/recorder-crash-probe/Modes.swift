import Foundation
import MP3
import Playout
import Production
import Realtime
import Support
import Synchronization

/// Line-at-a-time output (the test reads the pipe while we run).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// `live <folder> <base> [seconds] [rate] [speed]`: a LiveRecorder fed by a synthetic producer.
func runLive(_ a: [String]) -> Never {
    guard a.count >= 2 else { say("usage: live FOLDER BASE [seconds] [rate] [speed]"); exit(2) }
    let seconds = a.count > 2 ? Double(a[2]) ?? 60 : 60
    let rate = a.count > 3 ? Int(a[3]) ?? 44100 : 44100
    let speed = a.count > 4 ? Double(a[4]) ?? 1 : 1
    var tag = ID3v2Tag()
    tag.title = "Live crash probe"
    let recorder: LiveRecorder
    do {
        recorder = try LiveRecorder(source: .program, folder: URL(fileURLWithPath: a[0]), baseName: a[1],
                                    sampleRate: rate, tag: tag, ringSeconds: 4, syncInterval: 1)
    } catch {
        say("error \(error)"); exit(1)
    }
    if let failure = recorder.failure { say("error \(failure)"); exit(1) }
    recorder.start()
    let fed = Atomic<Int64>(0)
    let total = Int64(seconds * Double(rate))
    // The producer: 10 ms blocks paced by the monotonic clock, like a render thread.
    let producer = Thread {
        let block = rate / 100
        var samples = [Float](repeating: 0, count: block * 2)
        var frame: Int64 = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while frame < total {
            for i in 0..<block {
                let v = Float(0.5 * sin(2 * Double.pi * 440 * Double(frame + Int64(i)) / Double(rate)))
                samples[2 * i] = v
                samples[2 * i + 1] = v
            }
            samples.withUnsafeBufferPointer { _ = recorder.feed.offer($0) }
            frame += Int64(block)
            fed.store(frame, ordering: .relaxed)
            let due = start + UInt64(Double(frame) / Double(rate) / speed * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { usleep(useconds_t((due - now) / 1000)) }
        }
    }
    producer.start()
    while fed.load(ordering: .relaxed) < total {
        usleep(100_000)
        let s = recorder.status.load()
        say("fed \(fed.load(ordering: .relaxed)) written \(s.framesWritten) durable \(s.framesDurable) file \(recorder.url?.path ?? "-")")
    }
    do {
        let summary = try recorder.finish(tag: tag)
        say("finished \(summary?.file.frames ?? -1)")
    } catch {
        say("error \(error)"); exit(1)
    }
    exit(0)
}

/// `asrun <log> <events>`: N events logged as the live show logs them, then wait to be killed.
func runAsRun(_ a: [String]) -> Never {
    guard a.count >= 2, let n = Int(a[1]) else { say("usage: asrun LOG EVENTS"); exit(2) }
    let catalog = AsRunCatalog(show: "Probe Show", episode: 7, episodeTitle: "Crash", sampleRate: 48000,
                               items: [.init(kind: "music", title: "Song \"one\"", artist: "Band", file: "/a.flac"),
                                       .init(kind: "segment", title: "Talk")])
    let writer: AsRunLogWriter
    do { writer = try AsRunLogWriter(url: URL(fileURLWithPath: a[0]), catalog: catalog) } catch {
        say("error \(error)"); exit(1)
    }
    writer.start(interval: 0.005)
    let producer = Thread {
        for i in 0..<n {
            let e = AsRunEvent(i % 2 == 0 ? .itemStarted : .itemEnded, position: Int64(i) * 48000, item: Int32(i % 2),
                               wallNanoseconds: WallClock.nanoseconds())
            writer.log(e)
        }
    }
    producer.start()
    while writer.linesWritten < n + 1 { usleep(1000) }
    say("logged \(n)")
    while true { sleep(60) }
}
