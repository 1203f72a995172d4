/// A length of time or a position written by a producer (`90`, `90.5`, `1:30`, `1:30.250`,
/// `1:02:03`), kept exactly in nanoseconds so that conversion to frames rounds only once.
package struct Timecode: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Exact value in nanoseconds.
    package var nanoseconds: Int64

    /// A timecode from nanoseconds.
    package init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// A timecode from whole seconds.
    package init(seconds: Int64) { self.nanoseconds = seconds * 1_000_000_000 }

    /// The longest duration a producer may write: 1000 hours (far beyond any slot, and far
    /// below where frames or nanoseconds could overflow).
    package static let longest = Timecode(seconds: 1000 * 3600)

    /// Why a text is not a timecode.
    package enum ParseError: Error, Equatable {
        /// Not in the notation.
        case notADuration
        /// In the notation, but longer than `Timecode.longest`.
        case tooLong
    }

    /// Parses the producer's notation. Returns nil when the text is not a duration, or is longer
    /// than `longest` (`parse` says which).
    package init?(parsing text: String) {
        guard case .success(let value) = Self.parse(text) else { return nil }
        self = value
    }

    /// Parses the producer's notation.
    ///
    /// Accepted: `S`, `S.fff`, `M:SS`, `M:SS.fff`, `H:MM:SS`, `H:MM:SS.fff`. In the colon forms the
    /// minutes and seconds fields after the first must be below 60; fractions have at most 9 digits.
    /// Every step is checked for overflow: a huge number is `tooLong`, never a trap.
    package static func parse(_ text: String) -> Result<Timecode, ParseError> {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return .failure(.notADuration) }
        let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count <= 3 else { return .failure(.notADuration) }
        var total: Int64 = 0
        var overflow = false
        func accumulate(_ factor: Int64, _ add: Int64) {
            let (product, o1) = total.multipliedReportingOverflow(by: factor)
            let (sum, o2) = product.addingReportingOverflow(add)
            overflow = overflow || o1 || o2
            total = sum
        }
        for (index, field) in fields.enumerated() {
            let isLast = index == fields.count - 1
            if isLast {
                guard let (whole, fraction) = Self.parseSeconds(field) else {
                    // Only digits, too many of them: a number, just too large.
                    let digits = field.split(separator: ".", omittingEmptySubsequences: false)
                    if digits.count <= 2, !digits[0].isEmpty, digits.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                       digits[0].count > 6 { return .failure(.tooLong) }
                    return .failure(.notADuration)
                }
                if fields.count > 1 && whole >= 60 { return .failure(.notADuration) }
                if fields.count > 1 && field.split(separator: ".")[0].count != 2 { return .failure(.notADuration) }
                accumulate(60, whole)
                accumulate(1_000_000_000, fraction)
            } else {
                guard !field.isEmpty, field.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(.notADuration) }
                guard let value = Int64(field) else { return .failure(.tooLong) }
                if index > 0 && (value >= 60 || field.count != 2) { return .failure(.notADuration) }
                accumulate(60, value)
            }
        }
        guard !overflow, total <= longest.nanoseconds else { return .failure(.tooLong) }
        return .success(Timecode(nanoseconds: total))
    }

    /// Whole seconds and the fraction in nanoseconds of `SS` or `SS.fff`.
    private static func parseSeconds(_ field: Substring) -> (Int64, Int64)? {
        let parts = field.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty,
              parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = Int64(parts[0]), whole < 1_000_000 else { return nil }
        guard parts.count == 2 else { return (whole, 0) }
        let digits = parts[1]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = Int64(digits)!
        for _ in digits.count..<9 { fraction *= 10 }
        return (whole, fraction)
    }

    /// The nearest frame count at `sampleRate` (half a frame rounds up).
    package func frames(at sampleRate: Int) -> Int64 {
        FrameMath.frames(nanoseconds: nanoseconds, sampleRate: sampleRate)
    }

    package static func < (lhs: Timecode, rhs: Timecode) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The producer's notation, shortest exact form (`1:30.25`).
    package var description: String { FrameMath.format(nanoseconds: nanoseconds, fractionDigits: nil) }
}

/// Integer arithmetic on frame counts: every conversion in Régie goes through here so that the
/// planner, the engine and the tests agree to the frame.
package enum FrameMath {
    /// Frames for a time in nanoseconds, rounded to the nearest frame (half up).
    package static func frames(nanoseconds: Int64, sampleRate: Int) -> Int64 {
        let product = Int128(nanoseconds) * Int128(sampleRate) + 500_000_000
        let result = product / 1_000_000_000
        return Int64(product < 0 && product % 1_000_000_000 != 0 ? result - 1 : result)
    }

    /// Converts a frame count between sample rates, rounded to the nearest frame (half up).
    /// This is the length a resampled source has in the show: the engine pads or trims the
    /// resampler's output to exactly this count.
    package static func convert(_ frames: Int64, from sourceRate: Int, to targetRate: Int) -> Int64 {
        if sourceRate == targetRate { return frames }
        let product = Int128(frames) * Int128(targetRate) + Int128(sourceRate / 2)
        return Int64(product / Int128(sourceRate))
    }

    /// Seconds (for display and JSON) of a frame count.
    package static func seconds(_ frames: Int64, sampleRate: Int) -> Double {
        Double(frames) / Double(sampleRate)
    }

    /// Nanoseconds of a frame count, rounded to the nearest nanosecond.
    package static func nanoseconds(_ frames: Int64, sampleRate: Int) -> Int64 {
        let product = Int128(frames) * 1_000_000_000
        let half = Int128(sampleRate / 2)
        let value = product >= 0 ? (product + half) / Int128(sampleRate) : (product - half) / Int128(sampleRate)
        // Saturates rather than traps (lengths are checked where they are read; this is the guard).
        return Int64(clamping: value)
    }

    /// `H:MM:SS.fff` / `M:SS.fff` of a frame count, with `fractionDigits` decimals (rounded).
    package static func format(frames: Int64, sampleRate: Int, fractionDigits: Int = 1, sign: Bool = false) -> String {
        format(nanoseconds: nanoseconds(frames, sampleRate: sampleRate), fractionDigits: fractionDigits, sign: sign)
    }

    /// Formats nanoseconds; `fractionDigits` nil means the shortest exact fraction.
    package static func format(nanoseconds value: Int64, fractionDigits: Int?, sign: Bool = false) -> String {
        let negative = value < 0
        var magnitude = value.magnitude
        var fractionText = ""
        if let digits = fractionDigits {
            var unit: UInt64 = 1_000_000_000
            for _ in 0..<digits { unit /= 10 }
            magnitude = (magnitude + unit / 2) / unit * unit
            if digits > 0 {
                let fraction = (magnitude % 1_000_000_000) / unit
                fractionText = "." + String(fraction).leftPadded(to: digits)
            }
        } else {
            var fraction = magnitude % 1_000_000_000
            if fraction != 0 {
                var width = 9
                while fraction % 10 == 0 { fraction /= 10; width -= 1 }
                fractionText = "." + String(fraction).leftPadded(to: width)
            }
        }
        let totalSeconds = magnitude / 1_000_000_000
        let hours = totalSeconds / 3600, minutes = (totalSeconds / 60) % 60, seconds = totalSeconds % 60
        let body = hours > 0
            ? "\(hours):\(String(minutes).leftPadded(to: 2)):\(String(seconds).leftPadded(to: 2))"
            : "\(minutes):\(String(seconds).leftPadded(to: 2))"
        let prefix = negative && (magnitude != 0) ? "-" : (sign ? "+" : "")
        return prefix + body + fractionText
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return slice
    }
}

/// A time of day as the producer writes it for a fixed-time item (`at: 18:30:00`, `at: 18:30`),
/// in the air time's UTC offset.
package struct TimeOfDay: Hashable, Sendable, CustomStringConvertible {
    /// Seconds since midnight.
    package var secondsOfDay: Int
    /// The text as written.
    package var text: String

    /// Parses `HH:MM` or `HH:MM:SS` (24-hour clock); nil otherwise.
    package init?(parsing text: String) {
        let fields = text.trimmingWhitespace().split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2 || fields.count == 3,
              fields.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        let values = fields.map { Int($0)! }
        guard values[0] < 24, values[1] < 60, values.count == 2 || values[2] < 60 else { return nil }
        secondsOfDay = values[0] * 3600 + values[1] * 60 + (values.count == 3 ? values[2] : 0)
        self.text = String(text.trimmingWhitespace())
    }

    /// Seconds from `air` to the next time this time of day comes (0 at the air time itself; a
    /// show that runs past midnight reaches times of the next day).
    package func seconds(after air: AirTime) -> Int64 {
        let airLocal = (air.epochSeconds + Int64(air.utcOffsetSeconds)).floorMod(86400)
        return (Int64(secondsOfDay) - airLocal).floorMod(86400)
    }

    package var description: String { text }
}
