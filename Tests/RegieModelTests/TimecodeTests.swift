import Foundation
import Testing
@testable import RegieModel

@Suite struct TimecodeTests {
    @Test(arguments: [
        ("90", Int64(90_000_000_000)), ("90.5", 90_500_000_000), ("1:30", 90_000_000_000),
        ("1:30.250", 90_250_000_000), ("1:02:03", 3_723_000_000_000), ("0.000000001", 1),
        ("0", 0), (" 12 ", 12_000_000_000), ("59:59.999", 3_599_999_000_000),
    ])
    func parsesTheProducersNotation(text: String, nanoseconds: Int64) {
        #expect(Timecode(parsing: text)?.nanoseconds == nanoseconds)
    }

    @Test(arguments: ["", "abc", "1:60", "1:5", "1:2:3", "-5", "1.", ".5", "1:30:", "1:00:00:00", "1.0000000001", "5 minutes", "1,5"])
    func rejectsWhatIsNotADuration(text: String) {
        #expect(Timecode(parsing: text) == nil)
    }

    @Test("huge numbers are too long, never an overflow trap", arguments: [
        "3000000:00:00", "999999999999:00:00", "99999999999999999999:00:00", "1000:00:01", "9999999", "99999999999999999999.5",
    ])
    func hugeNumbersAreTooLong(text: String) {
        #expect(Timecode.parse(text) == .failure(.tooLong))
        #expect(Timecode(parsing: text) == nil)
    }

    @Test func theLongestIsAThousandHours() {
        #expect(Timecode.parse("1000:00:00") == .success(Timecode(seconds: 3_600_000)))
        #expect(Timecode.parse("five") == .failure(.notADuration))
    }

    @Test func roundsToTheNearestFrameHalfUp() {
        // 1 ms at 44.1 kHz is 44.1 frames → 44; 0.5/44100 s rounds up to one frame.
        #expect(Timecode(parsing: "0.001")!.frames(at: 44100) == 44)
        #expect(Timecode(nanoseconds: 11_338).frames(at: 44100) == 1)   // 0.50000 frame → 1
        #expect(Timecode(nanoseconds: 11_337).frames(at: 44100) == 0)   // 0.49996 frame → 0
        #expect(Timecode(parsing: "1:00:00")!.frames(at: 48000) == 172_800_000)
    }

    @Test func convertsFramesBetweenRatesRoundingHalfUp() {
        #expect(FrameMath.convert(288_000, from: 48000, to: 44100) == 264_600)
        // 100001 × 44100 / 48000 = 91875.92 → 91876
        #expect(FrameMath.convert(100_001, from: 48000, to: 44100) == 91_876)
        // 1 × 44100 / 48000 = 0.91875 → 1; 1 × 48000/44100 = 1.088 → 1
        #expect(FrameMath.convert(1, from: 48000, to: 44100) == 1)
        #expect(FrameMath.convert(1, from: 44100, to: 48000) == 1)
        #expect(FrameMath.convert(441, from: 44100, to: 44100) == 441)
    }

    @Test func formatsForTheSheet() {
        #expect(FrameMath.format(frames: 44100 * 3723 + 22050, sampleRate: 44100) == "1:02:03.5")
        #expect(FrameMath.format(frames: -44100 * 90, sampleRate: 44100, fractionDigits: 0) == "-1:30")
        #expect(FrameMath.format(frames: 44100, sampleRate: 44100, sign: true) == "+0:01.0")
        #expect(FrameMath.format(frames: 44099, sampleRate: 44100, fractionDigits: 1) == "0:01.0")
        #expect(Timecode(parsing: "1:30.250")!.description == "1:30.25")
    }

    @Test func parsesAirTimesWithTheirOffset() throws {
        let air = try #require(AirTime(iso8601: "2026-12-03T18:00:00+01:00"))
        #expect(air.epochSeconds == 1_796_317_200) // 2026-12-03T17:00:00Z
        #expect(air.clock(after: 44100 * 3600, sampleRate: 44100) == "19:00:00")
        #expect(air.clock(after: 44100 * 6 * 3600 + 22050, sampleRate: 44100, fractionDigits: 1) == "00:00:00.5")
        #expect(AirTime(iso8601: "2026-12-03T18:00:00Z")?.utcOffsetSeconds == 0)
        #expect(AirTime(iso8601: "2026-12-03T18:00-05:30")?.utcOffsetSeconds == -19800)
        #expect(AirTime(iso8601: "2026-12-03T18:00:00") == nil, "an offset is required")
        #expect(AirTime(iso8601: "2026-02-30T18:00:00Z") == nil)
        #expect(AirTime(iso8601: "2026-12-03 18:00:00+0100")?.utcOffsetSeconds == 3600)
    }

    @Test func suggestsCloseWords() {
        #expect(Suggestions.closest(to: "titel", among: ["title", "episode"]) == "title")
        #expect(Suggestions.closest(to: "fadeout", among: ["fade_in", "fade_out"]) == "fade_out")
        #expect(Suggestions.closest(to: "zzz", among: ["title", "episode"]) == nil)
    }
}

@Suite struct CategoryListTests {
    /// The Swift list, the JSON Schema's enum and the text file producers read are the same list.
    @Test func theCategoryListMatchesTheDocs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/apple-podcast-categories.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(Set(lines) == Set(PodcastCategories.all))
        #expect(lines.count == PodcastCategories.all.count)
    }
}
