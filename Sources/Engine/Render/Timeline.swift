// The programme's schedule as it airs: which voice starts when, holds, GO, fades, skips, the
// pause, the posts and the running order's changes, as a state machine over the voice table. It
// moves starts and lengths and sends events; it touches no audio, no ring and no device, so its
// tests drive it block by block with nothing else. Render thread only, no Foundation, no
// allocation after `init` (real-time rules 1–3).
import Realtime
import Synchronization

/// The schedule of the voices, changed by the technician's commands and the clock's posts.
///
/// The schedule is `order`: voice indices in airing order (a voice keeps its table index for
/// good; an edit reorders `order`, adds voices at the table's end and drops pending ones). Each
/// airing item has one voice (silent for a live item without a bed), so moving an item moves
/// everything after it by the same amount:
/// - a live item in interactive mode holds at its planned end (its bed loops on) until GO, and
///   every later voice waits with it;
/// - GO starts the next item now, earlier or later than planned, and everything after follows;
/// - a cut (skip, fade, GO) shortens the current voice and tells the prefetcher through
///   `feedback` how far the voice will be read;
/// - pause freezes every unfinished voice in place;
/// - a hard post starts its voice at its frame whatever is on air (which fades out under it);
///   in automation the live item before it absorbs the clock's drift so that nothing is cut; a
///   soft post makes its voice next at its frame.
/// What happened goes out on `events` at the exact programme frame.
///
/// Threading: `init` on the control side; everything else on the render thread, except
/// `events` (consumer), `droppedEvents` and `hasStarted`, which any thread may read.
final class Timeline {
    /// Whether the technician drives the schedule.
    let mode: PlayoutMode
    /// The voices, moved as the schedule changes.
    let voices: VoiceTable
    /// Shared with the prefetcher: how far each voice will be read, and how much was written.
    let feedback: VoiceFeedback
    /// What happened, for the as-run log and the console (one consumer: the control thread).
    let events: SPSCQueue<MixerEvent>
    /// Events that could not be queued (the control side fell behind).
    let droppedEvents = Atomic<Int>(0)
    /// Raised (any thread may read it) in the block where the show's first item starts.
    let hasStarted = AtomicFlag()

    /// The schedule: voice indices in airing order; positions `0 ..< scheduled` are used.
    let order: UnsafeMutablePointer<Int32>
    /// Positions in `order`. (The schedule's state below is written only by `Timeline` and its
    /// extensions in Timeline+Posts.swift and Timeline+Commands.swift.)
    var scheduled: Int

    /// The first item's first frame once the show has started, else -1 (the recorders take the
    /// programme from there: the wait for the first GO is not recorded).
    private(set) var showStart: Int64 = -1
    /// The programme's end once every item has ended and no cart plays, else -1.
    var finishedAt: Int64 = -1
    /// Every position before this one has ended.
    private(set) var firstUnfinished = 0
    /// The voice waiting for GO, or -1.
    var holdBefore = -1
    /// Whether the timeline runs, is fading to a pause, or is frozen.
    private(set) var pause = PauseState.running
    /// Beds duck under the talk (the technician may lift it).
    private(set) var bedsDucked = true

    /// A bed's fade-out at the end of its item, and GO's fade of a live item's bed, frames.
    let bedRelease: Int64
    /// The shortest fade that does not click (10 ms), frames.
    let declick: Int64
    /// A fade-out (Esc) of an item with no `fade_out` of its own (2 s), frames.
    let defaultFade: Int64
    /// A post within this of where the schedule reaches it (2 ms) is left alone: the clock's
    /// estimate wanders by less, and a schedule that keeps time is then played as planned, to the
    /// frame. Well within the 10 ms a post must be hit by.
    let postTolerance: Int64

    enum PauseState { case running, pausing, paused }

    /// The schedule of `voices` (sorted by start) for `mode`, with room for `capacity` voices in
    /// all (items inserted on air), telling the prefetcher through `feedback` and the control
    /// side through `events`.
    init(voices: [VoiceSpec], capacity: Int? = nil, mode: PlayoutMode, sampleRate: Int, ducking: DuckingSpec,
         feedback: VoiceFeedback, events: SPSCQueue<MixerEvent>) {
        precondition(voices.indices.dropFirst().allSatisfy { voices[$0 - 1].start <= voices[$0].start },
                     "voices must be sorted by start")
        self.mode = mode
        self.voices = VoiceTable(voices: voices, capacity: capacity ?? voices.count, ducking: ducking, sampleRate: sampleRate)
        precondition(feedback.count >= self.voices.capacity, "feedback for every voice the table can hold")
        self.feedback = feedback
        self.events = events
        order = .allocate(capacity: self.voices.capacity)
        for index in 0..<voices.count { order[index] = Int32(index) }
        scheduled = voices.count
        bedRelease = Int64((ducking.release * Double(sampleRate)).rounded())
        declick = Int64(sampleRate / 100)
        defaultFade = Int64(sampleRate * 2)
        postTolerance = Int64(sampleRate / 500)
        if mode == .interactive, !voices.isEmpty { holdBefore = 0 }
    }

    deinit { order.deallocate() }

    /// The state before the first block.
    var initialState: TimelineState {
        var initial = TimelineState()
        initial.holding = holdBefore >= 0 ? voices.states[holdBefore].spec.item : -1
        initial.projectedEnd = scheduled > 0 ? voices.states[voice(at: scheduled - 1)].spec.end : 0
        fillPost(&initial, at: 0)
        return initial
    }

    // MARK: - Voices and positions

    /// The voice at schedule position `k`.
    @inline(__always) func voice(at k: Int) -> Int { Int(order[k]) }

    /// The schedule position of voice `index`, or nil when it is not scheduled.
    @inline(__always) func position(of index: Int) -> Int? {
        var k = 0
        while k < scheduled {
            if Int(order[k]) == index { return k }
            k += 1
        }
        return nil
    }

    /// A live item in interactive mode that GO has not released holds at its end.
    @inline(__always) func isHeld(_ index: Int) -> Bool {
        let voice = voices.states[index]
        return mode == .interactive && voice.spec.isLive && !voice.flags.contains(.released)
    }

    /// Frames the prefetcher writes of a voice in all, when known: what it reported once done,
    /// else the planned length, unless the voice was cut short or loops (then only the prefetcher
    /// knows where it stopped).
    @inline(__always) func deliveredTotal(_ index: Int) -> Int64? {
        let written = feedback.written(index)
        if written >= 0 { return written }
        let voice = voices.states[index]
        return voice.isCutShort || voice.spec.isOpenEnded ? nil : voice.spec.length
    }

    /// Moves `firstUnfinished` past the positions whose voices have ended.
    @inline(__always) func advanceFirstUnfinished() {
        while firstUnfinished < scheduled && voices.states[voice(at: firstUnfinished)].flags.contains(.ended) {
            firstUnfinished += 1
        }
    }

    /// The voice's first frame is in this block: it starts (and says so) unless it already has.
    @inline(__always) private func start(_ index: Int) {
        guard !voices.states[index].flags.contains(.started) else { return }
        voices.states[index].flags.insert(.started)
        emit(MixerEvent(.itemStarted, position: voices.states[index].spec.start, item: voices.states[index].spec.item))
    }

    /// The voice has played its last frame at `end`.
    @inline(__always) private func finish(_ index: Int, at end: Int64) {
        voices.states[index].flags.insert(.ended)
        // A looping bed that ends by itself (automation) stops being fed where it ends.
        let spec = voices.states[index].spec
        if spec.isOpenEnded && spec.hasAudio && voices.states[index].cut == nil {
            feedback.limit(index, to: spec.length)
        }
        if !voices.states[index].flags.contains(.endLogged) {
            voices.states[index].flags.insert(.endLogged)
            emit(MixerEvent(.itemEnded, position: end, item: voices.states[index].spec.item))
        }
    }

    /// Moves the start of every voice from position `k` on that has not started (and, when
    /// paused, of those that have and still sound) by `delta`.
    func shift(from k: Int, by delta: Int64, includingStarted: Bool = false) {
        guard delta != 0 else { return }
        var j = k
        while j < scheduled {
            let i = voice(at: j)
            let flags = voices.states[i].flags
            if flags.isDisjoint(with: .finished) && (includingStarted || !flags.contains(.started)) {
                voices.states[i].spec.start += delta
            }
            j += 1
        }
    }

    /// The first position whose voice has not started (nor been skipped), from `k` on.
    func firstPending(from k: Int = 0) -> Int? {
        var j = max(k, firstUnfinished)
        while j < scheduled {
            if voices.states[voice(at: j)].flags.isDisjoint(with: .startedOrFinished) { return j }
            j += 1
        }
        return nil
    }

    /// The position of the item on air: the latest voice that started and still sounds (or holds).
    func currentPosition(at position: Int64) -> Int? {
        var found: Int?
        var j = firstUnfinished
        while j < scheduled {
            let voice = voices.states[voice(at: j)]
            if !voice.isUnfinished { j += 1; continue }
            if !voice.flags.contains(.started) && voice.spec.start > position { break }
            if voice.isUnfinished && voice.flags.contains(.started) { found = j }
            j += 1
        }
        return found
    }

    /// The voice on air (see `currentPosition`).
    func currentVoice(at position: Int64) -> Int? { currentPosition(at: position).map(voice(at:)) }

    /// Cuts a sounding voice: it fades out over `fade` frames from programme frame `position`.
    /// A fade that would outlast the voice is left out (it ends sooner by itself), unless
    /// `fadingToItsEnd` (a post: what is on air fades out under it from the post, however little
    /// of it is left).
    func cut(_ index: Int, at position: Int64, fade: Int64, fadingToItsEnd: Bool = false) {
        let voice = voices.states[index]
        let from = max(0, position - voice.spec.start)
        var fade = fade
        if fadingToItsEnd && !voice.spec.isOpenEnded && from + fade > voice.spec.length { fade = max(0, voice.spec.length - from) }
        let newEnd = from + fade
        voices.states[index].flags.insert(.released)
        if let cut = voice.cut, cut.end <= newEnd { return }
        if !voice.spec.isOpenEnded && (newEnd > voice.spec.length || (newEnd == voice.spec.length && !fadingToItsEnd)) { return }
        if voice.spec.isOpenEnded && voice.spec.length < newEnd { voices.states[index].spec.length = newEnd }   // a held bed plays its release
        voices.states[index].cut = VoiceCut(start: from, length: fade)
        if voice.spec.hasAudio { feedback.limit(index, to: min(voices.states[index].spec.length, newEnd)) }
    }

    /// A pending voice will not air: skipped, ended, its end told, and its audio not fed (or
    /// thrown away). `event` says why, when it must be told.
    func passOver(_ index: Int, event: MixerEvent.Kind?, at position: Int64) {
        voices.states[index].flags.formUnion(.passedOver)
        if voices.states[index].spec.hasAudio { feedback.limit(index, to: 0) }
        if holdBefore == index { holdBefore = -1 }
        if let event { emit(MixerEvent(event, position: position, item: voices.states[index].spec.item)) }
    }

    // MARK: - Each block

    /// Plays the block `blockStart..<blockEnd` on the timeline (not while paused): every unfinished
    /// voice that starts before its end starts (and says so), `sound` is called for each one with
    /// audio that sounds in it (with the frame where it stops sounding), and the voices that end
    /// in it end — unless they hold for GO.
    @inline(__always)
    func play(blockStart: Int64, blockEnd: Int64, _ sound: (_ voice: Int, _ end: Int64) -> Void) {
        var k = firstUnfinished
        while k < scheduled {
            let index = voice(at: k)
            let voice = voices.states[index]
            if !voice.isUnfinished { k += 1; continue }   // a voice passed over keeps a stale start
            if voice.spec.start >= blockEnd { break }
            do {
                start(index)
                let end = voice.effectiveEnd
                if end > blockStart && voice.spec.hasAudio { sound(index, end) }
                if end <= blockEnd && !isHeld(index) { finish(index, at: end) }
            }
            k += 1
        }
    }

    // MARK: - Before each block

    /// The holds and posts of the next block: paused, every unfinished voice moves on with the
    /// clock; else the wait for GO and the live items held past their end push what follows, and
    /// a post due in the block takes its place.
    func prepareBlock(start blockStart: Int64, frames: Int) {
        if pause == .paused {
            shift(from: firstUnfinished, by: Int64(frames), includingStarted: true)
        } else {
            applyHolds(blockEnd: blockStart + Int64(frames))
            applyPosts(blockStart: blockStart, blockEnd: blockStart + Int64(frames))
        }
    }

    /// Live hold and the wait for GO, before the block's voices are mixed.
    private func applyHolds(blockEnd: Int64) {
        guard mode == .interactive else { return }
        if holdBefore >= 0, let k = position(of: holdBefore) {
            let start = voices.states[holdBefore].spec.start
            if start < blockEnd { shift(from: k, by: blockEnd - start) }
        }
        // A live item at its end without GO: it (and its bed) runs on, and everything after waits.
        var k = firstUnfinished
        while k < scheduled {
            let i = voice(at: k)
            let voice = voices.states[i].spec
            if !voices.states[i].isUnfinished { k += 1; continue }
            if voice.start >= blockEnd { break }
            if isHeld(i) && voice.end < blockEnd {
                let delta = blockEnd - voice.end
                let oldEnd = voice.end
                voices.states[i].spec.length += delta
                var j = k + 1
                while j < scheduled {
                    let later = self.voice(at: j)
                    if voices.states[later].flags.isDisjoint(with: .startedOrFinished)
                        && voices.states[later].spec.start >= oldEnd {
                        voices.states[later].spec.start += delta
                    }
                    j += 1
                }
            }
            k += 1
        }
    }

    // MARK: - Commands

    /// Applies a timeline command (GO, fade, skip, pause, ducking, a post's move, an edit) at
    /// programme frame `position`; `appliedAt` (CLOCK_MONOTONIC ns) goes back with the answering
    /// event. Carts are not the timeline's: the mixer's cart player takes them.
    func apply(_ command: EngineCommand, at position: Int64, appliedAt: Int64, edit: ScheduleEdit? = nil) {
        switch command.kind {
        case .go: go(at: position, command, appliedAt: appliedAt)
        case .fade: fadeOut(at: position, command, appliedAt: appliedAt)
        case .skip: skip(at: position, command, appliedAt: appliedAt)
        case .pauseResume:
            if pause == .running { pause = .pausing } else { resume(at: position) }
        case .toggleDuck: bedsDucked.toggle()
        case .fadeBeds: fadeBeds(at: position, command, appliedAt: appliedAt)
        case .setPost: setPost(voice: Int(command.argument), to: command.value, now: position)
        case .edit:
            if let edit, edit.id == command.value, apply(edit, at: position) {
                emit(MixerEvent(.editApplied, answering: command, appliedAt: appliedAt, position: position, detail: edit.id))
            } else {
                emit(MixerEvent(.editRejected, answering: command, appliedAt: appliedAt, position: position, detail: command.value))
            }
        case .cart: break
        }
    }

    /// Where the last sounding voice ends (the programme's end when nothing is pending); with
    /// `before`, of the voices before that position in the order.
    func lastEnd(at position: Int64, before k: Int? = nil) -> Int64 {
        var end = position
        var j = firstUnfinished
        while j < (k ?? scheduled) {
            let state = voices.states[voice(at: j)]
            if state.isUnfinished { end = max(end, state.effectiveEnd) }
            j += 1
        }
        return end
    }

    func resume(at position: Int64) {
        guard pause != .running else { return }
        if pause == .paused { emit(MixerEvent(.resumed, position: position)) }
        pause = .running   // the mixer ramps the gain back up from where it is
    }

    /// The mixer's de-click fade reached silence: the timeline freezes from `position` on.
    func completePause(at position: Int64) {
        pause = .paused
        emit(MixerEvent(.paused, position: position))
    }

    // MARK: - Events and state

    /// Queues an event for the control side (counted, never waited for, when the queue is full).
    @inline(__always) func emit(_ event: MixerEvent) {
        if showStart < 0 && event.kind == .itemStarted { showStart = event.position; hasStarted.raise() }
        if !events.push(event) { droppedEvents.add(1, ordering: .relaxed) }
    }

    /// The schedule after the block that ends at `position`, for the console; notes the
    /// programme's end once every item has ended and no cart plays.
    func state(at position: Int64, cartsPlaying: UInt32) -> TimelineState {
        advanceFirstUnfinished()
        var s = TimelineState()
        s.position = position
        let current = currentVoice(at: position)
        s.current = current.map { voices.states[$0].spec.item } ?? -1
        s.currentStart = current.map { voices.states[$0].spec.start } ?? -1
        s.holding = holdBefore >= 0 ? voices.states[holdBefore].spec.item : -1
        if let current, isHeld(current) {
            s.liveOverrun = voices.states[current].spec.end <= position
        }
        s.paused = pause != .running
        s.bedsDucked = bedsDucked
        s.cartsPlaying = cartsPlaying
        s.projectedEnd = lastEnd(at: position)
        fillPost(&s, at: position)
        if finishedAt < 0 && firstUnfinished >= scheduled && holdBefore < 0 && cartsPlaying == 0 {
            var last: Int64 = 0
            for v in 0..<voices.count where !voices.states[v].flags.contains(.skipped) {
                last = max(last, voices.states[v].effectiveEnd)
            }
            finishedAt = max(last, 0)
        }
        s.finishedAt = finishedAt
        return s
    }
}
