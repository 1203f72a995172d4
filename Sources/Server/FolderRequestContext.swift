import Hummingbird
import Logging

/// Request context that remembers the client's address for the access log.
public struct FolderRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `-` when unknown.
    public let remoteAddress: String

    /// Creates the context for a request arriving on a channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "-"
    }
}
