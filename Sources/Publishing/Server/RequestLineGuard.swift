import HummingbirdCore
import Logging
import NIOCore

/// The first handler of every connection: reads up to the end of the request line and refuses
/// an HTTP/0.9 request (`GET /feed.xml` with no version), which the HTTP/1 parser would wait on
/// forever, with a 400 and a closed connection; any other request line is handed on untouched
/// and the guard leaves the pipeline.
final class RequestLineGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes read before the first line ended.
    private var pending: ByteBuffer?
    /// A request line longer than this is left to the HTTP parser's own limits.
    private static let longestLine = 8192

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var earlier = pending {
            earlier.writeBuffer(&buffer)
            buffer = earlier
            pending = nil
        }
        let bytes = buffer.readableBytesView
        // Empty lines before a request line are allowed (RFC 9112 §2.2): skip them.
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }),
              let end = bytes[first...].firstIndex(of: UInt8(ascii: "\n")) else {
            if bytes.count > Self.longestLine { handOn(buffer, context: context) } else { pending = buffer }
            return
        }
        var line = bytes[first..<end]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if Self.isHTTP09(line) { refuse(context: context) } else { handOn(buffer, context: context) }
    }

    /// A request line of a method and a target and no version: `GET /path`.
    static func isHTTP09<Line: Collection>(_ line: Line) -> Bool where Line.Element == UInt8 {
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard let last = words.last else { return false }
        return words.count < 3 && !last.starts(with: Array("HTTP/".utf8))
    }

    private func handOn(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(buffer))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(context: ChannelHandlerContext) {
        let body = "HTTP/0.9 requests are not served: send HTTP/1.0 or HTTP/1.1.\n"
        let head = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let reply = context.channel.allocator.buffer(string: head + body)
        context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }
}

/// Hummingbird's HTTP/1 channel with `RequestLineGuard` in front of its parser and a
/// `WritabilityGate` for the response streams.
struct GuardedHTTP1Channel: HTTPChannelHandler {
    let inner: HTTP1Channel

    var responder: Responder { inner.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestLineGuard())
            try channel.pipeline.syncOperations.addHandler(WritabilityGate())
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Tells a response stream when its connection can take more: Hummingbird's body writer takes a
/// chunk at once whenever the connection last said it was writable, so a stream that only awaited
/// it queued megabytes for a client that did not read (about 4 MiB a client, issue 14). The
/// stream awaits `untilWritable` after each chunk: on the event loop, behind the write it just
/// handed over, so the connection's writability is up to date; it resumes when NIO's buffer has
/// drained below its low watermark, or when the connection closes.
final class WritabilityGate: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    /// Streams waiting for the connection to drain (touched on its event loop only).
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Returns once `channel` is writable again, or closed.
    func untilWritable(_ channel: any Channel) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            channel.eventLoop.execute {
                if channel.isWritable || !channel.isActive { continuation.resume() } else { self.waiting.append(continuation) }
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { resumeAll() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        resumeAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { resumeAll() }

    private func resumeAll() {
        let resumed = waiting
        waiting.removeAll()
        for continuation in resumed { continuation.resume() }
    }
}
