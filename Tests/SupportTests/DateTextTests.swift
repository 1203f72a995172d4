import Foundation
import Support
import Testing
import TestSupport

/// Every date format, read back by Python's own parsers (a third party, not our code).
@Suite struct DateTextTests {
    static let times: [Int64] = [0, 951_782_400 /* 2000-02-29 */, 1_796_317_200, 4_107_542_399, -86_401]

    @Test func rfc2822DatesParseBackInPython() throws {
        let ours = Self.times.map(DateText.rfc2822)
        let r = try python("""
            import sys, email.utils
            for s in sys.argv[1:]:
                d = email.utils.parsedate_to_datetime(s)
                print(int(d.timestamp()), email.utils.format_datetime(d))
            """, ours)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == Self.times.count)
        for (i, line) in lines.enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1)
            #expect(Int64(parts[0]) == Self.times[i])
            // Python writes the same day and month names back.
            #expect(parts[1].prefix(25) == ours[i].prefix(25))
        }
        #expect(ours[2] == "Thu, 03 Dec 2026 17:00:00 +0000")
    }

    @Test func httpDatesRoundTripAndMatchPython() throws {
        let ours = Self.times.map(DateText.httpDate)
        let r = try python("""
            import sys, email.utils
            for t in sys.argv[1:]:
                print(email.utils.formatdate(int(t), usegmt=True))
            """, Self.times.map(String.init))
        #expect(r.stdout.split(separator: "\n").map(String.init) == ours)
        for (time, text) in zip(Self.times, ours) { #expect(DateText.parseHTTPDate(text) == time) }
        #expect(DateText.parseHTTPDate("Sunday, 06-Nov-94 08:49:37 GMT") == nil, "only IMF-fixdate is generated")
        #expect(DateText.parseHTTPDate("Sun, 32 Nov 1994 08:49:37 GMT") == nil)
    }

    @Test func asRunTimesAreISO8601WithTheStationsOffset() throws {
        // 2026-12-03 18:00:00.250 in Paris (+01:00), and a negative offset with minutes.
        let nanoseconds: Int64 = 1_796_317_200_250_000_000
        let paris = DateText.iso8601(nanoseconds: nanoseconds, utcOffsetSeconds: 3600)
        #expect(paris == "2026-12-03T18:00:00.250+01:00")
        let stJohns = DateText.iso8601(nanoseconds: nanoseconds, utcOffsetSeconds: -(3 * 3600 + 1800))
        let r = try python("""
            import sys, datetime
            for s in sys.argv[1:]:
                print(int(datetime.datetime.fromisoformat(s).timestamp() * 1000))
            """, [paris, stJohns])
        #expect(r.stdout.split(separator: "\n").map(String.init) == ["1796317200250", "1796317200250"])
        #expect(DateText.iso8601(nanoseconds: -1, utcOffsetSeconds: 0) == "1969-12-31T23:59:59.999+00:00")
    }

    @Test func accessLogAndPageDates() {
        #expect(DateText.accessLog(1_796_317_200) == "03/Dec/2026:17:00:00 +0000")
        #expect(DateText.human(1_796_317_200) == "3 Dec 2026")
        #expect(DateText.isoDay(1_796_317_200) == "2026-12-03")
    }
}
