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
        let result = try TestSupport.run(TestSupport.regie.path, ["play", "--auto", rundown.path, "--device", "pulse",
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
