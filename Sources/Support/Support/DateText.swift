// Every date Régie writes for people and programs, computed arithmetically from seconds since
// 1970 (no locale, no time-zone database): feeds (RFC 2822), HTTP (IMF-fixdate), the access log,
// the as-run log (ISO 8601 with milliseconds and the station's offset) and pages.
import RegieModel

/// Date formats, from Unix time.
package enum DateText {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The parts of a moment at a UTC offset.
    private struct Parts {
        var year: Int, month: Int, day: Int, weekday: String
        var hour: Int, minute: Int, second: Int

        init(seconds: Int64, offset: Int = 0) {
            let local = seconds + Int64(offset)
            let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
            let inDay = Int(local - days * 86400)
            let date = CivilDate.civilFromDays(days)
            year = date.year; month = date.month; day = date.day
            weekday = DateText.weekdays[Int(((days % 7) + 7) % 7)]
            hour = inDay / 3600; minute = inDay / 60 % 60; second = inDay % 60
        }
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    private static func three(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }
    private static func four(_ n: Int) -> String { n >= 0 && n < 1000 ? String(repeating: "0", count: 4 - String(n).count) + "\(n)" : "\(n)" }

    /// RFC 2822 in UTC, for RSS: `Thu, 03 Dec 2026 17:00:00 +0000`.
    package static func rfc2822(_ seconds: Int64) -> String {
        let p = Parts(seconds: seconds)
        return "\(p.weekday), \(two(p.day)) \(months[p.month - 1]) \(p.year) \(two(p.hour)):\(two(p.minute)):\(two(p.second)) +0000"
    }

    /// IMF-fixdate (RFC 9110), for HTTP headers: `Sun, 06 Nov 1994 08:49:37 GMT`.
    package static func httpDate(_ seconds: Int64) -> String {
        let p = Parts(seconds: seconds)
        return "\(p.weekday), \(two(p.day)) \(months[p.month - 1]) \(p.year) \(two(p.hour)):\(two(p.minute)):\(two(p.second)) GMT"
    }

    /// The combined log format's timestamp in UTC: `25/Nov/2026:12:00:00 +0000`.
    package static func accessLog(_ seconds: Int64) -> String {
        let p = Parts(seconds: seconds)
        return "\(two(p.day))/\(months[p.month - 1])/\(p.year):\(two(p.hour)):\(two(p.minute)):\(two(p.second)) +0000"
    }

    /// A calendar date for people, in UTC: `3 Dec 2026`.
    package static func human(_ seconds: Int64) -> String {
        let p = Parts(seconds: seconds)
        return "\(p.day) \(months[p.month - 1]) \(p.year)"
    }

    /// ISO 8601 calendar date in UTC, for `<time datetime>`: `2026-12-03`.
    package static func isoDay(_ seconds: Int64) -> String {
        let p = Parts(seconds: seconds)
        return "\(four(p.year))-\(two(p.month))-\(two(p.day))"
    }

    /// ISO 8601 with milliseconds at a UTC offset (the station's), for the as-run log:
    /// `2026-12-03T18:00:00.250+01:00`.
    package static func iso8601(nanoseconds: Int64, utcOffsetSeconds offset: Int) -> String {
        let milliseconds = nanoseconds >= 0 ? nanoseconds / 1_000_000 : (nanoseconds - 999_999) / 1_000_000
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let p = Parts(seconds: seconds, offset: offset)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset) / 60
        return "\(four(p.year))-\(two(p.month))-\(two(p.day))T\(two(p.hour)):\(two(p.minute)):\(two(p.second))"
            + ".\(three(Int(milliseconds - seconds * 1000)))\(sign)\(two(magnitude / 60)):\(two(magnitude % 60))"
    }

    /// ISO 8601 to the second at a UTC offset, for feeds: `2026-12-03T18:00:00+01:00`.
    package static func iso8601(seconds: Int64, utcOffsetSeconds offset: Int) -> String {
        let p = Parts(seconds: seconds, offset: offset)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset) / 60
        return "\(four(p.year))-\(two(p.month))-\(two(p.day))T\(two(p.hour)):\(two(p.minute)):\(two(p.second))"
            + "\(sign)\(two(magnitude / 60)):\(two(magnitude % 60))"
    }

    /// Parses an IMF-fixdate (the only form an HTTP sender may generate); nil for anything else.
    package static func parseHTTPDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
              let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(day), (0...23).contains(hms[0]), (0...59).contains(hms[1]),
              (0...60).contains(hms[2]) else { return nil }
        return CivilDate.daysFromCivil(year: year, month: month + 1, day: day) * 86400
            + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2])
    }
}
