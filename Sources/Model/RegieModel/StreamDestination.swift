/// One Icecast mount the live show streams to: `icecast://[user@]host:port/mount` plus what
/// Icecast shows of the stream. The password is never part of it (nor of the address): it is read
/// at air time from `passwordFile` or the environment variable `REGIE_ICECAST_PASSWORD`.
package struct StreamDestination: Sendable, Equatable, CustomStringConvertible {
    /// The source user (Icecast's default `source` when the address leaves it out).
    package var user: String
    package var host: String
    package var port: Int
    /// The mount, with its leading slash (`/live.mp3`).
    package var mount: String
    /// A file holding the source password (its first line), relative paths resolved by the reader.
    package var passwordFile: String?
    /// Shown by Icecast and directories.
    package var name: String?
    package var streamDescription: String?
    package var genre: String?
    /// Listed in Icecast's public directories (YP).
    package var isPublic = false
    /// What listeners open (the feed's `podcast:liveItem` enclosure, the page's player); default
    /// `http://host:port/mount`.
    package var listenURL: String?

    package init(user: String = "source", host: String, port: Int, mount: String) {
        self.user = user; self.host = host; self.port = port; self.mount = mount
    }

    /// The address listeners use.
    package var publicURL: String { listenURL ?? "http://\(host):\(port)\(mount)" }

    /// `icecast://user@host:port/mount` (never a password).
    package var description: String { "icecast://\(user)@\(host):\(port)\(mount)" }

    /// Reads `icecast://[user@]host[:port]/mount` (port 8000 when left out); the reason when it
    /// is not one.
    package static func parse(_ text: String) -> Result<StreamDestination, RemoteDestination.ParseError> {
        func failure(_ reason: String) -> Result<StreamDestination, RemoteDestination.ParseError> {
            .failure(RemoteDestination.ParseError(text: text, reason: reason))
        }
        guard text.hasPrefix("icecast://") else { return failure("it must start with icecast://") }
        let rest = text.dropFirst("icecast://".count)
        guard let slash = rest.firstIndex(of: "/") else { return failure("it names no mount: icecast://source@host:8000/live.mp3") }
        var authority = rest[..<slash]
        let mount = String(rest[slash...])
        var user = "source"
        if let at = authority.lastIndex(of: "@") {
            let written = authority[..<at]
            if written.contains(":") {
                return failure("a password does not go in the address: use 'password_file' or REGIE_ICECAST_PASSWORD")
            }
            guard !written.isEmpty, written.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                return failure("'\(written)' is not a user name")
            }
            user = String(written)
            authority = authority[authority.index(after: at)...]
        }
        var port = 8000
        if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return failure("the port must be a number from 1 to 65535")
            }
            port = number
            authority = authority[..<colon]
        }
        guard !authority.isEmpty, authority.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
            return failure("'\(authority)' is not a host name")
        }
        guard mount.count > 1, mount.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "?" && $0 != "#" }) else {
            return failure("the mount must be a path such as /live.mp3")
        }
        return .success(StreamDestination(user: user, host: String(authority), port: port, mount: mount))
    }
}
