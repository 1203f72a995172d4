/// Where a station's published folders are mirrored: `ssh://[user@]host[:port]/path`. A show's
/// folder `<publish>/<show>/` goes to `<path>/<show>/` on the host.
package struct RemoteDestination: Sendable, Equatable, Codable, CustomStringConvertible {
    package var user: String?
    package var host: String
    package var port: Int?
    /// The folder on the host (absolute, or relative to the user's home), without a trailing slash.
    package var path: String

    /// Reads `ssh://[user@]host[:port]/path`; the reason when it is not one.
    package static func parse(_ text: String) -> Result<RemoteDestination, ParseError> {
        guard text.hasPrefix("ssh://") else { return .failure(ParseError(text: text, reason: "it must start with ssh://")) }
        let rest = text.dropFirst("ssh://".count)
        guard let slash = rest.firstIndex(of: "/") else {
            return .failure(ParseError(text: text, reason: "it names no folder: ssh://user@host/path/to/podcasts"))
        }
        var authority = rest[..<slash]
        var path = String(rest[slash...])
        // `ssh://host/~/podcasts` or `ssh://host/podcasts`: relative to the home folder.
        if path.hasPrefix("/~/") { path = String(path.dropFirst(3)) }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        var user: String?
        if let at = authority.lastIndex(of: "@") {
            user = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
            if user!.isEmpty { return .failure(ParseError(text: text, reason: "the user before '@' is empty")) }
            if user!.contains(":") {
                return .failure(ParseError(text: text, reason: "a password does not go in the address: Régie logs in with an SSH key"))
            }
            // A POSIX user name: it reaches ssh's command line.
            guard user!.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), user!.first != "-" else {
                return .failure(ParseError(text: text, reason: "'\(user!)' is not a user name (letters, digits, '.', '_', '-')"))
            }
        }
        var port: Int?
        if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(ParseError(text: text, reason: "the port must be a number from 1 to 65535"))
            }
            port = number
            authority = authority[..<colon]
        }
        guard !authority.isEmpty, authority.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
            return .failure(ParseError(text: text, reason: "'\(authority)' is not a host name"))
        }
        guard !path.isEmpty, path != "/" else { return .failure(ParseError(text: text, reason: "it names no folder on the host")) }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            return .failure(ParseError(text: text, reason: "the folder holds a control character"))
        }
        return .success(RemoteDestination(user: user, host: String(authority), port: port, path: path))
    }

    package var description: String {
        "ssh://" + (user.map { "\($0)@" } ?? "") + host + (port.map { ":\($0)" } ?? "") + (path.hasPrefix("/") ? "" : "/~/") + path
    }

    /// Why a text is not a destination.
    package struct ParseError: Error, Equatable, CustomStringConvertible {
        /// The text, a password in it masked.
        package var text: String
        package var reason: String
        package var description: String { "'\(text)' is not a remote destination: \(reason)" }

        init(text: String, reason: String) {
            self.text = RemoteDestination.masked(text)
            self.reason = reason
        }
    }

    /// `text` with a password in its address (`ssh://user:password@host/…`) replaced by `***`, for
    /// messages: a password is never repeated on a terminal or in a log.
    package static func masked(_ text: String) -> String {
        let parts = text.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        // "ssh:", "", the authority, the path.
        guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty else { return text }
        let authority = parts[2]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<authority.index(after: colon)]) + "***" + String(text[at...])
    }
}

