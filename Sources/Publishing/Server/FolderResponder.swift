import Foundation
import CLinux
import Support
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// What the server sends for one request, decided before anything is written.
struct FolderAnswer {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body

    enum Body {
        /// Headers only (HEAD, 304, an empty file).
        case none
        /// A short message of the server's own.
        case text(String)
        /// Bytes of an open file, sent with sendfile(2) straight from the page cache. The
        /// descriptor pins the version the headers describe, even if the publisher renames a new
        /// file over it meanwhile; whoever sends the answer closes it.
        case file(NIOFileHandle, ClosedRange<Int64>)
        /// Bytes of a small file, shared with every other client of the same version.
        case bytes(ByteBuffer)
    }

    /// Bytes the body holds (the access log's size).
    var bodyLength: Int {
        switch body {
        case .none: 0
        case .text(let t): t.utf8.count
        case .file(_, let r): Int(r.upperBound - r.lowerBound + 1)
        case .bytes(let b): b.readableBytes
        }
    }
}

/// Decides the answer to GET and HEAD for files inside one folder; nothing else. Pure file-system
/// lookups, no I/O on the connection: `FolderConnection` puts the answer on the wire.
package struct FolderResponder: Sendable {
    /// The folder, resolved (no symlinks), without a trailing slash.
    let root: String
    /// The folder, open, for lookups that cannot leave it (kept for the life of the process).
    private let rootDescriptor: Int32
    /// Whether the kernel resolves paths beneath a folder itself (openat2); without it each path
    /// is resolved with realpath(3) and compared with the folder.
    private let resolvesBeneath: Bool
    /// Headers and small files of the versions served lately.
    private let versions = FileVersionCache()

    package init(root: URL) throws {
        guard let resolved = realpath(root.path, nil) else {
            throw ServerError.folderMissing(root.path)
        }
        defer { free(resolved) }
        self.root = String(cString: resolved)
        rootDescriptor = open(self.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootDescriptor >= 0 else { throw ServerError.folderMissing(root.path) }
        let probe = regie_open_beneath(rootDescriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        resolvesBeneath = probe >= 0
        if probe >= 0 { close(probe) }
    }

    /// The answer to a request for `uri` (as sent: origin or absolute form).
    func answer(method: HTTPMethod, uri: String, headers requestHeaders: HTTPHeaders) -> FolderAnswer {
        guard method == .GET || method == .HEAD else {
            return plain(.methodNotAllowed, "Only GET and HEAD are served.\n", extra: [("Allow", "GET, HEAD")])
        }
        let rawPath = Self.path(ofTarget: uri)
        let relative: [String]
        switch Self.pathSegments(rawPath) {
        case .bad: return plain(.badRequest, "Bad path.\n")
        case .hidden: return plain(.notFound, "Not found.\n")
        case .ok(let segments): relative = segments
        }
        let wantsDirectory = rawPath.hasSuffix("/") || relative.isEmpty
        var path = relative.joined(separator: "/")
        if wantsDirectory { path += path.isEmpty ? "index.html" : "/index.html" }

        // A small file served lately: while the path still names that very version (same
        // inode, size and time: the publisher replaces files by renaming new ones over them),
        // its kept bytes are the answer, with one stat and no open. (The version was opened
        // inside the folder when it was kept.)
        if let known = versions.known(path), known.bytes != nil,
           let now = FileStatus(path: path, inFolder: rootDescriptor), known.describes(now) {
            return fileAnswer(known, fd: -1, method: method, requestHeaders: requestHeaders)
        }
        // O_NONBLOCK: a FIFO (or a device) dropped in the folder must not hold a thread in
        // open() waiting for a writer; it is refused below as not a regular file. Reads of a
        // regular file do not care for the flag.
        let fd = openInside(path)
        guard fd >= 0 else { return plain(.notFound, "Not found.\n") }
        guard let fileStatus = FileStatus(descriptor: fd) else {
            close(fd)
            return plain(.internalServerError, "Cannot read file.\n")
        }
        if fileStatus.kind == .directory {
            close(fd)
            // A folder without trailing slash: send the browser to the slash form if it has a page.
            let index = openInside(path + "/index.html")
            if index >= 0 { close(index) }
            if !wantsDirectory, index >= 0 {
                return plain(.movedPermanently, "Moved.\n", extra: [("Location", rawPath + "/")])
            }
            return plain(.notFound, "Not found.\n")
        }
        guard fileStatus.kind == .regular else {
            close(fd)
            return plain(.notFound, "Not found.\n")
        }
        let version = versions.version(of: path, fd: fd, status: fileStatus)
        let answer = fileAnswer(version, fd: fd, method: method, requestHeaders: requestHeaders)
        if case .file = answer.body {} else { close(fd) }
        return answer
    }

    /// The answer for one version of a file: headers, conditional request and range decided;
    /// a body of `.file` takes over `fd`, any other answer leaves it to the caller (a version
    /// with its bytes never answers `.file`).
    private func fileAnswer(_ version: FileVersion, fd: Int32, method: HTTPMethod, requestHeaders: HTTPHeaders) -> FolderAnswer {
        let size = version.size
        let mtime = version.modifiedSeconds
        let etag = version.etag
        var headers = HTTPHeaders([
            ("Content-Type", version.contentType),
            ("ETag", etag),
            ("Last-Modified", version.lastModified),
            ("Accept-Ranges", "bytes"),
            ("Cache-Control", version.cacheControl),
            ("X-Content-Type-Options", "nosniff"),
        ])

        // Conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        if let inm = requestHeaders.first(name: "If-None-Match") {
            if Self.matches(inm, etag: etag, weak: true) { return notModified(headers, size: size) }
        } else if let ims = requestHeaders.first(name: "If-Modified-Since").flatMap(DateText.parseHTTPDate), mtime <= ims {
            return notModified(headers, size: size)
        }

        var range: ClosedRange<Int64>?
        if let rangeHeader = requestHeaders.first(name: "Range") {
            // If-Range: honour the range only if the client's copy is this exact version.
            var current = true
            if let ifRange = requestHeaders.first(name: "If-Range") {
                if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") {
                    current = Self.matches(ifRange, etag: etag, weak: false)
                } else {
                    current = DateText.parseHTTPDate(ifRange) == mtime
                }
            }
            if current {
                switch ByteRangeRequest.parse(rangeHeader, size: size) {
                case .satisfiable(let r): range = r
                case .unsatisfiable:
                    headers.replaceOrAdd(name: "Content-Range", value: "bytes */\(size)")
                    headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
                    let text = "Range not satisfiable.\n"
                    headers.replaceOrAdd(name: "Content-Length", value: String(text.utf8.count))
                    return FolderAnswer(status: .rangeNotSatisfiable, headers: headers, body: .text(text))
                case .ignore: break
                }
            }
        }

        let status: HTTPResponseStatus
        let bytes: ClosedRange<Int64>?
        if let range {
            status = .partialContent
            headers.add(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound)/\(size)")
            bytes = range
        } else {
            status = .ok
            bytes = size > 0 ? 0...(size - 1) : nil
        }
        let length = bytes.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        headers.add(name: "Content-Length", value: String(length))
        guard method == .GET, let bytes else { return FolderAnswer(status: status, headers: headers, body: .none) }
        if let whole = version.bytes {
            let slice = whole.getSlice(at: Int(bytes.lowerBound), length: Int(length))!
            return FolderAnswer(status: status, headers: headers, body: .bytes(slice))
        }
        return FolderAnswer(status: status, headers: headers, body: .file(NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd), bytes))
    }

    /// Opens `path` (relative, already checked segment by segment) only if it resolves inside the
    /// folder; -1 otherwise.
    private func openInside(_ path: String) -> Int32 {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK
        if resolvesBeneath {
            let fd = regie_open_beneath(rootDescriptor, path, flags)
            // EXDEV: the path climbs out, or crosses an absolute symbolic link, which may still
            // lead back inside (a published `latest.mp3` → `/srv/podcast/show/ep.mp3`).
            if fd >= 0 || errno != EXDEV { return fd }
        }
        // Resolve symlinks and refuse anything that ends up outside the folder.
        guard let resolvedC = realpath(root + "/" + path, nil) else { return -1 }
        let resolved = String(cString: resolvedC)
        free(resolvedC)
        guard resolved == root || resolved.hasPrefix(root + "/") else { return -1 }
        return open(resolved, flags)
    }

    /// The path of a request target: origin form (`/a/b?q`) as is, absolute form
    /// (`http://host/a/b`) without scheme and authority; query and fragment dropped.
    package static func path(ofTarget target: String) -> String {
        var t = Substring(target)
        if let q = t.firstIndex(where: { $0 == "?" || $0 == "#" }) { t = t[..<q] }
        if !t.hasPrefix("/"), let scheme = t.range(of: "://") {
            let afterAuthority = t[scheme.upperBound...]
            t = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        return String(t)
    }

    /// 304 without a body. Its Content-Length, if any, must be the full representation's (a cache
    /// may merge it into what it stored), not the 0 an empty body would otherwise announce.
    private func notModified(_ headers: HTTPHeaders, size: Int64) -> FolderAnswer {
        var h = headers
        h.remove(name: "Content-Type")
        h.replaceOrAdd(name: "Content-Length", value: String(size))
        return FolderAnswer(status: .notModified, headers: h, body: .none)
    }

    private func plain(_ status: HTTPResponseStatus, _ text: String, extra: [(String, String)] = []) -> FolderAnswer {
        var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(text.utf8.count))])
        headers.add(contentsOf: extra)
        return FolderAnswer(status: status, headers: headers, body: .text(text))
    }

    /// Whether an `If-None-Match` / `If-Range` value names `etag` (`*` matches anything).
    static func matches(_ header: String, etag: String, weak: Bool) -> Bool {
        for raw in header.split(separator: ",") {
            var tag = raw.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return weak }
            if tag.hasPrefix("W/") {
                if !weak { continue }  // strong comparison never matches a weak tag
                tag.removeFirst(2)
            }
            if tag == etag { return true }
        }
        return false
    }

    package enum PathCheck: Equatable { case ok([String]), bad, hidden }

    /// Splits a raw request path into decoded segments. Rejects `.`/`..`, encoded slashes or NULs,
    /// and malformed escapes; hides dot-files (temporary files, the publisher's lock).
    package static func pathSegments(_ rawPath: String) -> PathCheck {
        guard rawPath.hasPrefix("/") else { return .bad }
        var out: [String] = []
        var hidden = false
        for seg in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = percentDecode(seg) else { return .bad }
            if decoded == "." || decoded == ".."
                || decoded.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == 0 }) {
                return .bad
            }
            if decoded.hasPrefix(".") { hidden = true }
            out.append(decoded)
        }
        return hidden ? .hidden : .ok(out)
    }

    private static func percentDecode(_ s: Substring) -> String? {
        if !s.utf8.contains(UInt8(ascii: "%")) { return String(s) }  // most paths: nothing to decode
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: b - 0x30
            case 0x41...0x46: b - 0x41 + 10
            case 0x61...0x66: b - 0x61 + 10
            default: nil
            }
        }
        while let b = it.popFirst() {
            if b == 0x25 {
                guard let h = it.popFirst().flatMap(hex), let l = it.popFirst().flatMap(hex) else { return nil }
                bytes.append(h << 4 | l)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

}
/// Why the server could not start or serve.
package enum ServerError: Error, CustomStringConvertible {
    /// The folder to serve does not exist.
    case folderMissing(String)
    /// Every connection the server may keep is busy answering.
    case tooManyConnections

    /// A one-line explanation.
    package var description: String {
        switch self {
        case .folderMissing(let p): "folder to serve does not exist: \(p)"
        case .tooManyConnections: "every connection the server may keep is busy; new one closed"
        }
    }
}
