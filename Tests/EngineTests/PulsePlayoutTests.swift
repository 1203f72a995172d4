import Engine
import Foundation
import Testing
import TestSupport

/// `regie play --auto --device pulse` against a private PulseAudio server with a null sink: ALSA's
/// `pulse` device (libasound2-plugins) reaches the server, the sink paces the playout like a
/// sound card, and what the sink played (its monitor, recorded by `parec`) is the offline render
/// of the same plan, bit for bit.
@Suite struct PulsePlayoutTests {
    @Test func automationThroughALSAsPulseDeviceReachesTheSinkBitExact() throws {
        let pulse = try PulseAudioServer.start()
        defer { pulse.stop() }
        let show = try TestShow(extra: "crossfade: 0.25")
        defer { try? FileManager.default.removeItem(at: show.root) }
        // Sweeps: no two stretches alike, so a frame found out of place could not pass for another.
        func sweep(seconds: Double, rate: Int, from f0: Double, to f1: Double, level: Double) -> [Float] {
            let n = Int(seconds * Double(rate))
            var phase = 0.0
            return (0..<n).map { i in
                phase += 2 * Double.pi * (f0 + (f1 - f0) * Double(i) / Double(n)) / Double(rate)
                return Float(level * sin(phase))
            }
        }
        try show.writeAudio("jingles/up.wav", samples: sweep(seconds: 1, rate: 44100, from: 300, to: 1200, level: 0.4), sampleRate: 44100)
        try show.writeAudio("audio/voice.flac", samples: sweep(seconds: 2, rate: 48000, from: 200, to: 2000, level: 0.3), sampleRate: 48000)
        try show.writeAudio("jingles/down.wav", samples: sweep(seconds: 1, rate: 44100, from: 1500, to: 400, level: 0.4), sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 2
            title: Pulse
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 3.5
            items:
              - jingle: up
              - segment: audio/voice.flac
                title: Voice
              - jingle: down
            """)

        let monitor = try pulse.recordMonitor(to: show.root.appendingPathComponent("monitor.raw"))
        // Periods of 20 ms × 8: room for a loaded machine (this is not the latency test).
        let result = try run(TestSupport.regie.path, ["play", "--auto", rundown.path, "--device", "pulse",
                                                                  "--period-ms", "20", "--periods", "8",
                                                                  "--record", "none", "--no-publish",
                                                                  "--out", show.root.appendingPathComponent("recordings").path],
                                         environment: pulse.environment)
        // The sink plays what is queued in real time; parec writes every 20 ms.
        Thread.sleep(forTimeInterval: 1)
        let recorded = try monitor.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("on pulse"), "\(result.stderr)")
        #expect(!result.stderr.contains("paced by the clock"), "pulse paces the playout itself")
        #expect(result.stdout.contains("Played 0:03.500 (planned 0:03.500)"), "\(result.stdout)")

        let program = try SchedulingTests.program(rundown)
        let offline = try SchedulingTests.render(program, cache: LoudnessCache(showDirectory: show.directory.path))
        #expect(offline.count == 2 * 154_350)
        let match = StreamMatch(reference: offline, recorded: recorded)
        let xruns = result.stdout.firstMatch(of: /xruns (\d+)/).flatMap { Int($0.1) }
        #expect(xruns != nil, "\(result.stdout)")
        // Every frame of the programme reached the sink, unaltered and in order. Silence the
        // server inserted (it plays on when a client is late) is allowed; frames dropped only
        // where regie itself counted an xrun.
        #expect(match.mismatchAt == nil, "\(match)")
        #expect(match.matchedFrames + match.lostFrames == match.referenceFrames, "\(match)")
        if xruns == 0 {
            #expect(match.isComplete, "\(match)")
        } else {
            #expect(match.lostFrames < match.referenceFrames / 4, "\(match); \(result.stdout)")
        }
    }
}

/// The matcher the PulseAudio test relies on, on made-up recordings: what it forgives (silence a
/// paced server inserted, frames lost across an xrun) and what it does not (other content, a
/// recording cut short).
@Suite struct StreamMatchTests {
    /// Stereo frames with distinct values (a sweep on the left, its negative × 0.5 on the right).
    static let reference: [Float] = (0..<5000).flatMap { i -> [Float] in
        let v = Float(sin(Double(i) * Double(i) * 1e-5) * 0.5) + 1e-4
        return [v, -0.5 * v]
    }
    static func silence(_ frames: Int) -> [Float] { [Float](repeating: 0, count: frames * 2) }
    static func frames(_ range: Range<Int>) -> [Float] { Array(reference[(range.lowerBound * 2)..<(range.upperBound * 2)]) }

    @Test func exactRecordingAfterLeadingSilence() {
        let match = StreamMatch(reference: Self.reference, recorded: Self.silence(700) + Self.reference + Self.silence(50))
        #expect(match.isComplete && match.offset == 700 && match.insertedRuns == 0, "\(match)")
    }

    @Test func insertedSilenceIsCountedAndForgiven() {
        let recorded = Self.silence(10) + Self.frames(0..<2000) + Self.silence(333) + Self.frames(2000..<5000)
        let match = StreamMatch(reference: Self.reference, recorded: recorded)
        #expect(match.isComplete && match.insertedRuns == 1 && match.insertedFrames == 333, "\(match)")
    }

    @Test func lostFramesAreCountedNotMatched() {
        let recorded = Self.silence(10) + Self.frames(0..<2000) + Self.silence(40) + Self.frames(2600..<5000)
        let match = StreamMatch(reference: Self.reference, recorded: recorded)
        #expect(!match.isComplete && match.mismatchAt == nil, "\(match)")
        #expect(match.lostFrames == 600 && match.insertedFrames == 40 && match.matchedFrames == 4400, "\(match)")
    }

    @Test func otherContentOrAShortRecordingFails() {
        var changed = Self.silence(10) + Self.reference
        changed[2 * 3010 + 1] = changed[2 * 3010 + 1].nextUp   // one ulp, one channel, one frame
        let altered = StreamMatch(reference: Self.reference, recorded: changed)
        #expect(altered.mismatchAt == 3000, "\(altered)")
        let short = StreamMatch(reference: Self.reference, recorded: Self.silence(10) + Self.frames(0..<4000))
        #expect(!short.isComplete && short.matchedFrames == 4000 && short.lostFrames == 1000, "\(short)")
    }
}
