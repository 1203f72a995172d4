import Engine
import Foundation
import Testing
import TestSupport
import RegieModel

/// `regie play --auto` through a real ALSA device (the `file` plugin in front of `null`, defined in
/// a private configuration): the bytes that went out are the offline render of the same plan.
@Suite struct LivePlayoutTests {
    @Test func automationOnAnALSAFileDeviceEqualsTheOfflineRender() throws {
        let show = try TestShow(extra: "crossfade: 0.3")
        let tone = (0..<(44100 * 2)).map { Float(0.2 * sin(2 * Double.pi * 440 * Double($0) / 44100)) }
        let voice = (0..<(48000 * 2)).map { Float(0.3 * sin(2 * Double.pi * 210 * Double($0) / 48000) * sin(Double($0) / 3000)) }
        try show.writeAudio("jingles/sting.wav", samples: tone, sampleRate: 44100)
        try show.writeAudio("jingles/bed.wav", samples: Array(tone.prefix(30000)), sampleRate: 44100)
        try show.writeAudio("audio/voice.flac", samples: voice, sampleRate: 48000)
        let rundown = try show.writeRundown("""
            episode: 1
            title: On air
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 6
            items:
              - jingle: sting
              - segment: audio/voice.flac
                title: Voice
              - live: Desk
                planned: 1.5
                bed: bed
              - jingle: sting
                fade_out: 0.5
            """)
        let raw = show.root.appendingPathComponent("out.raw")
        let conf = show.root.appendingPathComponent("asound.conf")
        try """
        pcm.regietest {
            type file
            slave.pcm "null"
            file "\(raw.path)"
            format "raw"
        }
        """.write(to: conf, atomically: true, encoding: .utf8)
        let recordings = show.root.appendingPathComponent("recordings")
        let published = show.root.appendingPathComponent("public")
        let result = try run(TestSupport.regie.path, ["play", "--auto", rundown.path, "--device", "regietest", "--pace", "clock",
                                                                  "--out", recordings.path, "--publish-to", published.path],
                                         environment: ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(conf.path)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("late prefetch 0 frames"))

        let program = try SchedulingTests.program(rundown)
        let offline = try SchedulingTests.render(program, cache: LoudnessCache(showDirectory: show.directory.path))
        let played = try Data(contentsOf: raw)
        #expect(played.count == offline.count * 4, "\(played.count / 8) frames out, \(offline.count / 2) rendered")
        let equal = played.withUnsafeBytes { bytes in
            offline.withUnsafeBytes { bytes.elementsEqual($0) }
        }
        #expect(equal, "the bytes that went out are the offline render")

        // The programme was recorded and the as-run log tells what aired. Not the air date, and
        // live items with no desk return: the episode was finished, not published, and the
        // summary gives the command that publishes it.
        let recording = recordings.appendingPathComponent("001-on-air-program.mp3")
        #expect(try decodedFrameCount(recording) == offline.count / 2)
        let log = try String(contentsOf: recordings.appendingPathComponent("001-on-air.asrun.jsonl"), encoding: .utf8)
        let events = log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let started = events.filter { $0["event"] as? String == "item_started" }
        #expect(started.compactMap { $0["position"] as? Int } == program.plan.entries.map { Int($0.start) })
        #expect(started.compactMap { $0["title"] as? String }.contains("Voice"))
        #expect(events.contains { $0["event"] as? String == "show_ended" })
        #expect(!FileManager.default.fileExists(atPath: published.appendingPathComponent("feed.xml").path))
        #expect(result.stdout.contains("not published:"), "\(result.stdout)")
        #expect(result.stdout.contains("- a rehearsal"), "\(result.stdout)")
        #expect(result.stdout.contains("- this show has live items"), "\(result.stdout)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.contains("to publish it anyway: regie publish ") })
        let command = line.components(separatedBy: "to publish it anyway: regie ").last!.split(separator: " ").map(String.init)
        let publish = try run(TestSupport.regie.path, command)
        #expect(publish.status == 0, "\(publish.stderr)")
        let feed = try String(contentsOf: published.appendingPathComponent("feed.xml"), encoding: .utf8)
        #expect(feed.contains("<itunes:episode>1</itunes:episode>"))
    }
}
