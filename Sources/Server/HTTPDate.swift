import Foundation
import RegieModel

/// HTTP dates (IMF-fixdate, RFC 9110) and access-log timestamps, in UTC with English names.
enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// (year, month, day) of a day count since 1970-01-01 (the model's calendar arithmetic).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let date = CivilDate.civilFromDays(Int64(days))
        return (date.year, date.month, date.day)
    }

    /// Days since 1970-01-01 of a civil date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        Int(CivilDate.daysFromCivil(year: year, month: month, day: day))
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func split(_ t: Int) -> (Int, Int) {
        let d = t >= 0 ? t / 86400 : (t - 86399) / 86400
        return (d, t - d * 86400)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for a Unix time in seconds.
    static func format(_ t: Int) -> String {
        let (d, s) = split(t)
        let (y, m, day) = civil(d)
        return "\(days[((d % 7) + 7) % 7]), \(two(day)) \(months[m - 1]) \(y) \(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60)) GMT"
    }

    /// `25/Nov/2026:12:00:00 +0000` (the combined log format's timestamp).
    static func logTimestamp(_ date: Date) -> String {
        let (d, s) = split(Int(date.timeIntervalSince1970.rounded(.down)))
        let (y, m, day) = civil(d)
        return "\(two(day))/\(months[m - 1])/\(y):\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60)) +0000"
    }

    /// Parses an IMF-fixdate (the only form a sender may generate); nil for anything else.
    static func parse(_ s: String) -> Int? {
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
              let mi = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(day), (0...23).contains(hms[0]), (0...59).contains(hms[1]),
              (0...60).contains(hms[2]) else { return nil }
        return days(year: year, month: mi + 1, day: day) * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    }
}
