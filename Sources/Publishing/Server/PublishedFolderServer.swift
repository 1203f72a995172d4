import Dispatch
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves a published podcast folder read-only over HTTP/1.1 (SwiftNIO, one event loop per core).
///
/// GET and HEAD only; byte ranges, ETag/Last-Modified with 304, no directory listings, nothing
/// outside the folder. One combined-log-format line per request goes to `logger` at `.info`.
/// Files go out with sendfile(2), so memory stays flat whatever the clients; `FolderConnection`
/// keeps the timeouts and `ConnectionTable` the connection limit.
package struct PublishedFolderServer: Sendable {
    /// The folder served at `/`.
    package let root: URL
    /// Address to bind, e.g. `127.0.0.1` or `0.0.0.0`.
    package let host: String
    /// Port to bind; 0 picks a free one (learn it through `onServerRunning`).
    package let port: Int
    /// Access log and server messages.
    package let logger: Logger
    /// Called once the socket is listening, with the bound port.
    package let onServerRunning: @Sendable (Int) async -> Void
    /// Length of the queue of connections not yet accepted. A short one (256) makes clients of a
    /// burst of 1,000 connections wait for SYN retransmits (1 s, 3 s).
    package let backlog: Int
    /// How long a connection may wait for a request to arrive whole (idle between requests, a
    /// request's head half sent, a body trickled), and how long a piece of a response may wait
    /// for a client that does not read, before the connection is closed. nginx's defaults are
    /// 60 s for both (`client_header_timeout`, `send_timeout`); without them, idle sockets filled
    /// the descriptor table and every new request timed out.
    package let timeout: Duration
    /// Connections kept open at most (fewer if the descriptor limit is lower: two descriptors per
    /// connection and a reserve). At the limit a new connection replaces the longest-idle one.
    package let maxConnections: Int

    /// Describes a server; nothing is bound until `run()`.
    package init(root: URL, host: String = "127.0.0.1", port: Int = 8080, logger: Logger, backlog: Int = 4096,
                timeout: Duration = .seconds(60), maxConnections: Int = 16_384,
                onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.backlog = backlog
        self.timeout = timeout
        self.maxConnections = maxConnections
        self.root = root
        self.host = host
        self.port = port
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, lets answers in flight finish (for
    /// up to 10 s) and returns.
    package func run() async throws {
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
        defer {
            for source in signals { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let running = try await start()
        for source in signals {
            source.setEventHandler { running.stop() }
            source.resume()
        }
        await onServerRunning(running.port)
        try await running.untilStopped()
    }

    /// Serves until the calling task is cancelled (no signal handling): for embedding and tests.
    package func runUntilCancelled() async throws {
        let running = try await start()
        try await withTaskCancellationHandler {
            await onServerRunning(running.port)
            try await running.untilStopped()
        } onCancel: {
            running.stop()
        }
    }

    private func start() async throws -> RunningServer {
        let responder = try FolderResponder(root: root)
        let descriptors = ConnectionTable.raiseDescriptorLimit()
        let connections = ConnectionTable(limit: ConnectionTable.limit(descriptors: descriptors, wanted: maxConnections))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let logger = self.logger
        let timeout = TimeAmount.nanoseconds(self.timeout.nanoseconds)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard connections.admit(channel) else {
                    return channel.eventLoop.makeFailedFuture(ServerError.tooManyConnections)
                }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(RequestLineGuard())
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(FolderConnection(responder: responder, logger: logger, timeout: timeout,
                                                             connections: connections))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return RunningServer(group: group, channel: channel, connections: connections)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }
}

/// A bound server: its listening socket, event loops and connections.
private final class RunningServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let connections: ConnectionTable

    init(group: MultiThreadedEventLoopGroup, channel: any Channel, connections: ConnectionTable) {
        self.group = group
        self.channel = channel
        self.connections = connections
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    /// Stops accepting; `untilStopped` then winds the connections down.
    func stop() { channel.close(promise: nil) }

    /// Returns once the listening socket is closed and the connections are gone: idle ones at
    /// once, busy ones when their answers are sent or after 10 s.
    func untilStopped() async throws {
        try? await channel.closeFuture.get()
        let deadline = ContinuousClock.now + .seconds(10)
        while connections.closeIdle() > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        connections.closeAll()
        try await group.shutdownGracefully()
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ attoseconds / 1_000_000_000
    }
}
