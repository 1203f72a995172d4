import Foundation
import RegieModel

/// Date formats the feed and page use, computed arithmetically in UTC (no locale involved).
enum Dates {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Proleptic Gregorian (year, month 1-12, day 1-31) of a count of days since 1970-01-01
    /// (the model's calendar arithmetic).
    static func civil(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        CivilDate.civilFromDays(Int64(days))
    }

    private static func split(_ date: Date) -> (days: Int, secs: Int) {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let d = t >= 0 ? t / 86400 : (t - 86399) / 86400
        return (d, t - d * 86400)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// RFC 2822 date in GMT, e.g. `Thu, 03 Dec 2026 17:00:00 +0000`.
    static func rfc2822(_ date: Date) -> String {
        let (d, s) = split(date)
        let (y, m, day) = civil(daysSinceEpoch: d)
        let weekday = days[((d % 7) + 7) % 7]
        return "\(weekday), \(two(day)) \(months[m - 1]) \(y) \(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60)) +0000"
    }

    /// Calendar date for people, e.g. `3 Dec 2026` (UTC).
    static func human(_ date: Date) -> String {
        let (d, _) = split(date)
        let (y, m, day) = civil(daysSinceEpoch: d)
        return "\(day) \(months[m - 1]) \(y)"
    }

    /// ISO 8601 date `2026-12-03` (UTC), for `<time datetime>`.
    static func isoDay(_ date: Date) -> String {
        let (d, _) = split(date)
        let (y, m, day) = civil(daysSinceEpoch: d)
        return "\(y)-\(two(m))-\(two(day))"
    }

    /// Duration as `H:MM:SS` or `M:SS`.
    static func clock(_ seconds: Double, roundingDown: Bool = false) -> String {
        let t = max(0, Int(roundingDown ? seconds.rounded(.down) : seconds.rounded()))
        let h = t / 3600, m = t / 60 % 60, s = t % 60
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }
}
