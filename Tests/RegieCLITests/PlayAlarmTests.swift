import Foundation
import Testing
import TestSupport

/// `regie play` on air when a file goes missing after the check: the show goes on (silence where
/// the file was), and the as-run log carries the alarms: the unreadable file, then silence on
/// the programme for more than ten seconds.
@Suite struct PlayAlarmTests {
    @Test func aFileDeletedOnAirPlaysAsSilenceWithAlarmsAndTheShowGoesOn() throws {
        let show = try TestShow()
        let rate = 44100
        func tone(_ seconds: Int, _ frequency: Double) -> [Float] {
            (0..<(seconds * rate)).map { Float(0.1 * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
        }
        try show.writeAudio("audio/a.wav", samples: tone(11, 330), sampleRate: rate)
        try show.writeAudio("audio/b.wav", samples: tone(1, 440), sampleRate: rate)
        let doomed = try show.writeAudio("audio/d.wav", samples: tone(11, 550), sampleRate: rate)
        let rundown = try show.writeRundown("""
            episode: 7
            title: Alarms
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 25
            items:
              - segment: audio/a.wav
                title: A
              - segment: audio/b.wav
                title: B
              - segment: audio/b.wav
                title: C
              - segment: audio/b.wav
                title: E
              - segment: audio/d.wav
                title: D
            """)
        let out = show.root.appendingPathComponent("recordings")
        let log = out.appendingPathComponent("007-alarms.asrun.jsonl")
        let process = try RunningProgram(TestSupport.regie.path, ["play", "--auto", rundown.path, "--device", "null",
                                                                  "--record", "none", "--no-publish", "--out", out.path])
        // Once the show has started (every source was measured before it), D goes away. D starts
        // at 14 s, after three other items: the mixer gives it a ring (and the prefetcher opens
        // its file) only once it is among the next three or starts within 10 s, 4 s in.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !((try? String(contentsOf: log, encoding: .utf8))?.contains("\"item_started\"") ?? false) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try FileManager.default.removeItem(at: doomed)
        let result = process.result()
        #expect(result.status == 4, "the show ran to its end, with a fault: \(result.stdout)")
        #expect(result.stdout.contains("Played 0:25.000"), "\(result.stdout)")
        #expect(result.stdout.contains("fault: 1 audio file could not be read on air (played as silence)"), "\(result.stdout)")
        // Headless, the alarms reach standard error as they happen.
        #expect(result.stderr.contains("regie: error: unreadable audio played as silence"), "\(result.stderr)")
        #expect(result.stderr.contains("audio/d.wav"))

        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let events = lines.compactMap { $0["event"] as? String }
        #expect(events.filter { $0 == "item_started" }.count == 5)
        #expect(events.last == "show_ended")
        let alarms = lines.filter { $0["event"] as? String == "alarm" }
        let missing = alarms.first { $0["alarm"] as? String == "missing_file" }
        #expect((missing?["message"] as? String)?.contains("audio/d.wav") == true, "\(alarms)")
        let silence = try #require(alarms.first { $0["alarm"] as? String == "silence" }, "\(alarms)")
        // D starts at 14 s; the alarm comes once the silence has lasted ten seconds.
        let position = try #require(silence["position"] as? Int)
        #expect(position > 24 * rate && position < 25 * rate)
        #expect(alarms.filter { $0["alarm"] as? String == "silence" }.count == 1, "raised once per silence")
    }
}
