import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Support
import Synchronization

/// One client connection: reads requests (after NIO's HTTP/1 decoder), answers each from the
/// folder in order, and keeps the connection's clocks.
///
/// It writes the response bytes itself (status line and headers in one buffer, then the body):
/// NIO's response encoder, header validator, error handler and pipelining handler cost a third
/// of the server's time under load, for headers the server makes itself.
///
/// - **Pipelining**: requests that arrive while one is answered wait in order; the socket is not
///   read further while one waits (back-pressure), as NIO's pipelining handler does.
/// - **Request timeout** (nginx's `client_header_timeout`/`client_body_timeout`, and
///   `keepalive_timeout`): from the moment the connection waits for a request (opened, or the last
///   answer sent) until that request has fully arrived. A silent socket, a half-sent head or a
///   body trickled forever is closed at `timeout`.
/// - **Send timeout** (nginx's `send_timeout`): each piece of a response handed to the socket
///   must be taken by the client within `timeout`, or the connection is closed.
///
/// A file is sent with sendfile(2) in pieces of `piece` bytes, one piece queued at a time: the
/// server holds no file data in memory whatever the number of clients or their speed, and a
/// client that stops reading holds a descriptor until the send timeout, nothing else. Small
/// files come from `FileVersionCache`, one shared copy for all clients.
package final class FolderConnection: ChannelDuplexHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundIn = IOData
    package typealias OutboundOut = IOData

    /// Bytes of a file queued per sendfile(2) piece. 256 KiB: a listener at 35 kbit/s still
    /// takes one within nginx's 60 s send timeout.
    static let piece: Int64 = 256 << 10
    /// Requests received whole that may wait while one is answered; past it, reading stops.
    static let waitingRequests = 4

    private let responder: FolderResponder
    private let logger: Logger
    private let timeout: TimeAmount
    private let connections: ConnectionTable
    /// The client's address, for the access log.
    private var remoteAddress = "-"
    /// The request being received (its head came, its end has not).
    private var request: HTTPRequestHead?
    /// Whether an answer is being written.
    private var answering = false
    /// Requests received whole while one was answered, in order.
    private var waiting: [HTTPRequestHead] = []
    /// A read the channel asked for while requests wait, let through when they are answered.
    private var readHeld = false
    /// The client closed its side after its requests: close once they are answered.
    private var inputClosed = false
    /// When the connection is closed unless the clock is restarted (the request timeout or the
    /// send timeout, whichever runs now).
    private var deadline = NIODeadline.distantFuture
    /// The one timer task of the connection; it fires at or after `deadline` and looks again.
    /// Restarting the clock moves `deadline` only: scheduling and cancelling a timer for every
    /// request and piece cost a tenth of the server's time under load.
    private var clock: Scheduled<Void>?
    /// The file being sent, closed when its answer is done or the connection goes.
    private var sending: NIOFileHandle?

    package init(responder: FolderResponder, logger: Logger, timeout: TimeAmount, connections: ConnectionTable) {
        self.responder = responder
        self.logger = logger
        self.timeout = timeout
        self.connections = connections
    }

    package func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress?.ipAddress ?? "-"
        waitForRequest(context: context)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        clock?.cancel()
        clock = nil
        closeFile()
        connections.closed(ObjectIdentifier(context.channel))
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        clock?.cancel()
        closeFile()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            connections.busy(ObjectIdentifier(context.channel))
        case .body:
            break  // GET and HEAD carry no body worth reading; the request clock bounds a long one.
        case .end:
            guard let head = request else { return }
            request = nil
            if answering {
                waiting.append(head)
            } else {
                respond(to: head, context: context)
            }
        }
    }

    /// Holds the channel's reads while requests wait to be answered.
    package func read(context: ChannelHandlerContext) {
        if waiting.count >= Self.waitingRequests || (answering && inputClosed) {
            readHeld = true
        } else {
            context.read()
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // A client may send its request and shut its side (`printf … | nc`): answer it first.
            inputClosed = true
            if !answering && request == nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request the decoder refuses gets a 400 unless an answer is on its way; then, or for
        // anything else (a reset, a failed write), the connection ends.
        guard error is HTTPParserError, !answering else {
            context.close(promise: nil)
            return
        }
        answering = true
        let text = "Bad request.\n"
        let head = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(string: head + text))))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: Answering

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        answering = true
        let answer = responder.answer(method: head.method, uri: head.uri, headers: head.headers)
        accessLog(head, status: answer.status, bytes: head.method == .HEAD ? 0 : answer.bodyLength)
        let keepAlive = head.isKeepAlive && !inputClosed
        context.write(wrapOutboundOut(.byteBuffer(Self.responseHead(answer, keepAlive: keepAlive, http10: head.version.minor == 0,
                                                                    allocator: context.channel.allocator))),
                      promise: nil)
        switch head.method == .HEAD ? .none : answer.body {
        case .none:
            finish(keepAlive: keepAlive, context: context)
        case .text(let text):
            context.write(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(string: text))), promise: nil)
            finish(keepAlive: keepAlive, context: context)
        case .bytes(let bytes):
            context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
            finish(keepAlive: keepAlive, context: context)
        case .file(let file, let range):
            sending = file
            send(file, from: range.lowerBound, through: range.upperBound, keepAlive: keepAlive, context: context)
        }
    }

    /// The status line and headers of `answer`, as they go on the wire.
    static func responseHead(_ answer: FolderAnswer, keepAlive: Bool, http10: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 512)
        out.writeString("HTTP/1.1 \(answer.status.code) \(answer.status.reasonPhrase)\r\n")
        for (name, value) in answer.headers {
            out.writeString(name)
            out.writeString(": ")
            // Values are the server's own; a request path echoed in Location cannot hold a
            // line break (the decoder refuses control characters), but never let one through.
            if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                out.writeString(String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
            } else {
                out.writeString(value)
            }
            out.writeString("\r\n")
        }
        out.writeString("Date: ")
        out.writeString(HTTPDate.now())
        out.writeString("\r\nServer: Regie\r\n")
        if !keepAlive {
            out.writeString("Connection: close\r\n")
        } else if http10 {
            out.writeString("Connection: keep-alive\r\n")
        }
        out.writeString("\r\n")
        return out
    }

    /// Queues the next piece of the file; the next is queued when the socket has taken it.
    private func send(_ file: NIOFileHandle, from offset: Int64, through last: Int64, keepAlive: Bool,
                      context: ChannelHandlerContext) {
        let end = min(offset + Self.piece, last + 1)
        let region = FileRegion(fileHandle: file, readerIndex: Int(offset), endIndex: Int(end))
        startClock(context: context)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.fileRegion(region)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { result in
            guard case .success = result, file === self.sending else { return }  // closed meanwhile
            if end <= last {
                self.send(file, from: end, through: last, keepAlive: keepAlive, context: context)
            } else {
                self.finish(keepAlive: keepAlive, context: context)
            }
        }
    }

    /// Ends the answer once the socket has taken it; then answers the next request waiting,
    /// waits for one, or closes.
    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        startClock(context: context)
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: done)
        done.futureResult.assumeIsolated().whenComplete { result in
            self.closeFile()
            self.answering = false
            guard case .success = result, keepAlive else {
                context.close(promise: nil)
                return
            }
            if !self.waiting.isEmpty {
                self.respond(to: self.waiting.removeFirst(), context: context)
            } else if self.inputClosed {
                context.close(promise: nil)
                return
            } else {
                self.waitForRequest(context: context)
            }
            if self.readHeld, self.waiting.count < Self.waitingRequests {
                self.readHeld = false
                context.read()
            }
        }
    }

    private func waitForRequest(context: ChannelHandlerContext) {
        startClock(context: context)
        connections.idle(ObjectIdentifier(context.channel))
    }

    /// (Re)starts the one clock of the connection: at `timeout` from now, it is closed.
    private func startClock(context: ChannelHandlerContext) {
        deadline = .now() + timeout
        if clock == nil { scheduleClock(context: context) }
    }

    private func scheduleClock(context: ChannelHandlerContext) {
        clock = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.clock = nil
            if NIODeadline.now() >= self.deadline {
                context.close(promise: nil)
            } else {
                self.scheduleClock(context: context)
            }
        }
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
