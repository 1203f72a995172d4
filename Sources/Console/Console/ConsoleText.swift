/// How a run of text looks; the terminal maps each style to colours and attributes.
package enum ConsoleStyle: String, Sendable, Equatable, CaseIterable {
    /// Plain text.
    case normal
    /// Done items, help, idle values.
    case dim
    /// Headings and values that matter.
    case highlight
    /// The item on air.
    case onAir
    /// The item GO starts.
    case next
    /// Needs attention.
    case warning
    /// Something is wrong.
    case alarm
    /// The row the technician's edit keys act on.
    case selected
    /// The last seconds of a segment or music.
    case outro
}

/// A piece of text in one style.
package struct ConsoleRun: Sendable, Equatable {
    /// The text (no newlines).
    package var text: String
    /// Its style.
    package var style: ConsoleStyle
    /// A run.
    package init(_ text: String, _ style: ConsoleStyle = .normal) { self.text = text; self.style = style }
}

/// One screen line: runs left to right, never wider than the screen.
package struct ConsoleLine: Sendable, Equatable {
    /// The runs.
    package var runs: [ConsoleRun]
    /// A line of runs.
    package init(_ runs: [ConsoleRun] = []) { self.runs = runs }
    /// The line's text without styles.
    package var text: String { runs.map(\.text).joined() }
    /// Columns the line takes on the terminal.
    package var width: Int { DisplayWidth.of(text) }
    /// The style of the text at a column (nil past the end).
    package func style(atColumn column: Int) -> ConsoleStyle? {
        var start = 0
        for run in runs {
            let end = start + DisplayWidth.of(run.text)
            if column < end { return run.style }
            start = end
        }
        return nil
    }
    /// The style of the first run containing `text`, if any.
    package func style(of text: String) -> ConsoleStyle? { runs.first { $0.text.contains(text) }?.style }
}

/// The whole screen: exactly `height` lines, each at most `width` columns.
package struct ConsoleScreenModel: Sendable, Equatable {
    /// Columns.
    package var width: Int
    /// Rows.
    package var height: Int
    /// The lines, top to bottom.
    package var lines: [ConsoleLine]
    /// All lines as plain text, one per row (for tests and logs).
    package var text: String { lines.map(\.text).joined(separator: "\n") }
}

/// Terminal display width of text: East Asian wide and fullwidth characters take two columns,
/// combining marks and zero-width characters none. Simple on purpose (no terminal query), and in
/// agreement with glibc's `wcwidth` for the scripts a rundown plausibly holds.
package enum DisplayWidth {
    /// Columns one Unicode scalar takes.
    package static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 { return 0 }
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || (0x1160...0x11FF).contains(v) { return 0 }
        if isWide(v) { return 2 }
        return 1
    }

    /// Columns a string takes.
    package static func of(_ text: some StringProtocol) -> Int {
        var total = 0
        for scalar in text.unicodeScalars { total += of(scalar) }
        return total
    }

    static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || v == 0x2329 || v == 0x232A
            || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v) || (0xA960...0xA97F).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE10...0xFE19).contains(v)
            || (0xFE30...0xFE6F).contains(v) || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v)
            || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
            || (0x20000...0x2FFFD).contains(v) || (0x30000...0x3FFFD).contains(v)
    }

    /// `text` cut to at most `width` columns, ending in "…" when it was cut.
    package static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        var result = ""
        var used = 0
        for character in text {
            let w = of(String(character))
            if used + w > width - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }

    /// The longest prefix of `text` that fits in `width` columns.
    package static func prefix(_ text: String, to width: Int) -> String {
        var result = ""
        var used = 0
        for character in text {
            let w = of(String(character))
            if used + w > width { break }
            result.append(character)
            used += w
        }
        return result
    }

    /// `text` cut from the left to at most `width` columns, starting with "…" when it was cut
    /// (for paths, whose end says most).
    package static func truncateLeading(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        var kept: [Character] = []
        var used = 0
        for character in text.reversed() {
            let w = of(String(character))
            if used + w > width - 1 { break }
            kept.append(character)
            used += w
        }
        return "…" + String(kept.reversed())
    }

    /// `text` truncated to `width` columns and padded with spaces to exactly `width`.
    package static func fit(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        return cut + String(repeating: " ", count: max(0, width - of(cut)))
    }

    /// `text` right-aligned in `width` columns (truncated when longer).
    package static func rightAligned(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        return String(repeating: " ", count: max(0, width - of(cut))) + cut
    }
}

extension ConsoleLine {
    /// The line cut to `width` columns, the cut run ending in "…".
    func clipped(to width: Int) -> ConsoleLine {
        var result: [ConsoleRun] = []
        var used = 0
        for (offset, run) in runs.enumerated() {
            let w = DisplayWidth.of(run.text)
            if used + w <= width {
                result.append(run); used += w
                continue
            }
            // Only a cut that leaves text out gets the ellipsis; trailing padding is just dropped.
            let remainder = width - used
            let kept = DisplayWidth.prefix(run.text, to: remainder)
            let dropped = run.text.dropFirst(kept.count) + runs[(offset + 1)...].map(\.text).joined()
            let text = dropped.allSatisfy { $0 == " " } ? kept : DisplayWidth.truncate(run.text, to: remainder)
            if !text.isEmpty { result.append(ConsoleRun(text, run.style)) }
            break
        }
        return ConsoleLine(result)
    }
}

extension String {
    /// Without the padding `DisplayWidth.fit` adds.
    var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
