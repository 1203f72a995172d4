import Foundation
import Testing
import TestSupport

/// `regie plan` on a rundown whose timing was worked out by hand:
/// sting 2 s; talk.flac cue 1–9.5 s = 8.5 s, 0.5 s crossfade; live 20 s (min 10, max 30) with a bed;
/// song.ogg 20 s (optional); talk48.flac 6 s at 48 kHz, back-timed, 0.5 s crossfade.
/// Written: 2 + 8.5 − 0.5 + 20 + 20 + 6 − 0.5 = 55.5 s (no crossfade into or out of the live item).
/// Slot 60 s: gap +4.5 s, absorbed by stretching the live item to 24.5 s; the back-timed item then
/// starts at 54 s in both schedules.
@Suite struct PlanCommandTests {
    static let file = "Tests/RegieCLITests/Corpus/radio/shows/demo/good.yaml"

    @Test func theSheetShowsStartsBacktimingAndTheFit() throws {
        let result = try TestSupport.regie(["plan", Self.file])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  2  18:00:01  18:00:01  0:01.5     0:08.5     0:00.5  0:10.0     segment  Talk") })
        #expect(lines.contains { $0.hasPrefix("  3  18:00:10  18:00:10  0:10.0     0:20.0             0:30.0     live     Desk") })
        // The fitted clock beside the written one: the song moves by the stretch of the live item.
        #expect(lines.contains { $0.hasPrefix("  4  18:00:30  18:00:34  0:30.0     0:20.0") })
        #expect(lines.contains("     gap before the back-timed item: +0:04.5 to fill"))
        #expect(lines.contains { $0.hasPrefix("  5  18:00:54  18:00:54  0:54.0     0:06.0     0:00.5  1:00.0     segment  Talk at 48k  [back-timed]") })
        #expect(lines.contains("Total as written  0:55.5   slot 1:00.0   under by 0:04.5"))
        #expect(lines.contains("  stretch item 3 \"Desk\" 0:20.0 → 0:24.5 (+0:04.5)"))
        #expect(lines.contains("Total fitted      1:00.0   slot 1:00.0   on time"))
        #expect(result.stderr.contains("warning: 'segment' file is sampled at 48000 Hz"))
    }

    @Test func jsonIsFrameExact() throws {
        let result = try TestSupport.regie(["plan", "--format", "json", Self.file])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        #expect(object["sample_rate"] as? Int == 44100)
        #expect(object["total_written_frames"] as? Int == 2_447_550)   // 55.5 s
        #expect(object["total_frames"] as? Int == 2_646_000)           // 60 s
        #expect(object["gap"] as? Double == 4.5)
        #expect(object["backtime_item"] as? Int == 5)
        #expect(object["backtime_start"] as? Double == 54.0)
        let items = try #require(object["items"] as? [[String: Any]])
        #expect(items.map { $0["start_frame"] as? Int } == [0, 66_150, 441_000, 1_323_000, 2_381_400])
        #expect(items.map { $0["length_frames"] as? Int } == [88_200, 374_850, 882_000, 882_000, 264_600])
        let fitted = items.compactMap { $0["fitted"] as? [String: Any] }
        #expect(fitted.map { $0["length_frames"] as? Int } == [88_200, 374_850, 1_080_450, 882_000, 264_600])
        #expect(fitted.map { $0["start_frame"] as? Int } == [0, 66_150, 441_000, 1_521_450, 2_381_400])
        #expect(fitted[2]["adjustment"] as? Double == 4.5)
    }

    @Test func aRundownWithErrorsPrintsNoSheet() throws {
        let result = try TestSupport.regie(["plan", "Tests/RegieCLITests/Corpus/radio/shows/demo/cue-outside.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("cue-outside.yaml:12:10: error: cue point 'out' (0:12) is outside the file"))
    }
}
