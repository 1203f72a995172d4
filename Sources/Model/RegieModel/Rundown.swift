/// One episode's running order (`shows/<show>/<yyyy-mm-dd>.yaml`).
package struct Rundown: Sendable {
    /// The rundown file.
    package var file: String
    /// The programme it belongs to.
    package var show: Show
    /// Episode number; the podcast needs it (`itunes:episode`, the file name), nothing else does.
    package var episode: Int?
    /// Episode title.
    package var title: String
    /// Episode description (plain text); the podcast needs it, nothing else does.
    package var description: String?
    /// When the slot starts.
    package var air: AirTime
    /// Length of the slot; the hard end is `air + slot`.
    package var slot: Timecode
    /// Overrides the show's default crossfade.
    package var crossfade: Timecode?
    /// The running order.
    package var items: [Item]
    /// Where each top-level key was written.
    package var locations: [String: SourceLocation]

    /// The crossfade that applies between two audio items unless an item says otherwise.
    package var defaultCrossfade: Timecode { crossfade ?? show.crossfade }

    /// True for a rundown read on past its errors, to check it (an item may be left out, a value
    /// at its default): its items are checked (files, cue points, fades), its timing, which the
    /// errors change, is not worked out.
    package var readWithErrors = false

    /// A rundown; every field is given by the reader.
    package init(file: String, show: Show, episode: Int?, title: String, description: String?, air: AirTime,
                slot: Timecode, crossfade: Timecode?, items: [Item], locations: [String: SourceLocation]) {
        self.file = file; self.show = show; self.episode = episode; self.title = title
        self.description = description; self.air = air; self.slot = slot; self.crossfade = crossfade
        self.items = items; self.locations = locations
    }
}

/// A wall-clock instant with the UTC offset it was written in, so that clock times are shown the
/// way the producer wrote them.
package struct AirTime: Sendable, Hashable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    package var epochSeconds: Int64
    /// Offset from UTC of the written time, in seconds.
    package var utcOffsetSeconds: Int
    /// The text as written.
    package var text: String

    /// An air time.
    package init(epochSeconds: Int64, utcOffsetSeconds: Int, text: String) {
        self.epochSeconds = epochSeconds; self.utcOffsetSeconds = utcOffsetSeconds; self.text = text
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS]±HH:MM` or `...Z`. An offset is required: a rundown without
    /// one would air at a different time on a machine in another zone.
    package init?(iso8601 text: String) {
        let scalars = Array(text.unicodeScalars.map { Character($0) })
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= scalars.count else { return nil }
            let digits = scalars[range]
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(String(digits))
        }
        func char(_ i: Int) -> Character? { i < scalars.count ? scalars[i] : nil }
        guard let year = number(0..<4), char(4) == "-", let month = number(5..<7), char(7) == "-",
              let day = number(8..<10), char(10) == "T" || char(10) == " ",
              let hour = number(11..<13), char(13) == ":", let minute = number(14..<16) else { return nil }
        var index = 16
        var second = 0
        if char(index) == ":" {
            guard let s = number(17..<19) else { return nil }
            second = s
            index = 19
            if char(index) == "." { // fractional seconds are accepted and ignored
                index += 1
                while let c = char(index), c.isASCII, c.isNumber { index += 1 }
            }
        }
        var offset = 0
        if char(index) == "Z" {
            index += 1
        } else if let sign = char(index), sign == "+" || sign == "-" {
            guard let oh = number(index + 1..<index + 3) else { return nil }
            var om = 0
            if char(index + 3) == ":" {
                guard let m = number(index + 4..<index + 6) else { return nil }
                om = m; index += 6
            } else if let m = number(index + 3..<index + 5) {
                om = m; index += 5
            } else {
                index += 3
            }
            guard oh <= 14, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (sign == "-" ? -1 : 1)
        } else {
            return nil
        }
        guard index == scalars.count, (1...12).contains(month), day >= 1,
              day <= CivilDate.daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 60 else { return nil }
        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        let local = days * 86400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(epochSeconds: local - Int64(offset), utcOffsetSeconds: offset, text: text)
    }

    /// `HH:MM:SS` in the written offset, `frames` after this instant, rounded down to the second.
    package func clock(after frames: Int64, sampleRate: Int, fractionDigits: Int = 0) -> String {
        let nanos = FrameMath.nanoseconds(frames, sampleRate: sampleRate)
        let localNanos = (epochSeconds + Int64(utcOffsetSeconds)) * 1_000_000_000 + nanos
        var daySeconds = localNanos.floorDiv(1_000_000_000) % 86400
        if daySeconds < 0 { daySeconds += 86400 }
        let h = daySeconds / 3600, m = (daySeconds / 60) % 60, s = daySeconds % 60
        var text = "\(String(h).leftPadded(to: 2)):\(String(m).leftPadded(to: 2)):\(String(s).leftPadded(to: 2))"
        if fractionDigits > 0 {
            var unit: Int64 = 1_000_000_000
            for _ in 0..<fractionDigits { unit /= 10 }
            let fraction = (localNanos.floorMod(1_000_000_000)) / unit
            text += "." + String(fraction).leftPadded(to: fractionDigits)
        }
        return text
    }

    /// `YYYY-MM-DD` of this instant in the written offset.
    package var localDate: (year: Int, month: Int, day: Int) {
        let local = epochSeconds + Int64(utcOffsetSeconds)
        return CivilDate.civilFromDays(local.floorDiv(86400))
    }

    /// The text as written.
    package var description: String { text }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 { let q = self / d; return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q }
    func floorMod(_ d: Int64) -> Int64 { let r = self % d; return r < 0 ? r + d : r }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's algorithms), so the model needs no
/// calendar or time-zone database.
package enum CivilDate {
    /// Days since 1970-01-01.
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count since 1970-01-01.
    package static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// Days in a month of a year.
    package static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
