import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Support
import Synchronization

/// One client connection: reads requests (after NIO's HTTP/1 decoder and pipelining handler),
/// answers each from the folder, and keeps the connection's clocks.
///
/// - **Request timeout** (nginx's `client_header_timeout`/`client_body_timeout`, and
///   `keepalive_timeout`): from the moment the connection waits for a request (opened, or the last
///   answer sent) until that request has fully arrived. A silent socket, a half-sent head or a
///   body trickled forever is closed at `timeout`.
/// - **Send timeout** (nginx's `send_timeout`): each piece of a file handed to the socket must be
///   taken by the client within `timeout`, or the connection is closed.
///
/// A file is sent with sendfile(2) in pieces of `piece` bytes, one piece queued at a time: the
/// server holds no file data in memory whatever the number of clients or their speed, and a
/// client that stops reading holds a descriptor until the send timeout, nothing else.
final class FolderConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Bytes of a file queued per sendfile(2) piece. 256 KiB: a listener at 35 kbit/s still
    /// takes one within nginx's 60 s send timeout.
    static let piece: Int64 = 256 << 10

    private let responder: FolderResponder
    private let logger: Logger
    private let timeout: TimeAmount
    private let connections: ConnectionTable
    /// The client's address, for the access log.
    private var remoteAddress = "-"
    /// The request being received (its head came, its end has not).
    private var request: HTTPRequestHead?
    /// The clock running now: the request timeout or the send timeout.
    private var clock: Scheduled<Void>?
    /// The file being sent, closed when its answer is done or the connection goes.
    private var sending: NIOFileHandle?

    init(responder: FolderResponder, logger: Logger, timeout: TimeAmount, connections: ConnectionTable) {
        self.responder = responder
        self.logger = logger
        self.timeout = timeout
        self.connections = connections
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress?.ipAddress ?? "-"
        waitForRequest(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock?.cancel()
        clock = nil
        closeFile()
        connections.closed(ObjectIdentifier(context.channel))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        clock?.cancel()
        closeFile()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            connections.busy(ObjectIdentifier(context.channel))
        case .body:
            break  // GET and HEAD carry no body worth reading; the request clock bounds a long one.
        case .end:
            guard let head = request else { return }
            request = nil
            clock?.cancel()
            clock = nil
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Decoder errors are answered (400) by NIO's error handler before this one; anything
        // else (a reset, a failed write) ends the connection.
        context.close(promise: nil)
    }

    // MARK: Answering

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let answer = responder.answer(method: head.method, uri: head.uri, headers: head.headers)
        if head.method == .HEAD { answer.discard() }
        accessLog(head, status: answer.status, bytes: head.method == .HEAD ? 0 : answer.bodyLength)
        var headers = answer.headers
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: "Regie")
        let keepAlive = head.isKeepAlive
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if head.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))),
                      promise: nil)
        switch head.method == .HEAD ? .none : answer.body {
        case .none:
            finish(keepAlive: keepAlive, context: context)
        case .text(let text):
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            finish(keepAlive: keepAlive, context: context)
        case .file(let file, let range):
            sending = file
            send(file, from: range.lowerBound, through: range.upperBound, keepAlive: keepAlive, context: context)
        }
    }

    /// Queues the next piece of the file; the next is queued when the socket has taken it.
    private func send(_ file: NIOFileHandle, from offset: Int64, through last: Int64, keepAlive: Bool,
                      context: ChannelHandlerContext) {
        let end = min(offset + Self.piece, last + 1)
        let region = FileRegion(fileHandle: file, readerIndex: Int(offset), endIndex: Int(end))
        startClock(context: context)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.body(.fileRegion(region))), promise: written)
        written.futureResult.assumeIsolated().whenComplete { result in
            guard case .success = result, file === self.sending else { return }  // closed meanwhile
            if end <= last {
                self.send(file, from: end, through: last, keepAlive: keepAlive, context: context)
            } else {
                self.finish(keepAlive: keepAlive, context: context)
            }
        }
    }

    /// Ends the answer; then waits for the next request, or closes.
    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        startClock(context: context)
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        done.futureResult.assumeIsolated().whenComplete { result in
            self.closeFile()
            guard case .success = result, keepAlive else {
                context.close(promise: nil)
                return
            }
            self.waitForRequest(context: context)
        }
    }

    private func waitForRequest(context: ChannelHandlerContext) {
        startClock(context: context)
        connections.idle(ObjectIdentifier(context.channel))
    }

    /// (Re)starts the one clock of the connection: at `timeout`, it is closed.
    private func startClock(context: ChannelHandlerContext) {
        clock?.cancel()
        let channel = context.channel
        clock = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    private func closeFile() {
        if let file = sending {
            sending = nil
            try? file.close()
        }
    }

    // MARK: Access log

    /// One line per request in the combined log format (as nginx and Apache write it).
    private func accessLog(_ head: HTTPRequestHead, status: HTTPResponseStatus, bytes: Int) {
        func quoted(_ s: String?) -> String {
            guard let s, !s.isEmpty else { return "\"-\"" }
            // Keep one line per request whatever the client sent.
            guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) else { return "\"" + s + "\"" }
            let safe = s.unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "\\" ? "\\x\(String($0.value, radix: 16))" : String($0)
            }
            return "\"" + safe.joined() + "\""
        }
        let line = "\(remoteAddress) - - [\(HTTPDate.accessLogNow())] "
            + quoted("\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)")
            + " \(status.code) \(bytes) \(quoted(head.headers.first(name: "Referer"))) \(quoted(head.headers.first(name: "User-Agent")))"
        logger.info("\(line)")
    }
}

/// The `Date` header and the access log's time, formatted once per second for all connections.
enum HTTPDate {
    private struct Cached { var second: Int64 = -1; var header = ""; var log = "" }
    private static let cache = Mutex(Cached())

    private static func current() -> Cached {
        let second = WallClock.nanoseconds() / 1_000_000_000
        return cache.withLock { c in
            if c.second != second {
                c = Cached(second: second, header: DateText.httpDate(second), log: DateText.accessLog(second))
            }
            return c
        }
    }

    /// Now, as an HTTP date.
    static func now() -> String { current().header }
    /// Now, as the access log writes it.
    static func accessLogNow() -> String { current().log }
}
