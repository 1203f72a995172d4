// Messages between the control side and the render thread, and the per-voice counters the mixer
// and the prefetcher share. Plain data only: they cross threads through SPSC queues, latest-value
// slots and atomics, never through locks (real-time rules 3 and 4). No Foundation here.
import Synchronization

/// How the schedule runs.
package enum PlayoutMode: UInt8, Sendable, BitwiseCopyable {
    /// The plan's fitted schedule: every item follows the previous one, live items last their
    /// planned length. GO, skip and fade still work; nothing ever waits for them.
    case automation
    /// The technician drives: the show waits for GO at the top, a live item holds at its end until
    /// GO, and a fade-out (Esc) leaves the next item waiting for GO.
    case interactive
}

/// A command for the render thread, applied at the start of the next block.
package struct EngineCommand: BitwiseCopyable, Sendable, Equatable {
    /// What to do.
    package enum Kind: UInt8, BitwiseCopyable, Sendable {
        /// Start the next item now (ending the current live item, or segueing out of the current one).
        case go
        /// Fade out everything on the timeline; the next item then waits for GO (interactive).
        case fade
        /// Cut the current item and go on with the next; with nothing on air, pass over the item
        /// waiting for GO.
        case skip
        /// Pause or resume the timeline (carts keep playing).
        case pauseResume
        /// Fire the cart `argument` (index in the show's cart wall), or stop it if it plays.
        case cart
        /// Ducking of beds on or off.
        case toggleDuck
        /// Move voice `argument`'s post to programme frame `value` (the sound card's clock
        /// measured against the station's).
        case setPost
        /// Fade out the beds on air (over the ducking release); their items go on, silent.
        case fadeBeds
        /// Apply the running-order change waiting in the mixer's `ScheduleEdit` mailbox
        /// (`value` = its id).
        case edit
    }

    /// What to do.
    package var kind: Kind
    /// The cart index for `.cart`.
    package var argument: Int32
    /// When the technician asked, CLOCK_MONOTONIC nanoseconds (0: unknown): reported back with the
    /// event, so the key-to-programme latency can be measured.
    package var requestedAt: Int64
    /// The programme position the console saw when the key was pressed (`TimelineState.position`),
    /// or -1: reported back with the event, so the delay can be counted in frames.
    package var requestedPosition: Int64
    /// Kind-specific number (`.setPost`: the frame; `.edit`: the edit's id).
    package var value: Int64

    /// A command.
    package init(_ kind: Kind, argument: Int32 = -1, value: Int64 = 0, requestedAt: Int64 = 0, requestedPosition: Int64 = -1) {
        self.kind = kind; self.argument = argument; self.value = value; self.requestedAt = requestedAt
        self.requestedPosition = requestedPosition
    }
}

/// What happened on the timeline, reported by the render thread at the programme frame it happened.
package struct MixerEvent: BitwiseCopyable, Sendable, Equatable {
    /// The kinds of events.
    package enum Kind: UInt8, BitwiseCopyable, Sendable {
        /// An item's first frame (`item`).
        case itemStarted
        /// An item ended: its last frame, or GO ending a live item (`item`).
        case itemEnded
        /// The technician skipped an item, on air or waiting (`item`).
        case itemSkipped
        /// The technician faded an item out (`item`; `detail` = fade length, frames).
        case itemFaded
        /// A cart started (`cart`).
        case cartFired
        /// A playing cart was stopped by its key (`cart`).
        case cartStopped
        /// The timeline paused (after its de-click fade).
        case paused
        /// The timeline resumed.
        case resumed
        /// The schedule waits for GO before `item`.
        case holding
        /// `item` will not air: a post passed it over (`detail` 0), or it waited past a soft post.
        case itemDropped
        /// A hard post started `item` at its time, over what was on air (`detail`: how many frames
        /// later the schedule would have reached it; 0 when it was waiting for GO or nothing).
        case postForced
        /// A soft post made `item` next at its time.
        case postMadeNext
        /// The running-order change `detail` (its id) was applied.
        case editApplied
        /// The running-order change `detail` was refused: the schedule moved on before it arrived
        /// (the control side plans it again).
        case editRejected
        /// The beds on air faded out (`item`: the item whose bed it was).
        case bedFaded
    }

    /// What happened.
    package var kind: Kind
    /// Programme frame (output position; paused time included).
    package var position: Int64
    /// Rundown item index, or -1.
    package var item: Int32
    /// Cart index, or -1.
    package var cart: Int32
    /// Kind-specific number (fade length).
    package var detail: Int64
    /// For events caused by a command: the command's `requestedAt` (CLOCK_MONOTONIC ns), else 0.
    package var requestedAt: Int64
    /// For events caused by a command: when the render thread applied it (CLOCK_MONOTONIC ns).
    package var appliedAt: Int64
    /// For events caused by a command: the command's `requestedPosition`, else -1.
    package var requestedPosition: Int64

    /// An event the timeline caused by itself (an item reaching its start or its end).
    package init(_ kind: Kind, position: Int64, item: Int32 = -1, cart: Int32 = -1, detail: Int64 = 0) {
        self.kind = kind; self.position = position; self.item = item; self.cart = cart; self.detail = detail
        requestedAt = 0; appliedAt = 0; requestedPosition = -1
    }

    /// The event that answers `command`, applied at `appliedAt` (CLOCK_MONOTONIC ns): it carries
    /// the command's request time and position back, so the console can measure the key's delay.
    package init(_ kind: Kind, answering command: EngineCommand, appliedAt: Int64, position: Int64, item: Int32 = -1,
                 cart: Int32 = -1, detail: Int64 = 0) {
        self.init(kind, position: position, item: item, cart: cart, detail: detail)
        requestedAt = command.requestedAt
        self.appliedAt = appliedAt
        requestedPosition = command.requestedPosition
    }
}

/// A voice given a ring on air (`ProgrammeMixer.assignments`): the prefetcher feeds it into that
/// ring after the voices given the ring before it.
package struct SlotAssignment: BitwiseCopyable, Sendable, Equatable {
    /// The voice.
    package var voice: Int32
    /// Its ring.
    package var slot: Int32
}

/// A change of the running order on its way to the render thread: the control side fills it,
/// sends `.edit` with its id, and waits for `editApplied` or `editRejected` before filling it
/// again (one in flight). Preallocated; the command queue's release/acquire publishes it.
package final class ScheduleEdit: @unchecked Sendable {
    /// Entries it can hold.
    package let capacity: Int
    /// The pending schedule from the first item that has not started: voice indices in airing
    /// order (`voices[0 ..< count]`), each starting `offsets[k]` frames after the first one.
    package let voices: UnsafeMutablePointer<Int32>
    package let offsets: UnsafeMutablePointer<Int64>
    /// A live voice's new length (the re-fit squeezes or stretches live items), or -1 to keep it.
    /// Audio items keep theirs (the engine's posts cut them when they must).
    package let lengths: UnsafeMutablePointer<Int64>
    /// Each voice's crossfades into and out of it with its new neighbours.
    package let crossfadeIns: UnsafeMutablePointer<Int64>
    package let crossfadeOuts: UnsafeMutablePointer<Int64>
    /// How much the first pending item overlaps the end of the item on air (its crossfade).
    package var overlapIntoFirst: Int64 = 0
    /// The crossfade out of the item on air into its new next one (-1: leave it).
    package var currentCrossfadeOut: Int64 = -1
    /// Entries used.
    package var count = 0
    /// The voice the control side saw first in the pending schedule, or -1 when none: the render
    /// thread refuses the edit when its own first pending voice differs.
    package var expectedFirst: Int32 = -1
    /// New voices (inserted items) to add to the table first, from index `newFirst`.
    package let newVoices: UnsafeMutablePointer<VoiceSpec>
    package var newCount = 0
    package var newFirst: Int32 = 0
    /// Its id (the command's `value`).
    package var id: Int64 = 0

    /// A mailbox for up to `capacity` entries and new voices.
    package init(capacity: Int) {
        self.capacity = capacity
        voices = .allocate(capacity: capacity)
        offsets = .allocate(capacity: capacity)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: -1, count: capacity)
        crossfadeIns = .allocate(capacity: capacity)
        crossfadeIns.initialize(repeating: -1, count: capacity)
        crossfadeOuts = .allocate(capacity: capacity)
        crossfadeOuts.initialize(repeating: -1, count: capacity)
        newVoices = .allocate(capacity: capacity)
    }

    deinit {
        voices.deallocate(); offsets.deallocate(); lengths.deallocate(); newVoices.deallocate()
        crossfadeIns.deallocate(); crossfadeOuts.deallocate()
    }
}

/// The schedule's state after each block, for the console (a `LatestValue`).
package struct TimelineState: BitwiseCopyable, Sendable, Equatable {
    /// Programme frame of the next block.
    package var position: Int64 = 0
    /// Rundown index of the item on air (the latest one started and still sounding), or -1.
    package var current: Int32 = -1
    /// Rundown index of the item waiting for GO, or -1.
    package var holding: Int32 = -1
    /// True while a live item runs past its planned end waiting for GO.
    package var liveOverrun: Bool = false
    /// True while the timeline is paused (or fading to pause).
    package var paused: Bool = false
    /// True when beds are ducked.
    package var bedsDucked: Bool = true
    /// Bit n set while cart n plays.
    package var cartsPlaying: UInt32 = 0
    /// Where the last item will end if everything from now runs as planned, programme frames.
    package var projectedEnd: Int64 = 0
    /// Set once every item has ended and no cart plays: the programme's last frame + 1, else -1.
    package var finishedAt: Int64 = -1
    /// The next post's item (rundown index), or -1.
    package var nextPostItem: Int32 = -1
    /// The next post's programme frame, or -1.
    package var nextPostFrame: Int64 = -1
    /// Whether the next post is soft.
    package var nextPostIsSoft: Bool = false
    /// Where what comes before the next post ends, as things stand (a GO now, live items at
    /// their planned lengths), programme frames; -1 without a post. Against `nextPostFrame`: the
    /// show's over or under at that post (a hard post cuts the over, the under is dead air).
    package var endBeforeNextPost: Int64 = -1
    /// The programme frame the item on air started on, moved on by the time it was paused (so
    /// position - currentStart is how much of it has played), or -1.
    package var currentStart: Int64 = -1

    /// The state before the first block.
    package init() {}
}

/// Per-voice counters shared by the mixer (render thread) and the prefetcher: how many frames the
/// mixer will take from a voice (lowered when it cuts a voice short), and how many the prefetcher
/// wrote in all once it has finished with it. With both, the mixer discards exactly the frames of
/// a cut voice that are still in its ring, and the prefetcher stops decoding it.
package final class VoiceFeedback: @unchecked Sendable {
    /// No limit (the voice plays its whole length, or loops until cut).
    package static let unlimited = Int64.max
    private let limits: UnsafeMutablePointer<Atomic<Int64>>
    private let totals: UnsafeMutablePointer<Atomic<Int64>>
    /// Voices counted.
    package let count: Int

    /// Counters for `count` voices: no limits, nothing written.
    package init(count: Int) {
        self.count = count
        limits = .allocate(capacity: max(1, count))
        totals = .allocate(capacity: max(1, count))
        for index in 0..<max(1, count) {
            (limits + index).initialize(to: Atomic(Self.unlimited))
            (totals + index).initialize(to: Atomic(-1))
        }
    }

    deinit {
        limits.deinitialize(count: max(1, count)); limits.deallocate()
        totals.deinitialize(count: max(1, count)); totals.deallocate()
    }

    /// Render thread: the voice will be read up to `frames` frames and no further.
    @inline(__always) package func limit(_ voice: Int, to frames: Int64) {
        limits[voice].store(frames, ordering: .sequentiallyConsistent)
    }

    /// Prefetcher: frames the voice may still need in all.
    @inline(__always) package func limit(of voice: Int) -> Int64 {
        limits[voice].load(ordering: .sequentiallyConsistent)
    }

    /// Prefetcher: it has written `frames` frames of the voice and will write no more.
    @inline(__always) package func finish(_ voice: Int, wrote frames: Int64) {
        totals[voice].store(frames, ordering: .sequentiallyConsistent)
    }

    /// Render thread: frames the prefetcher wrote of the voice in all, or -1 while it may write more.
    @inline(__always) package func written(_ voice: Int) -> Int64 {
        totals[voice].load(ordering: .sequentiallyConsistent)
    }
}
