import Console
import Engine
import Foundation
import Glibc
import Logging
import Production
import Realtime
import RegieModel
import Support
import Synchronization

// The live show on the station's clock: when automation waits for its air time, the wait itself,
// and each poll's work for the posts (the card measured, the posts kept, a late start noticed,
// the running order's change sent).

extension LiveShow.Configuration {
    /// When automation should wait for: the air time, when `now` is on the air date (in the
    /// rundown's own time zone) and before it; nil otherwise (another day: a rehearsal, or
    /// already past: a late start, at once).
    package static func waitForAir(_ air: AirTime, now: Int64) -> Int64? {
        let airWall = air.epochSeconds * 1_000_000_000
        let offset = Int64(air.utcOffsetSeconds)
        func day(_ wall: Int64) -> Int64 { Int64(((Double(wall) / 1e9 + Double(offset)) / 86_400).rounded(.down)) }
        guard day(now) == day(airWall), now < airWall else { return nil }
        return airWall
    }
}

extension LiveShow {
    /// Automation before its air time: waits on the station's clock (the console drawn, its keys
    /// read: space starts now, q quits), then returns within a millisecond of `startAt`.
    static func waitForAir(_ startAt: Int64, configuration: Configuration, console: LiveConsole?,
                                   stop: AtomicFlag, logger: Logger) {
        let clock = configuration.wallClock
        if console == nil {
            let left = FrameMath.format(frames: max(0, startAt - clock()) / 1_000_000, sampleRate: 1000)
            logger.notice("waiting for the air time \(configuration.plan.rundown.air.clock(after: 0, sampleRate: 1000)) (in \(left)); --now starts at once")
        }
        console?.waitingForAir = startAt
        defer { console?.waitingForAir = nil }
        while !stop.isRaised {
            let left = startAt - clock()
            if left <= 0 { return }
            if left < 30_000_000 {
                // The last stretch slept exactly: the first item within a millisecond of its time.
                usleep(useconds_t(left / 1000))
                return
            }
            if let console {
                console.update(position: 0)
                if console.quit { stop.raise() }
                if console.startNow { return }
            } else {
                usleep(useconds_t(min(left - 25_000_000, 100_000_000) / 1000))
            }
        }
    }

    /// A late start (on the air date) is said, and what is to come re-fitted to the posts, once.
    static let lateStartToleranceNanoseconds: Int64 = 10_000_000_000

    /// Each poll: the card's clock measured, the posts kept on the station's clock, a late start
    /// noticed, and the running order's change sent when one waits.
    static func keepTheClock(plan: Plan, position: Int64, wall: Int64, loop: RenderLoop, tracker: OnAirTracker,
                             runningOrder: RunningOrder, posts: PostKeeper) {
        let rate = plan.sampleRate
        posts.observe(loop.clockSamples)
        if posts.slotStartWall == nil, let startWall = tracker.showStartWall {
            posts.showStarted(atWall: startWall)
            let air = plan.rundown.air.epochSeconds * 1_000_000_000
            if PostKeeper.isOnAir(startWall, plan: plan), startWall - air > lateStartToleranceNanoseconds {
                let late = FrameMath.format(frames: (startWall - air) * Int64(rate) / 1_000_000_000, sampleRate: rate)
                tracker.raise(.alarm, "the show started \(late) late: the posts and the hard end stay on the clock; what is to come is re-fitted to them",
                              logging: .lateStart, position: position)
                try? runningOrder.make(.refit)
            }
        }
        // The posts still to come, each at its offset from the top of the slot.
        var pending: [(voice: Int, target: Int64)] = []
        for id in runningOrder.upcoming where !runningOrder.excluded.contains(id) {
            guard let voice = runningOrder.voiceOf[id] else { continue }
            let item = runningOrder.items[id]
            if let at = item.at {
                pending.append((voice, at.seconds(after: plan.rundown.air) * Int64(rate)))
            } else if item.backtime, let entry = runningOrder.plan.entries.first(where: { $0.item.index == id }) {
                pending.append((voice, plan.slot - entry.writtenLength))
            }
        }
        posts.update(now: wall, posts: pending)
        // A change of the running order: what is to come starts when the item on air ends.
        let state = loop.framesOut.load(ordering: .relaxed)
        let current = tracker.items.indices.first { tracker.items[$0].state == .onAir }
        var anchor = wall
        if let current, let entry = runningOrder.plan.entries.first(where: { $0.item.index == current }),
           let start = tracker.items[current].actualStart {
            anchor += FrameMath.nanoseconds(max(0, start + entry.length - Int64(state)), sampleRate: rate)
        }
        let slotStart = posts.slotStartWall ?? plan.rundown.air.epochSeconds * 1_000_000_000
        runningOrder.flush(anchorWall: anchor, hardEnd: slotStart + FrameMath.nanoseconds(plan.slot, sampleRate: rate),
                           onAir: current)
    }
}
