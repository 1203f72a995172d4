import NIOCore

/// The first handler of every connection: reads up to the end of the request line and refuses
/// an HTTP/0.9 request (`GET /feed.xml` with no version), which the HTTP/1 parser would wait on
/// forever, with a 400 and a closed connection; any other request line is handed on untouched
/// and the guard leaves the pipeline.
package final class RequestLineGuard: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    package init() {}

    /// Bytes read before the first line ended.
    private var pending: ByteBuffer?
    /// A request line longer than this is left to the HTTP parser's own limits.
    private static let longestLine = 8192

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }
}
