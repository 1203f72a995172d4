import Foundation
import Support
import Hummingbird
import NIOCore
import Synchronization
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Answers GET and HEAD for files inside one folder; nothing else.
struct FolderResponder: HTTPResponder {
    typealias Context = FolderRequestContext

    /// The folder, resolved (no symlinks), without a trailing slash.
    let root: String
    /// Where access-log lines go.
    let logger: Logger
    /// The largest body read whole and sent in one piece (a feed, a page, chapters).
    let wholeBodyLimit = 128 * 1024
    /// How long one chunk may wait for a client that does not read before the connection is
    /// closed (nginx's `send_timeout` is 60 s): a client that never reads holds no connection,
    /// file or buffer for longer.
    var sendTimeout: Duration = .seconds(60)

    init(root: URL, logger: Logger) throws {
        guard let resolved = realpath(root.path, nil) else {
            throw ServerError.folderMissing(root.path)
        }
        defer { free(resolved) }
        self.root = String(cString: resolved)
        self.logger = logger
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let response = self.response(to: request, channel: context.channel)
        accessLog(request, context: context, status: response.status, bytes: response.body.contentLength ?? 0)
        return response
    }

    private func response(to request: Request, channel: any Channel) -> Response {
        guard request.method == .get || request.method == .head else {
            return plain(.methodNotAllowed, "Only GET and HEAD are served.\n", extra: [.allow: "GET, HEAD"])
        }
        let relative: [String]
        switch Self.pathSegments(request.uri.path) {
        case .bad: return plain(.badRequest, "Bad path.\n")
        case .hidden: return plain(.notFound, "Not found.\n")
        case .ok(let segments): relative = segments
        }
        let wantsDirectory = request.uri.path.hasSuffix("/") || relative.isEmpty
        var path = ([root] + relative).joined(separator: "/")
        if wantsDirectory { path += "/index.html" }

        // Resolve symlinks and refuse anything that ends up outside the folder.
        guard let resolvedC = realpath(path, nil) else { return plain(.notFound, "Not found.\n") }
        let resolved = String(cString: resolvedC)
        free(resolvedC)
        guard resolved == root || resolved.hasPrefix(root + "/") else { return plain(.notFound, "Not found.\n") }

        // O_NONBLOCK: a FIFO (or a device) dropped in the folder must not hold a thread in
        // open() waiting for a writer; it is refused below as not a regular file. Reads of a
        // regular file do not care for the flag.
        let fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return plain(.notFound, "Not found.\n") }
        let file = OpenFile(fd: fd)
        guard let fileStatus = FileStatus(descriptor: fd) else { return plain(.internalServerError, "Cannot read file.\n") }
        if fileStatus.kind == .directory {
            // A folder without trailing slash: send the browser to the slash form if it has a page.
            let index = resolved + "/index.html"
            if !wantsDirectory, access(index, R_OK) == 0 {
                return plain(.movedPermanently, "Moved.\n", extra: [.location: request.uri.path + "/"])
            }
            return plain(.notFound, "Not found.\n")
        }
        guard fileStatus.kind == .regular else { return plain(.notFound, "Not found.\n") }

        let size = fileStatus.size
        let mtime = fileStatus.modifiedSeconds
        let mtimeNanos = fileStatus.modifiedNanoseconds
        let etag = "\"\(String(size, radix: 16))-\(String(mtimeNanos, radix: 16))\""
        var headers: HTTPFields = [
            .contentType: MediaTypes.forFile(resolved),
            .eTag: etag,
            .lastModified: DateText.httpDate(mtime),
            .acceptRanges: "bytes",
            .cacheControl: MediaTypes.cacheControl(resolved),
        ]
        headers[values: .init("X-Content-Type-Options")!] = ["nosniff"]

        // Conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        if let inm = request.headers[.ifNoneMatch] {
            if Self.matches(inm, etag: etag, weak: true) { return notModified(headers, size: size) }
        } else if let ims = request.headers[.ifModifiedSince].flatMap(DateText.parseHTTPDate), mtime <= ims {
            return notModified(headers, size: size)
        }

        var range: ClosedRange<Int64>?
        if let rangeHeader = request.headers[.range] {
            // If-Range: honour the range only if the client's copy is this exact version.
            var current = true
            if let ifRange = request.headers[.ifRange] {
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
                    headers[.contentRange] = "bytes */\(size)"
                    headers[.contentType] = "text/plain; charset=utf-8"
                    return Response(status: .rangeNotSatisfiable, headers: headers,
                                    body: .init(byteBuffer: ByteBuffer(string: "Range not satisfiable.\n")))
                case .ignore: break
                }
            }
        }

        let status: HTTPResponse.Status
        let bytes: ClosedRange<Int64>?
        if let range {
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            bytes = range
        } else {
            status = .ok
            bytes = size > 0 ? 0...(size - 1) : nil
        }
        let length = bytes.map { Int($0.upperBound - $0.lowerBound + 1) } ?? 0
        headers[.contentLength] = String(length)
        if request.method == .head || bytes == nil {
            return Response(status: status, headers: headers, body: .init())
        }
        // A feed, a page or chapters: read whole and answered in one body, without the stream's
        // pacing (the connection takes it in one write; the kernel's buffer alone holds more).
        if length <= wholeBodyLimit {
            if let body = try? Self.read(file, bytes!) {
                return Response(status: status, headers: headers, body: .init(byteBuffer: body))
            }
            return plain(.internalServerError, "Cannot read file.\n")
        }
        return Response(status: status, headers: headers, body: stream(file, bytes!, on: channel))
    }

    /// Reads `range` of an open file into one buffer (throws when the file shrank meanwhile).
    private static func read(_ file: OpenFile, _ range: ClosedRange<Int64>) throws -> ByteBuffer {
        let count = Int(range.upperBound - range.lowerBound + 1)
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var done = 0
        while done < count {
            let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { raw in
                let got = pread(file.fd, raw.baseAddress, count - done, off_t(range.lowerBound) + off_t(done))
                if got < 0 { throw ServerError.readFailed(errno) }
                return got
            }
            if n == 0 { throw ServerError.readFailed(0) }
            done += n
        }
        return buffer
    }

    /// Streams `range` of an already open file in chunks; memory stays at one chunk per response
    /// and the connection paces the reads (`WritabilityGate`). The open descriptor pins the file version
    /// the headers describe, even if the publisher renames a new one over it meanwhile.
    private func stream(_ file: OpenFile, _ range: ClosedRange<Int64>, on channel: any Channel) -> ResponseBody {
        let sendTimeout = self.sendTimeout
        return ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
            let gate = try await channel.pipeline.handler(type: WritabilityGate.self).get()
            StreamBudget.streams.add(1, ordering: .relaxed)
            defer { StreamBudget.streams.subtract(1, ordering: .relaxed) }
            var offset = range.lowerBound
            while offset <= range.upperBound {
                let end = min(offset + Int64(StreamBudget.chunkSize()), range.upperBound + 1)
                // Throws when the file shrank under us: better than a short body sent as complete.
                let buffer = try Self.read(file, offset...(end - 1))
                offset = end
                // The send timeout: a chunk the client has not taken in time closes the
                // connection (the pending write then fails and the stream ends).
                let watchdog = channel.eventLoop.scheduleTask(in: .nanoseconds(sendTimeout.nanoseconds)) {
                    channel.close(promise: nil)
                }
                defer { watchdog.cancel() }
                try await writer.write(buffer)
                await gate.untilWritable(channel)
            }
            try await writer.finish(nil)
        }
    }

    /// 304 without a body. Its Content-Length, if any, must be the full representation's (a cache
    /// may merge it into what it stored), not the 0 an empty body would otherwise announce.
    private func notModified(_ headers: HTTPFields, size: Int64) -> Response {
        var h = headers
        h[.contentType] = nil
        h[.contentLength] = String(size)
        return Response(status: .notModified, headers: h, body: .init())
    }

    private func plain(_ status: HTTPResponse.Status, _ text: String, extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
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

    enum PathCheck: Equatable { case ok([String]), bad, hidden }

    /// Splits a raw request path into decoded segments. Rejects `.`/`..`, encoded slashes or NULs,
    /// and malformed escapes; hides dot-files (temporary files, the publisher's lock).
    static func pathSegments(_ rawPath: String) -> PathCheck {
        guard rawPath.hasPrefix("/") else { return .bad }
        var out: [String] = []
        var hidden = false
        for seg in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = percentDecode(seg) else { return .bad }
            if decoded == "." || decoded == ".." || decoded.contains("/") || decoded.contains("\\")
                || decoded.contains("\0") {
                return .bad
            }
            if decoded.hasPrefix(".") { hidden = true }
            out.append(decoded)
        }
        return hidden ? .hidden : .ok(out)
    }

    private static func percentDecode(_ s: Substring) -> String? {
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

    private func accessLog(_ request: Request, context: Context, status: HTTPResponse.Status, bytes: Int) {
        func quoted(_ s: String?) -> String {
            guard let s, !s.isEmpty else { return "\"-\"" }
            // Keep one line per request whatever the client sent.
            let safe = s.unicodeScalars.map { $0.value < 0x20 || $0 == "\"" || $0 == "\\" ? "\\x\(String($0.value, radix: 16))" : String($0) }
            return "\"" + safe.joined() + "\""
        }
        let target = request.uri.string
        let line = "\(context.remoteAddress) - - [\(DateText.accessLog(WallClock.nanoseconds() / 1_000_000_000))] "
            + quoted("\(request.method.rawValue) \(target) HTTP/1.1")
            + " \(status.code) \(bytes) \(quoted(request.headers[.referer])) \(quoted(request.headers[.userAgent]))"
        logger.info("\(line)")
    }
}

/// How much of the files being streamed the server holds at once. A chunk costs an event-loop
/// hop and a flush, so few clients go fastest with large chunks; but a client whose connection is
/// full (a slow or stalled listener, or any of 1,000 under load) holds the chunk it was last given,
/// so the chunk shrinks as streams multiply: `budget` over the streams, from 16 to 256 KiB (32 KiB
/// each at 1,000 streams). Measured under `wrk -c1000` on a 480 KB episode (loopback, 2 cores):
/// peak memory 190 MB at 3,700 req/s, against 357 MB with fixed 256 KiB chunks and 143 MB at
/// 2,870 req/s with fixed 32 KiB ones; 1,000 idle connections alone hold 54 MB. Each stream still
/// holds about two chunks where one was meant: not found yet (issue 14).
enum StreamBudget {
    /// Bytes of file data the streams may hold between them.
    static let budget = 32 << 20
    static let smallest = 16 << 10
    static let largest = 256 << 10
    /// Streams sending a file now.
    static let streams = Atomic<Int>(0)

    /// The size of the next chunk of a stream.
    static func chunkSize() -> Int {
        min(largest, max(smallest, budget / max(1, streams.load(ordering: .relaxed))))
    }
}

/// An open file descriptor, closed when the last response using it is gone.
final class OpenFile: Sendable {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

/// Why the server could not start or serve.
package enum ServerError: Error, CustomStringConvertible {
    /// The folder to serve does not exist.
    case folderMissing(String)
    /// Reading a file failed (errno; 0 when the file shrank while being sent).
    case readFailed(Int32)
    /// A client took nothing of a response for the send timeout.
    case clientStalled

    /// A one-line explanation.
    package var description: String {
        switch self {
        case .folderMissing(let p): "folder to serve does not exist: \(p)"
        case .readFailed(let e): e == 0 ? "file shrank while being sent" : "read failed: \(String(cString: strerror(e)))"
        case .clientStalled: "the client read nothing for the send timeout; connection closed"
        }
    }
}
