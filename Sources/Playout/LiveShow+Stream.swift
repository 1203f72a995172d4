import Console
import Foundation
import Production
import RegieModel
import Stream

/// What the stream thread said, kept for the control thread (the tracker is the control
/// thread's).
final class StreamEventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [StreamEvent] = []
    func add(_ event: StreamEvent) { lock.withLock { events.append(event) } }
    func take() -> [StreamEvent] { lock.withLock { defer { events.removeAll() }; return events } }
}

extension LiveShow {
    /// What Icecast shows while `item` is on air: music "Artist — Title", a live item its title
    /// (else the show's name), a segment its title; nil for a jingle (what was shown stays).
    static func streamTitle(of item: Item, show: String) -> String? {
        let title = item.title.flatMap { $0.isEmpty ? nil : $0 }
        switch item.kind {
        case .jingle: return nil
        case .music:
            let name = title ?? item.value
            return item.artist.map { "\($0) — \(name)" } ?? name
        case .live: return title ?? show
        default: return title ?? show
        }
    }

    /// The stream's connections lost and made again, on the console's status line (or standard
    /// error) and in the as-run log. They never count against the episode: the recordings are
    /// whole whatever the stream does.
    static func raiseStreamEvents(_ events: [StreamEvent], tracker: OnAirTracker, position: Int64) {
        for event in events {
            switch event {
            case .connected(let destination, let again):
                if again { tracker.raise(.info, "stream \(destination.mount) back on air", logging: .streamBack, position: position) }
            case .down(let destination, let reason, let retry, let refused):
                tracker.raise(refused ? .alarm : .warning,
                              "stream \(destination.mount) DOWN: \(reason); trying again in \(Int(retry)) s",
                              logging: .streamDown, position: position)
            }
        }
    }
}
