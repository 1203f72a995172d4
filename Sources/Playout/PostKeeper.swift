// Keeps the posts on the station's clock: measures the sound card against the wall clock from
// the render thread's samples, and moves each pending post's programme frame so that its first
// frame sounds at its time.
import Engine
import Foundation
import Realtime
import RegieModel

/// The posts of a live show on the wall clock.
///
/// On the air date, in the slot, a post is at its time of day (the hard end for the back-timed
/// closer): a late start changes nothing of it. Otherwise (a rehearsal) the show's times count from
/// when it started. Each second, every post still to come gets the frame the card will be sounding
/// at its time (`DeviceClock`), and the engine is told when it moved.
///
/// Threading: the control thread.
final class PostKeeper {
    /// The card's clock.
    private(set) var clock: DeviceClock
    private let plan: Plan
    private let send: (EngineCommand) -> Bool
    /// The programme frame last sent for each voice's post.
    private var sent: [Int: Int64] = [:]
    private var lastUpdate: Int64?
    /// Wall time of the top of the slot (ns since 1970), once the show has started: the rundown's
    /// air time on the air date, else the show's first frame.
    private(set) var slotStartWall: Int64?

    /// How often the posts are recomputed.
    static let updateNanoseconds: Int64 = 1_000_000_000

    init(plan: Plan, send: @escaping (EngineCommand) -> Bool) {
        self.plan = plan
        self.send = send
        clock = DeviceClock(nominalRate: plan.sampleRate)
    }

    /// The render thread's samples since the last call.
    func observe(_ samples: SPSCQueue<ClockSample>) {
        while let sample = samples.pop() { clock.observe(wall: sample.wallNanoseconds, frame: sample.sounding) }
    }

    /// Whether `wall` (ns since 1970) is the show itself: on the air date, from five minutes before
    /// air to the hard end.
    static func isOnAir(_ wall: Int64, plan: Plan) -> Bool {
        let air = plan.rundown.air.epochSeconds * 1_000_000_000
        let end = air + FrameMath.nanoseconds(plan.slot, sampleRate: plan.sampleRate)
        return wall >= air - LiveShow.earlyStartNanoseconds && wall < end
    }

    /// The show started at wall time `startWall`: the slot's top is the air time on air, else then.
    func showStarted(atWall startWall: Int64) {
        slotStartWall = Self.isOnAir(startWall, plan: plan) ? plan.rundown.air.epochSeconds * 1_000_000_000 : startWall
    }

    /// The wall time of a post `target` frames into the slot.
    func wall(ofTarget target: Int64) -> Int64? {
        slotStartWall.map { $0 + FrameMath.nanoseconds(target, sampleRate: plan.sampleRate) }
    }

    /// Recomputes the posts still to come (`posts`: the running order's, with their voices) once a
    /// second, and sends those that moved.
    func update(now: Int64, posts: [(voice: Int, target: Int64)]) {
        guard slotStartWall != nil, lastUpdate.map({ now - $0 >= Self.updateNanoseconds }) ?? true else { return }
        lastUpdate = now
        for post in posts {
            guard let wall = wall(ofTarget: post.target), let frame = clock.frame(atWall: wall) else { continue }
            if sent[post.voice] != frame, send(EngineCommand(.setPost, argument: Int32(post.voice), value: frame)) {
                sent[post.voice] = frame
            }
        }
    }
}
