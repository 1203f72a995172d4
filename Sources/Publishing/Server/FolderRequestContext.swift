import Hummingbird
import Logging
import NIOCore

/// Request context that remembers the client's address for the access log.
struct FolderRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `-` when unknown.
    let remoteAddress: String
    /// The connection, closed by the responder when a client stops reading (send timeout).
    let channel: any Channel

    /// Creates the context for a request arriving on a channel.
    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "-"
        self.channel = source.channel
    }
}
