import Console
import Foundation
import Logging
import Podcast
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
    /// (its `title:`, else what `live:` names it, else the show's name), a segment its title; nil for a jingle (what was shown stays).
    static func streamTitle(of item: Item, show: String) -> String? {
        let title = item.title.flatMap { $0.isEmpty ? nil : $0 }
        switch item.kind {
        case .jingle: return nil
        case .music:
            let name = title ?? item.value
            return item.artist.map { "\($0) — \(name)" } ?? name
        case .live: return title ?? (item.value.isEmpty ? show : item.value)   // `live: Welcome and headlines`
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

    /// The live show in the feed and on the page (`podcast:liveItem`): `live` when it starts,
    /// `ended` when it is over (then the published episode replaces it). Only for a show that
    /// streams, publishes, and is the real one (a rehearsal is never announced). On the
    /// announcements' own queue, in order; the web host follows when the station names one
    /// (one attempt: a failure leaves the mirror pending like any other).
    func announceLive(_ status: PodcastLiveItem.Status, startWall: Int64?, wait: Bool) {
        let plan = configuration.plan
        guard configuration.publish, let stream = configuration.streams.first?.destination,
              let number = plan.rundown.episode, let startWall else { return }
        let (air, slotEnd) = Self.slot(of: plan)
        guard Self.startsInSlot(startWall, plan: plan),
              let channel = try? PodcastMapping.channel(for: plan.rundown.show) else { return }
        let folder = configuration.publishFolder ?? URL(fileURLWithPath: "public/\(plan.rundown.show.slug)")
        let item = PodcastLiveItem(status: status, number: number, title: plan.rundown.title,
                                   start: air / 1_000_000_000, end: slotEnd / 1_000_000_000,
                                   utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds, streamURL: stream.publicURL,
                                   guid: Publisher.liveGUID(channel: channel, number: number))
        let (remote, logger) = (configuration.remote, self.logger)
        let work: @Sendable () -> Void = {
            do {
                try Publisher().announceLive(item, channel: channel, in: folder)
                if let remote { _ = remote.publish(folder: folder, show: plan.rundown.show.slug, retryFor: 0) }
            } catch {
                logger.warning("the feed could not announce the live show (\(status.rawValue)): \(error)")
            }
        }
        if wait { announcements.sync(execute: work) } else { announcements.async(execute: work) }
    }

    /// The slot on the air date, wall nanoseconds: from the air time to the hard end.
    static func slot(of plan: Plan) -> (air: Int64, end: Int64) {
        let air = plan.rundown.air.epochSeconds * 1_000_000_000
        return (air, air + FrameMath.nanoseconds(plan.slot, sampleRate: plan.sampleRate))
    }

    /// A run that started at `startWall` is the show (not a rehearsal): from a little before the
    /// air time (a GO a few minutes early) to the hard end.
    static func startsInSlot(_ startWall: Int64, plan: Plan) -> Bool {
        let (air, end) = slot(of: plan)
        return startWall >= air - earlyStartNanoseconds && startWall < end
    }
}
