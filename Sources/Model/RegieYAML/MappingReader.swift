import Foundation
import RegieModel
import Yams

/// Reads one YAML mapping key by key, reporting every problem with its position: unknown keys
/// (with a suggestion), missing required keys, values of the wrong type.
struct MappingReader {
    let node: Node
    let mapping: Node.Mapping
    let file: String
    /// How the mapping is named in messages: "the show", "item 3 (music)".
    let context: String
    private(set) var keyLocations: [String: SourceLocation] = [:]
    private(set) var valueLocations: [String: SourceLocation] = [:]
    private var values: [String: Node] = [:]

    /// Nil (after reporting) when `node` is not a mapping.
    init?(_ node: Node, file: String, context: String, diagnostics: inout DiagnosticList) {
        guard let mapping = node.mapping else {
            diagnostics.error(Self.location(of: node, in: file), "\(context) must be a mapping of keys to values, found \(Self.describe(node))")
            return nil
        }
        self.node = node
        self.mapping = mapping
        self.file = file
        self.context = context
        keyLocations.reserveCapacity(mapping.count)
        valueLocations.reserveCapacity(mapping.count)
        values.reserveCapacity(mapping.count)
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                diagnostics.error(Self.location(of: key, in: file), "keys in \(context) must be plain words, found \(Self.describe(key))")
                continue
            }
            keyLocations[name] = Self.location(of: key, in: file)
            valueLocations[name] = Self.location(of: value, in: file)
            values[name] = value
        }
    }

    /// Where the mapping itself starts.
    var location: SourceLocation { Self.location(of: node, in: file) }

    /// The keys as written, in order.
    var keys: [String] { mapping.compactMap { $0.key.scalar?.string } }

    /// Whether a key is present (even with an empty value).
    func has(_ key: String) -> Bool { values[key] != nil }

    /// Reports every key that is not in `known`, with a suggestion when one is close.
    func reportUnknownKeys(known: [String], elsewhere: [String: String] = [:], diagnostics: inout DiagnosticList) {
        for key in keys where !known.contains(key) {
            if let reason = elsewhere[key] {
                diagnostics.error(keyLocations[key], "'\(key)' is not allowed in \(context): \(reason)")
                continue
            }
            var message = "unknown key '\(key)' in \(context)"
            if let suggestion = Suggestions.closest(to: key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += " (expected one of: \(known.map { "'\($0)'" }.joined(separator: ", ")))"
            }
            diagnostics.error(keyLocations[key], message)
        }
    }

    /// The raw node of a key.
    func node(_ key: String) -> Node? { values[key] }

    /// A text value. Numbers and booleans written plainly are taken as their text.
    func string(_ key: String, required: Bool = false, diagnostics: inout DiagnosticList) -> String? {
        guard let value = present(key, required: required, diagnostics: &diagnostics) else { return nil }
        guard let scalar = value.scalar else {
            diagnostics.error(valueLocations[key], "'\(key)' must be text, found \(Self.describe(value))")
            return nil
        }
        if scalar.tag.rawValue == Tag.Name.binary.rawValue {
            // `!!binary aGVsbG8=` is base64 bytes, not the text it looks like.
            diagnostics.error(valueLocations[key], "'\(key)' must be text, found binary data (!!binary); write the text itself")
            return nil
        }
        if scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            diagnostics.error(valueLocations[key] ?? keyLocations[key], "'\(key)' must not be empty")
            return nil
        }
        // A control character (a "\0" or "\e" escape) would end up in the ID3 tag and the feed,
        // where XML forbids it: say which, and where in the text.
        if let (offset, control) = scalar.string.unicodeScalars.enumerated().first(where: { _, c in
            (c.value < 0x20 && c != "\t" && c != "\n" && c != "\r") || c.value == 0x7F }) {
            let code = "U+" + String(format: "%04X", control.value)
            diagnostics.error(valueLocations[key], "'\(key)' holds the control character \(code) at character \(offset + 1); podcast feeds and tags cannot carry it: remove it")
            return nil
        }
        return scalar.string
    }

    /// `true` or `false`.
    func bool(_ key: String, required: Bool = false, diagnostics: inout DiagnosticList) -> Bool? {
        guard let value = present(key, required: required, diagnostics: &diagnostics) else { return nil }
        switch value.scalar?.string.lowercased() {
        case "true"?: return true
        case "false"?: return false
        default:
            diagnostics.error(valueLocations[key], "'\(key)' must be true or false, found \(Self.describe(value))")
            return nil
        }
    }

    /// A whole number within `range`.
    func integer(_ key: String, required: Bool = false, in range: ClosedRange<Int>, what: String = "a whole number",
                 diagnostics: inout DiagnosticList) -> Int? {
        guard let value = present(key, required: required, diagnostics: &diagnostics) else { return nil }
        guard let text = value.scalar?.string, value.scalar?.style == .plain, let number = Int(text) else {
            diagnostics.error(valueLocations[key], "'\(key)' must be \(what), found \(Self.describe(value))")
            return nil
        }
        guard range.contains(number) else {
            diagnostics.error(valueLocations[key], "'\(key)' must be \(what) from \(range.lowerBound) to \(range.upperBound), found \(number)")
            return nil
        }
        return number
    }

    /// A decimal number within `range`.
    func number(_ key: String, in range: ClosedRange<Double>, unit: String, diagnostics: inout DiagnosticList) -> Double? {
        guard let value = present(key, required: false, diagnostics: &diagnostics) else { return nil }
        guard let text = value.scalar?.string, value.scalar?.style == .plain, let number = Double(text), number.isFinite else {
            diagnostics.error(valueLocations[key], "'\(key)' must be a number (\(unit)), found \(Self.describe(value))")
            return nil
        }
        guard range.contains(number) else {
            diagnostics.error(valueLocations[key], "'\(key)' must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)) \(unit), found \(Self.format(number))")
            return nil
        }
        return number
    }

    /// A duration or position (`90`, `90.5`, `1:30`, `1:30.250`, `1:02:03`).
    func timecode(_ key: String, required: Bool = false, positive: Bool = false, diagnostics: inout DiagnosticList) -> Timecode? {
        guard let value = present(key, required: required, diagnostics: &diagnostics) else { return nil }
        guard let text = value.scalar?.string, case .success(let timecode) = Timecode.parse(text) else {
            if let text = value.scalar?.string, Timecode.parse(text) == .failure(.tooLong) {
                diagnostics.error(valueLocations[key], "'\(key)' is \(text), longer than the longest duration Régie takes (\(Timecode.longest)); a show's times are in hours at most (H:MM:SS)")
            } else if let text = value.scalar?.string, text.hasPrefix("-"), case .success = Timecode.parse(String(text.dropFirst())) {
                diagnostics.error(valueLocations[key], "'\(key)' cannot be negative, found \(text)")
            } else if let text = value.scalar?.string, let (field, rewritten) = Self.sixtyOrMore(text) {
                diagnostics.error(valueLocations[key], "'\(key)' is \(text): \(field) must be under 60 after a colon; did you mean \(rewritten)?")
            } else {
                diagnostics.error(valueLocations[key], "'\(key)' must be a duration like 90, 90.5, 1:30 or 1:02:03, found \(Self.describe(value))")
            }
            return nil
        }
        if positive && timecode.nanoseconds == 0 {
            diagnostics.error(valueLocations[key], "'\(key)' must be longer than zero")
            return nil
        }
        return timecode
    }

    /// When `text` is a clock time (`5:75`, `1:70:00`) whose minutes or seconds are 60 or more:
    /// which of them, and the same length written right (`6:15`, `2:10:00`); nil otherwise.
    static func sixtyOrMore(_ text: String) -> (field: String, rewritten: String)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ $0.count <= 6 }),
              parts.dropLast().allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let seconds = Double(parts[parts.count - 1]), seconds >= 0 else { return nil }
        let whole = parts.dropLast().map { Int($0)! }
        let minutes = whole.count == 2 ? whole[1] : whole[0]
        guard seconds >= 60 || (whole.count == 2 && minutes >= 60) else { return nil }
        let total = Double(whole.reduce(0) { $0 * 60 + $1 }) * 60 + seconds
        let wholeSeconds = Int(total)
        let fraction = total - Double(wholeSeconds)
        var rewritten = wholeSeconds >= 3600
            ? String(format: "%d:%02d:%02d", wholeSeconds / 3600, wholeSeconds / 60 % 60, wholeSeconds % 60)
            : String(format: "%d:%02d", wholeSeconds / 60, wholeSeconds % 60)
        if fraction > 0 { rewritten += String(String(format: "%.3f", fraction).dropFirst()) }
        return (seconds >= 60 ? "seconds" : "minutes", rewritten)
    }

    /// The value of a key, reporting a missing required key or an empty value.
    private func present(_ key: String, required: Bool, diagnostics: inout DiagnosticList) -> Node? {
        guard let value = values[key] else {
            if required { diagnostics.error(location, "missing required key '\(key)' in \(context)") }
            return nil
        }
        if let scalar = value.scalar, scalar.string.isEmpty && scalar.style == .plain || (scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string)) {
            diagnostics.error(keyLocations[key], "'\(key)' has no value")
            return nil
        }
        return value
    }

    static func location(of node: Node, in file: String) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// How a value is named in messages: `'text'`, `a list`, `a mapping`.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            return text.count > 40 ? "'\(text.prefix(40))…'" : "'\(text)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Parses YAML text into a node, turning syntax errors into diagnostics.
enum YAMLDocument {
    /// The usual cause of libyaml's "mapping values are not allowed": a text holding ": " left
    /// unquoted (`live: Phone-in: your plans`). Says so, with the line quoted.
    static func colonHint(_ text: String, line: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let general = "a text holding ': ' must be quoted"
        guard line >= 1, line <= lines.count else { return general }
        let written = String(lines[line - 1])
        guard let colon = written.range(of: ": ") else { return general }
        let key = written[..<colon.lowerBound].trimmingCharacters(in: .whitespaces)
        let value = written[colon.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, !value.hasPrefix("\""), !value.hasPrefix("'") else { return general }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\(general): write \(key): \"\(escaped)\""
    }

    static func compose(_ text: String, file: String, diagnostics: inout DiagnosticList) -> Node? {
        if let (line, column, name) = aliasUsedAsKey(in: text) {
            diagnostics.error(SourceLocation(file: file, line: line, column: column),
                              "an alias (*\(name)) is used as a key; keys in Régie's files are plain words like 'title': write the key itself")
            return nil
        }
        do {
            // The basic resolver: every value is read as text by `MappingReader`, so no implicit tag is
            // worth resolving (the default resolver ran a regular expression per scalar, more than a
            // third of the time of a large check).
            guard let node = try Yams.compose(yaml: text, .basic) else {
                diagnostics.error(SourceLocation(file: file, line: 1, column: 1), "the file is empty")
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
                 let .composer(context, problem, mark, _):
                var message = "YAML syntax: \(problem)"
                if let context { message += " (\(context.text) at line \(context.mark.line))" }
                if problem.contains("mapping values are not allowed") {
                    message += "; " + colonHint(text, line: mark.line)
                } else if problem.contains("Maximum nesting level") {
                    message = "YAML syntax: lists or mappings nested more than 1000 levels deep (libyaml's limit); a rundown nests three"
                } else if problem.contains("found another document") {
                    message = "a rundown or show file is one YAML document: a second one starts here ('---'); remove it or move it to its own file"
                } else if problem.contains("cannot start any token"), character(in: text, line: mark.line, column: mark.column) == "\t" {
                    message = "YAML syntax: a tab cannot indent YAML; indent with spaces"
                }
                diagnostics.error(SourceLocation(file: file, line: mark.line, column: mark.column), message)
            case let .duplicatedKeysInMapping(duplicates, context):
                let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                diagnostics.error(SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                                  "key \(names) is given more than once in the same mapping")
            case let .reader(problem, offset, _, _):
                let (line, column) = offset.map { lineColumn(in: text, characterOffset: $0) } ?? (1, 1)
                diagnostics.error(SourceLocation(file: file, line: line, column: column), "cannot read the file: \(problem)")
            default:
                diagnostics.error(SourceLocation(file: file, line: 1, column: 1), "cannot read the YAML: \(error)")
            }
            return nil
        } catch {
            diagnostics.error(SourceLocation(file: file, line: 1, column: 1), "cannot read the YAML: \(error)")
            return nil
        }
    }

    /// The first alias of an anchor of the file written where a key goes (`*big: x`, `? *big`),
    /// with its 1-based line and column. No key of a show or rundown is anything but a word, and
    /// an alias there is the one YAML bomb libyaml's composer cannot take: Yams compares a
    /// mapping's keys by hashing them whole, so an alias of a list of lists used as a key cost
    /// minutes for a 1.5 KB file (found by `scripts/fuzz rundown`). A textual scan: quoted text
    /// and comments are skipped; the name must be an anchor (`&name`) of the same file.
    static func aliasUsedAsKey(in text: String) -> (line: Int, column: Int, name: String)? {
        guard text.utf8.contains(UInt8(ascii: "&")), text.utf8.contains(UInt8(ascii: "*")) else { return nil }
        let bytes = Array(text.utf8)
        func isNameByte(_ b: UInt8) -> Bool {
            !(b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == UInt8(ascii: ",") || b == UInt8(ascii: "[")
              || b == UInt8(ascii: "]") || b == UInt8(ascii: "{") || b == UInt8(ascii: "}") || b == UInt8(ascii: ":"))
        }
        var anchors = Set<ArraySlice<UInt8>>()
        var aliases: [(start: Int, name: ArraySlice<UInt8>, explicitKey: Bool)] = []
        var i = 0
        var quote: UInt8 = 0
        var previousSignificant: UInt8 = 0x0A  // what came before on the line, ignoring spaces
        while i < bytes.count {
            let b = bytes[i]
            if quote != 0 {
                if b == quote {
                    if quote == UInt8(ascii: "'"), i + 1 < bytes.count, bytes[i + 1] == quote { i += 2; continue }
                    quote = 0
                    previousSignificant = b
                } else if quote == UInt8(ascii: "\""), b == UInt8(ascii: "\\") {
                    i += 1
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if previousSignificant == 0x0A || " [{,:-?".utf8.contains(previousSignificant) { quote = b }
                previousSignificant = b
            case UInt8(ascii: "#") where previousSignificant == 0x0A || i == 0 || bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09:
                while i < bytes.count, bytes[i] != 0x0A { i += 1 }
                continue
            case UInt8(ascii: "&"), UInt8(ascii: "*"):
                let startsNode = previousSignificant == 0x0A || " [{,:-?".utf8.contains(previousSignificant)
                var end = i + 1
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                if startsNode, end > i + 1 {
                    let name = bytes[(i + 1)..<end]
                    if b == UInt8(ascii: "&") {
                        anchors.insert(name)
                    } else {
                        var after = end
                        while after < bytes.count, bytes[after] == 0x20 || bytes[after] == 0x09 { after += 1 }
                        let colonKey = after < bytes.count && bytes[after] == UInt8(ascii: ":")
                            && (after + 1 == bytes.count || " \t\r\n,]}".utf8.contains(bytes[after + 1]))
                        if colonKey || previousSignificant == UInt8(ascii: "?") { aliases.append((i, name, !colonKey)) }
                    }
                }
                previousSignificant = bytes[end - 1]
                i = end
                continue
            case 0x0A:
                previousSignificant = 0x0A
            case 0x20, 0x09, 0x0D:
                break
            default:
                previousSignificant = b
            }
            i += 1
        }
        guard let found = aliases.first(where: { anchors.contains($0.name) }) else { return nil }
        let before = bytes[..<found.start]
        let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<found.start], as: UTF8.self).count + 1
        return (line, column, String(decoding: found.name, as: UTF8.self))
    }

    /// The character at a 1-based line and column of `text`, if there is one.
    static func character(in text: String, line: Int, column: Int) -> Character? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return nil }
        let written = lines[line - 1]
        guard column >= 1, column <= written.count else { return nil }
        return written[written.index(written.startIndex, offsetBy: column - 1)]
    }

    static func lineColumn(in text: String, characterOffset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for character in text.prefix(characterOffset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
