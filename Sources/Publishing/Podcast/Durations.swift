import Foundation
import Support

/// Durations for people (`H:MM:SS` or `M:SS`); dates come from `Support.DateText`.
enum Durations {
    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// Duration as `H:MM:SS` or `M:SS`.
    static func clock(_ seconds: Double, roundingDown: Bool = false) -> String {
        let t = max(0, Int(roundingDown ? seconds.rounded(.down) : seconds.rounded()))
        let h = t / 3600, m = t / 60 % 60, s = t % 60
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }
}

extension Date {
    /// Whole seconds since 1970 (rounded down), as `DateText` takes them.
    var unixSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
}
