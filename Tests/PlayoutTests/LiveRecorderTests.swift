import Foundation
import Realtime
import MP3
import Production
import Playout
import RegieModel
import Testing
import TestSupport
import Synchronization

private let mutagenChapters = #"""
import sys, json
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
t = ID3(sys.argv[1], translate=False)
print(json.dumps({
  "title": str(t["TIT2"].text[0]) if "TIT2" in t else None,
  "album": str(t["TALB"].text[0]) if "TALB" in t else None,
  "track": str(t["TRCK"].text[0]) if "TRCK" in t else None,
  "apic": len(t.getall("APIC")),
  "chapters": [{"title": str(c.sub_frames["TIT2"].text[0]), "start": c.start_time, "end": c.end_time}
               for c in t.getall("CHAP")],
  "length": MP3(sys.argv[1]).info.length}))
"""#

/// Reads progress lines ("fed F written W durable D file P") from a probe until `until` is true.
private func readProgress(_ probe: RunningProgram, until: (Int64, Int64, Int64) -> Bool) -> (fed: Int64, written: Int64, durable: Int64, file: String, text: String) {
    var state: (Int64, Int64, Int64, String) = (0, 0, 0, "")
    let all = probe.waitForOutput { text in
        // Complete lines only: the last may still be arriving.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let words = line.split(separator: " ")
            if words.count == 8, words[0] == "fed", let f = Int64(words[1]), let w = Int64(words[3]), let d = Int64(words[5]) {
                state = (f, w, d, String(words[7]))
            }
        }
        return until(state.0, state.1, state.2)
    }
    return (state.0, state.1, state.2, state.3, all)
}

@Suite("LiveRecorder (ring → LAME → crash-safe MP3)")
struct LiveRecorderTests {
    @Test("fed by a producer thread in real time-ish, the finished file decodes to exactly the frames fed")
    func exactFrames() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 48000
        var tag = ID3v2Tag()
        tag.title = "Live"
        let recorder = try LiveRecorder(source: .program, folder: dir.appendingPathComponent("out"), baseName: "012-live",
                                        sampleRate: rate, tag: tag, ringSeconds: 2)
        #expect(recorder.failure == nil)
        #expect(recorder.url?.lastPathComponent == "012-live-program.mp3")
        recorder.start()
        let frames = 6 * rate + 123
        let (refused, input) = produce(into: recorder.feed, frames: frames, rate: rate, block: 480, speed: 6)
        #expect(recorder.feed.framesOffered.load(ordering: .relaxed) == Int64(frames))
        tag.chapters = [Chapter(title: "All of it", startMs: 0, endMs: 6003)]
        let summary = try #require(try recorder.finish(tag: tag))
        #expect(summary.file.frames == Int64(frames))
        let status = recorder.status.load()
        #expect(status.state == .finished)
        #expect(status.framesWritten == Int64(frames))
        #expect(status.overruns == Int64(refused))
        #expect(status.errorCode == 0)
        #expect(status.bytesWritten > 0)

        let (decoded, err) = try decodeWithFFmpegReportingErrors(summary.url)
        #expect(err.isEmpty, "ffmpeg: \(err)")
        #expect(decoded.count == input.count, "decoded \(decoded.count / 2) frames, fed \(frames)")
        // The audio is the tone that was fed (MP3 is lossy: compare by error energy, not bits).
        var errorEnergy = 0.0, energy = 0.0
        for i in 4800..<min(decoded.count, input.count) - 4800 {
            errorEnergy += Double((decoded[i] - input[i]) * (decoded[i] - input[i]))
            energy += Double(input[i] * input[i])
        }
        #expect(errorEnergy / energy < 0.01, "SNR too low: \(10 * log10(energy / errorEnergy)) dB")
        let m = try #require(pythonJSON(mutagenChapters, [summary.url.path], interpreter: systemPython) as? [String: Any])
        #expect(m["title"] as? String == "Live")
        #expect((m["chapters"] as? [[String: Any]])?.first?["title"] as? String == "All of it")
        #expect(FileManager.default.fileExists(atPath: summary.chaptersURL.path))
        #expect(summary.integratedLoudness.map { $0 > -20 && $0 < -5 } == true)
    }

    @Test("a stalled consumer: the producer's offers fail whole, are counted, and never block")
    func overrunCounting() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 44100
        let recorder = try LiveRecorder(source: .capture, folder: dir, baseName: "ep", sampleRate: rate, tag: ID3v2Tag(),
                                        ringSeconds: 0.5)
        // Not started: nobody drains. 0.5 s = 22050 frames = exactly 50 blocks of 441.
        let block = sineInterleaved(frames: 441, rate: rate)
        var accepted = 0
        block.withUnsafeBufferPointer { b in
            for _ in 0..<120 where recorder.feed.offer(b) { accepted += 1 }
        }
        #expect(accepted == 50)
        #expect(recorder.feed.overruns.load(ordering: .relaxed) == 70)
        #expect(recorder.feed.overrunFrames.load(ordering: .relaxed) == 70 * 441)
        recorder.start()
        let summary = try #require(try recorder.finish(tag: ID3v2Tag()))
        #expect(summary.url.lastPathComponent == "ep-capture.mp3")
        #expect(summary.file.frames == 50 * 441)
        #expect(recorder.status.load().overruns == 70)
        #expect(recorder.status.load().overrunFrames == 70 * 441)
        #expect(try ffprobeDecodedFrames(summary.url) == 50 * 441)
    }

    @Test("an unwritable folder: error state from the start, the ring keeps draining, the producer is never held")
    func unwritableFolder() throws {
        // Root can write almost anywhere; /proc refuses everyone. With mount rights, a read-only
        // bind mount (EROFS) too.
        var folders = [URL(fileURLWithPath: "/proc/self/regie-recordings")]
        let scratch = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: scratch) }
        var mounted: URL?
        if canMount {
            let ro = scratch.appendingPathComponent("ro")
            try FileManager.default.createDirectory(at: ro, withIntermediateDirectories: true)
            if try run("mount", ["--bind", "-o", "ro", ro.path, ro.path]).status == 0 {
                mounted = ro
                folders.append(ro)
            }
        }
        defer { if let mounted { _ = try? run("umount", [mounted.path]) } }

        for folder in folders {
            let rate = 44100
            let recorder = try LiveRecorder(source: .program, folder: folder, baseName: "ep", sampleRate: rate,
                                            tag: ID3v2Tag(), ringSeconds: 0.25)
            #expect(recorder.url == nil)
            #expect(recorder.failure != nil)
            #expect(recorder.status.load().state == .failed)
            #expect(recorder.status.load().errorCode != 0)
            recorder.start()
            // 2 s through a 0.25 s ring: only possible because the failed recorder keeps draining.
            let frames = 2 * rate
            _ = produce(into: recorder.feed, frames: frames, rate: rate, speed: 10)
            #expect(try recorder.finish(tag: ID3v2Tag()) == nil)
            let s = recorder.status.load()
            #expect(s.framesDropped == Int64(frames))
            #expect(s.framesReceived == Int64(frames))
            #expect(s.framesWritten == 0)
            #expect(s.state == .failed)
            if folder == mounted { #expect(s.errorCode == EROFS) }
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("ro/ep-program.mp3").path))
    }

    @Test("a full disk mid-show: error state (ENOSPC), audio dropped, producer never held, the part written plays",
          .enabled(if: canMount))
    func fullDisk() throws {
        let scratch = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: scratch) }
        let full = scratch.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try #require(try run("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", full.path]).status == 0)
        defer { _ = try? run("umount", [full.path]) }
        let rate = 44100
        let reported = LockedCounter()
        let recorder = try LiveRecorder(source: .program, folder: full, baseName: "ep", sampleRate: rate, tag: ID3v2Tag(),
                                        ringSeconds: 1, syncInterval: 0.5) { error, status in
            if case .io(_, _, ENOSPC) = error, status.state == .failed { reported.add() }
        }
        #expect(recorder.failure == nil)
        recorder.start()
        // 256 KiB holds ~12 s at 128 kb/s after the 64 KiB tag reserve; feed 40 s.
        let frames = 40 * rate
        _ = produce(into: recorder.feed, frames: frames, rate: rate, block: 1024, speed: 40)
        #expect(try recorder.finish(tag: ID3v2Tag()) == nil)
        let s = recorder.status.load()
        #expect(s.state == .failed)
        #expect(s.errorCode == ENOSPC)
        #expect(s.framesReceived == Int64(frames))
        #expect(s.framesWritten + s.framesDropped >= Int64(frames))
        #expect(s.framesDropped > 0)
        #expect(reported.value == 1, "the failure callback (the session's alarm) runs once")
        if case .io(_, _, let code)? = recorder.failure { #expect(code == ENOSPC) } else { Issue.record("failure \(String(describing: recorder.failure))") }
        // What reached the disk before it filled still plays.
        let url = try #require(recorder.url)
        let decoded = try decodeWithFFmpeg(url)
        #expect(decoded.count / 2 > 5 * rate, "only \(decoded.count / 2) frames survived")
        // No more than was encoded, give or take the frames LAME holds back (its delay, the
        // bit reservoir, and a frame cut short by the full disk that decoders still play out).
        #expect(Int64(decoded.count / 2) <= s.framesWritten + 4 * 1152)
    }

    @Test("kill -9 while recording live: the partial MP3 decodes to within seconds of what was fed; a second recording gets -2")
    func killDuringLiveRecording() throws {
        let probe = TestSupport.productsDirectory.appendingPathComponent("recorder-crash-probe")
        try #require(FileManager.default.isExecutableFile(atPath: probe.path), "missing \(probe.path)")
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 44100

        let p = try RunningProgram(probe.path, ["live", dir.path, "012-show", "120", "\(rate)", "1"])
        let progress = readProgress(p) { fed, _, durable in fed >= 4 * Int64(rate) && durable > 0 }
        p.send(SIGKILL)
        let ended = p.wait()
        #expect(ended.signalled && ended.status == SIGKILL)
        #expect(progress.fed >= 4 * Int64(rate), "probe said: \(progress.text)")
        let first = dir.appendingPathComponent("012-show-program.mp3")
        #expect(progress.file == first.path)

        let (decoded, err) = try decodeWithFFmpegReportingErrors(first)
        #expect(err.isEmpty, "ffmpeg: \(err)")
        let frames = Int64(decoded.count / 2)
        #expect(frames >= progress.durable)
        // At most what was fed by the time of the kill (plus the codec's delay, no info frame)…
        #expect(frames <= progress.fed + Int64(rate) / 10 + 2 * 1152 + 2000)
        // …and no more than a few seconds short of it.
        #expect(progress.fed - frames < 4 * Int64(rate), "lost \(Double(progress.fed - frames) / Double(rate)) s")
        let firstBytes = try Data(contentsOf: first)

        // The same show again: a new file, the crashed one untouched.
        let again = try run(probe.path, ["live", dir.path, "012-show", "1", "\(rate)", "8"])
        #expect(again.status == 0, "second run: \(again.stdout) \(again.stderr)")
        #expect(again.stdout.contains("finished \(rate)"), "\(again.stdout)")
        let second = dir.appendingPathComponent("012-show-program-2.mp3")
        #expect(try ffprobeDecodedFrames(second) == rate)
        #expect(try Data(contentsOf: first) == firstBytes)
    }
}

@Suite("Render-thread side of the recorder")
struct RenderSideTests {
    @Test("offer never allocates, full ring or not")
    func renderSideDoesNotAllocate() throws {
        let feed = RecorderFeed(frames: 1000)
        let block = [Float](repeating: 0.25, count: 2 * 256)
        var results: [Bool] = []
        results.reserveCapacity(16)
        let count = block.withUnsafeBufferPointer { b -> Int in
            Allocations.count {
                for _ in 0..<8 { results.append(feed.offer(b)) }
            }
        }
        #expect(count == 0, "\(count) allocations on the render side")
        #expect(results == [true, true, true, false, false, false, false, false])
        #expect(feed.overruns.load(ordering: .relaxed) == 5)
    }
}
