import Foundation
import MP3
import Production
import Playout
import Testing
import TestSupport

/// `regie play --auto` through the real binary: the capture recorder against an ALSA `file`
/// plugin reading a prepared input, and crash safety (`kill -9` mid-show, then a second run).
@Suite struct PlayCommandTests {
    static let rate = 44100

    /// A show whose rundown is one segment of a quiet, slowly modulated tone lasting `seconds`.
    static func toneShow(seconds: Int, episode: Int, title: String) throws -> (TestShow, URL) {
        let show = try TestShow()
        let sourceRate = 8000
        let tone = (0..<(seconds * sourceRate)).map { i -> Float in
            let t = Double(i) / Double(sourceRate)
            return Float(0.2 * sin(2 * Double.pi * 220 * t) * (0.6 + 0.4 * sin(2 * Double.pi * 0.5 * t)))
        }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: sourceRate)
        let rundown = try show.writeRundown("""
            episode: \(episode)
            title: \(title)
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: \(seconds)
            items:
              - segment: audio/talk.wav
                title: Talk
            """)
        return (show, rundown)
    }

    /// Encodes interleaved stereo with the writer and settings `LiveRecorder` uses (crash-safe
    /// file, show bitrate, quality 2, the recorder's 4608-frame chunks) and decodes it with ffmpeg.
    static func encodeLikeTheRecorder(_ samples: [Float], to url: URL) throws -> [Float] {
        let writer = try MP3FileWriter(url: url, mode: .crashSafe(syncInterval: 2), sampleRate: rate, bitrateKbps: 128,
                                       quality: 2, tag: ID3v2Tag())
        try samples.withUnsafeBufferPointer { buffer in
            var frame = 0
            let frames = buffer.count / 2
            while frame < frames {
                let n = min(4608, frames - frame)
                try writer.write(interleaved: buffer.baseAddress! + frame * 2, frames: n)
                frame += n
            }
        }
        _ = try writer.finish()
        return try decodeWithFFmpeg(url)
    }

    /// The issue's "capture recording from an ALSA file plugin with infile, bit-exact before
    /// encoding". The recorder writes MP3 only (no PCM tap), so the check is: the capture MP3
    /// decodes to exactly the samples that encoding the first N input frames through the
    /// project's own MP3 path decodes to (LAME is deterministic: same input frames, same MP3).
    /// A frame missing, repeated, converted or reordered before the encoder changes the MP3;
    /// the controls below show how fine the comparison is.
    ///
    /// The `file` plugin's slave is the PulseAudio null sink's monitor: it paces the capture like
    /// a sound card (a `null` slave is not paced: the capture thread would read the whole file at
    /// once and overrun the recorder's ring), and the plugin overwrites every frame it returns
    /// with the next frames of `infile`, bit-exact.
    @Test func captureRecordingIsTheALSAInputBeforeEncoding() throws {
        let pulse = try PulseAudioServer.start()
        defer { pulse.stop() }
        let (show, rundown) = try Self.toneShow(seconds: 3, episode: 4, title: "Desk return")
        defer { try? FileManager.default.removeItem(at: show.root) }

        // The desk's return: 8 s (more than the show, so the input never runs out), stereo Float32,
        // tones and noise with values no 16-bit path would keep.
        let frames = 8 * Self.rate
        var input = [Float](repeating: 0, count: frames * 2)
        var seed: UInt32 = 0x5EED
        for f in 0..<frames {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let noise = Float(Int32(bitPattern: seed)) / Float(Int32.max) * 0.05
            let t = Double(f) / Double(Self.rate)
            input[2 * f] = Float(0.4 * sin(2 * Double.pi * 330 * t + 3 * sin(2 * Double.pi * 0.7 * t))) + noise
            input[2 * f + 1] = Float(0.3 * sin(2 * Double.pi * 523 * t)) * (f % Self.rate < Self.rate / 2 ? 1 : 0.5) - noise
        }
        let infile = show.root.appendingPathComponent("return.raw")
        try input.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: infile)
        let conf = show.root.appendingPathComponent("asound.conf")
        try """
        pcm.regie_return {
            type file
            slave.pcm "pulse"
            file "\(show.root.appendingPathComponent("capture-copy.raw").path)"
            infile "\(infile.path)"
            format "raw"
        }
        """.write(to: conf, atomically: true, encoding: .utf8)

        let out = show.root.appendingPathComponent("recordings")
        var environment = pulse.environment
        environment["ALSA_CONFIG_PATH"] = "/usr/share/alsa/alsa.conf:\(conf.path)"
        let result = try run(TestSupport.regie.path, ["play", "--auto", rundown.path, "--device", "null",
                                                                  "--record", "capture", "--capture", "regie_return",
                                                                  "--quality", "2",   // as encodeLikeTheRecorder (also checks the option)
                                                                  "--no-publish", "--out", out.path],
                                         environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let recording = out.appendingPathComponent("004-desk-return-capture.mp3")
        #expect(result.stdout.contains("recorded \(recording.path)"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("004-desk-return-program.mp3").path))

        let decoded = try decodeWithFFmpeg(recording)
        let captured = decoded.count / 2
        // The capture runs for the show (3 s) from just before its first period to just after its last.
        #expect(captured >= Self.rate * 3 / 2 && captured <= frames, "\(captured) frames captured")
        guard captured > 0, captured <= frames else { return }
        let expected = try Self.encodeLikeTheRecorder(Array(input[0..<(captured * 2)]),
                                                      to: show.root.appendingPathComponent("expected.mp3"))
        #expect(expected.count == decoded.count)
        let firstDifference = zip(decoded, expected).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }?.offset
        #expect(firstDifference == nil, "the capture recording differs from the input from frame \((firstDifference ?? 0) / 2)")

        // Controls: what the comparison sees. The same input one frame later, or rounded to 16
        // bits (a capture path through S16), gives another recording. (Measured while writing
        // this test: so do a gain of 0.9999, one sample changed by one 16-bit step, one frame
        // dropped or one frame's channels swapped; a change of one float ulp in one sample does not.)
        let shifted = try Self.encodeLikeTheRecorder(Array(input[2..<(captured * 2 + 2)]),
                                                     to: show.root.appendingPathComponent("shifted.mp3"))
        #expect(shifted.map(\.bitPattern) != decoded.map(\.bitPattern))
        let sixteenBit = try Self.encodeLikeTheRecorder(input[0..<(captured * 2)].map { ($0 * 32768).rounded() / 32768 },
                                                        to: show.root.appendingPathComponent("16-bit.mp3"))
        #expect(sixteenBit.map(\.bitPattern) != decoded.map(\.bitPattern))
    }

    /// Crash safety through the real `regie play`: `kill -9` six seconds into a clock-paced show
    /// leaves an MP3 that decodes to within a few seconds of the time it played; a second run of
    /// the same rundown writes `-2` and leaves the first file byte for byte as it was.
    @Test func killMinus9LeavesAPlayableRecordingAndASecondRunWritesANewFile() throws {
        let (show, rundown) = try Self.toneShow(seconds: 30, episode: 5, title: "Crash")
        defer { try? FileManager.default.removeItem(at: show.root) }
        let out = show.root.appendingPathComponent("recordings")
        let arguments = ["play", "--auto", rundown.path, "--device", "null", "--record", "program", "--no-publish", "--out", out.path]
        let firstFile = out.appendingPathComponent("005-crash-program.mp3")
        let secondFile = out.appendingPathComponent("005-crash-program-2.mp3")

        let first = try RunningProgram(TestSupport.regie.path, arguments)
        // The recorder starts on the line after this one, right before the first period.
        try #require(first.waitFor("Recording program to \(firstFile.path)"), "\(first.stderr)")
        let started = Date()
        Thread.sleep(forTimeInterval: 6)
        first.send(SIGKILL)
        let elapsed = Date().timeIntervalSince(started)
        let end = first.wait()
        #expect(end.signalled && end.status == SIGKILL)

        let probe = try run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", firstFile.path])
        #expect(probe.status == 0, "\(probe.stderr)")
        let probed = Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let decoded = Double(try decodedFrameCount(firstFile)) / Double(Self.rate)
        // No more than was played (plus the encoder's delay: no info frame after a crash), and
        // at most a few seconds less: the writer makes its data durable every 2 s.
        for (what, seconds) in [("decoded", decoded), ("ffprobe", probed)] {
            #expect(seconds <= elapsed + 0.5 && seconds >= elapsed - 4.5,
                    "\(what): \(seconds) s recorded after \(elapsed) s of playing")
        }
        let firstBytes = try Data(contentsOf: firstFile)

        // The same rundown again: a new file; stopped by SIGINT, it is finalised.
        let second = try RunningProgram(TestSupport.regie.path, arguments)
        try #require(second.waitFor("Recording program to \(secondFile.path)"), "\(second.stderr)")
        Thread.sleep(forTimeInterval: 1.5)
        second.send(SIGINT)
        let secondEnd = second.wait(timeout: 30)
        #expect(!secondEnd.signalled && secondEnd.status == 130, "\(second.stdout) \(second.stderr)")
        #expect(second.stdout.contains("recorded \(secondFile.path)"), "\(second.stdout)")
        let secondSeconds = Double(try decodedFrameCount(secondFile)) / Double(Self.rate)
        #expect(secondSeconds >= 0.5 && secondSeconds < 10, "\(secondSeconds) s in the second file")
        #expect(try Data(contentsOf: firstFile) == firstBytes, "the crashed recording was modified")

        // Each run has its own as-run log: the first cut short by the crash, the second whole.
        let firstLog = try String(contentsOf: out.appendingPathComponent("005-crash.asrun.jsonl"), encoding: .utf8)
        let again = try String(contentsOf: out.appendingPathComponent("005-crash-2.asrun.jsonl"), encoding: .utf8)
        #expect(firstLog.contains("\"event\":\"item_started\"") && !firstLog.contains("\"event\":\"show_ended\""))
        #expect(again.components(separatedBy: "\"event\":\"show_ended\"").count - 1 == 1)
        // The second run told the person at the desk about the first, and logged it.
        #expect(second.stderr.contains("an earlier run of this episode was cut short (killed or crashed)")
                && second.stderr.contains("005-crash.asrun.jsonl, 005-crash-program.mp3 kept as it left them, not published"),
                "\(second.stderr)")
        #expect(again.contains("\"alarm\":\"earlier_run_cut_short\""))
    }
}
