import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging

/// Serves a published podcast folder read-only over HTTP/1.1 (Hummingbird 2).
///
/// GET and HEAD only; byte ranges, ETag/Last-Modified with 304, no directory listings, nothing
/// outside the folder. One combined-log-format line per request goes to `logger` at `.info`.
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
    /// Length of the queue of connections not yet accepted. Hummingbird's default (256) makes
    /// clients of a burst of 1,000 connections wait for SYN retransmits (1 s, 3 s).
    package let backlog: Int
    /// How long a connection may stay open with no request coming (idle between requests, or a
    /// request's head half sent), and how long one chunk of a response may wait for a client that
    /// does not read, before the connection is closed. nginx's defaults are 60 s for both
    /// (`client_header_timeout`, `send_timeout`); without them, idle sockets filled the
    /// descriptor table and every new request timed out.
    package let timeout: Duration

    /// Describes a server; nothing is bound until `run()`.
    package init(root: URL, host: String = "127.0.0.1", port: Int = 8080, logger: Logger, backlog: Int = 4096,
                timeout: Duration = .seconds(60), onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.backlog = backlog
        self.timeout = timeout
        self.root = root
        self.host = host
        self.port = port
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, lets requests in flight finish and
    /// returns.
    package func run() async throws {
        try await makeApplication().runService()
    }

    /// Serves until the calling task is cancelled (no signal handling): for embedding and tests.
    package func runUntilCancelled() async throws {
        try await makeApplication().run()
    }

    private func makeApplication() throws -> some ApplicationProtocol {
        var responder = try FolderResponder(root: root, logger: logger)
        responder.sendTimeout = timeout
        let onServerRunning = self.onServerRunning
        let http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(timeout.nanoseconds))
        return Application(
            responder: responder,
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: http1))
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "Regie", backlog: backlog),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
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
