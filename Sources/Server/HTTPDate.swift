import Foundation

/// HTTP dates (IMF-fixdate, RFC 9110) and access-log timestamps, in UTC with English names.
enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Days since 1970-01-01 of a civil date.
    static func days(year y0: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
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
