/// A place in a file, 1-based like compilers report it.
package struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The file as given on the command line or resolved from another file.
    package var file: String
    /// Line, from 1.
    package var line: Int
    /// Column in Unicode scalars, from 1.
    package var column: Int

    /// A location.
    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`
    package var description: String { "\(file):\(line):\(column)" }
}

/// A problem found in a show or rundown, printed in the compilers' format so editors can jump to it.
package struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    /// How bad it is.
    package enum Severity: String, Sendable, Codable {
        /// It would not air: `regie check` exits 1.
        case error
        /// It would air but looks wrong.
        case warning
        /// Extra information attached to the diagnostic before it.
        case note
    }

    /// error, warning or note.
    package var severity: Severity
    /// Where; nil for problems that belong to no file position.
    package var location: SourceLocation?
    /// What is wrong, naming the key and what was expected.
    package var message: String

    /// A diagnostic.
    package init(_ severity: Severity, at location: SourceLocation?, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// `path:line:column: error: message`
    package var description: String {
        if let location { return "\(location): \(severity.rawValue): \(message)" }
        return "regie: \(severity.rawValue): \(message)"
    }
}

/// Collects diagnostics while a file is read, so that every problem is reported at once.
package struct DiagnosticList: Sendable {
    /// In the order found.
    package private(set) var all: [Diagnostic] = []

    /// An empty list.
    package init() {}

    /// Adds an error.
    package mutating func error(_ location: SourceLocation?, _ message: String) {
        all.append(Diagnostic(.error, at: location, message))
    }

    /// Adds a warning.
    package mutating func warning(_ location: SourceLocation?, _ message: String) {
        all.append(Diagnostic(.warning, at: location, message))
    }

    /// Adds every diagnostic of another list.
    package mutating func append(contentsOf other: [Diagnostic]) { all.append(contentsOf: other) }

    /// True when at least one error was found.
    package var hasErrors: Bool { all.contains { $0.severity == .error } }

    /// Sorted by file, line, column (stable for equal positions).
    package var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            switch (la, lb) {
            case let (x?, y?):
                if x.file != y.file { return x.file < y.file }
                if x.line != y.line { return x.line < y.line }
                if x.column != y.column { return x.column < y.column }
                return a.offset < b.offset
            case (nil, _?): return false
            case (_?, nil): return true
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }
}
