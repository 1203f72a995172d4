// The programme's schedule as it airs: which voice starts when, holds, GO, fades, skips and the
// pause, as a state machine over the voice table. It moves starts and lengths and sends events;
// it touches no audio, no ring and no device, so its tests drive it block by block with nothing
// else. Render thread only, no Foundation, no allocation after `init` (real-time rules 1–3).
import Realtime
import Synchronization

/// The schedule of the voices, changed by the technician's commands.
///
/// The timeline is one voice per airing item (silent for a live item without a bed), so moving
/// an item moves everything after it by the same amount:
/// - a live item in interactive mode holds at its planned end (its bed loops on) until GO, and
///   every later voice waits with it;
/// - GO starts the next item now, earlier or later than planned, and everything after follows;
/// - a cut (skip, fade, GO) shortens the current voice and tells the prefetcher through
///   `feedback` how far the voice will be read;
/// - pause freezes every unfinished voice in place.
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

    /// The first item's first frame once the show has started, else -1 (the recorders take the
    /// programme from there: the wait for the first GO is not recorded).
    private(set) var showStart: Int64 = -1
    /// The programme's end once every item has ended and no cart plays, else -1.
    private(set) var finishedAt: Int64 = -1
    /// Every voice before this one has ended.
    private(set) var firstUnfinished = 0
    /// The voice waiting for GO, or -1.
    private(set) var holdBefore = -1
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

    enum PauseState { case running, pausing, paused }

    /// The schedule of `voices` (sorted by start) for `mode`, telling the prefetcher through
    /// `feedback` and the control side through `events`.
    init(voices: [VoiceSpec], mode: PlayoutMode, sampleRate: Int, ducking: DuckingSpec, feedback: VoiceFeedback,
         events: SPSCQueue<MixerEvent>) {
        precondition(voices.indices.dropFirst().allSatisfy { voices[$0 - 1].start <= voices[$0].start },
                     "voices must be sorted by start")
        self.mode = mode
        self.voices = VoiceTable(voices: voices, ducking: ducking, sampleRate: sampleRate)
        self.feedback = feedback
        self.events = events
        bedRelease = Int64((ducking.release * Double(sampleRate)).rounded())
        declick = Int64(sampleRate / 100)
        defaultFade = Int64(sampleRate * 2)
        if mode == .interactive, !voices.isEmpty { holdBefore = 0 }
    }

    /// The state before the first block.
    var initialState: TimelineState {
        var initial = TimelineState()
        initial.holding = holdBefore >= 0 ? voices.states[holdBefore].spec.item : -1
        initial.projectedEnd = voices.states.last.map { $0.spec.end } ?? 0
        return initial
    }

    // MARK: - Voices

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

    /// Moves `firstUnfinished` past the voices that have ended.
    @inline(__always) func advanceFirstUnfinished() {
        while firstUnfinished < voices.count && voices.states[firstUnfinished].flags.contains(.ended) {
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
        if !voices.states[index].flags.contains(.endLogged) {
            voices.states[index].flags.insert(.endLogged)
            emit(MixerEvent(.itemEnded, position: end, item: voices.states[index].spec.item))
        }
    }

    /// Moves the start of every voice from `index` on that has not started (and, when paused,
    /// of those that have and still sound) by `delta`.
    private func shift(from index: Int, by delta: Int64, includingStarted: Bool = false) {
        guard delta != 0 else { return }
        var i = index
        while i < voices.count {
            let flags = voices.states[i].flags
            if flags.isDisjoint(with: .finished) && (includingStarted || !flags.contains(.started)) {
                voices.states[i].spec.start += delta
            }
            i += 1
        }
    }

    /// The first voice that has not started (nor been skipped), from `index` on.
    private func firstPending(from index: Int = 0) -> Int? {
        var i = max(index, firstUnfinished)
        while i < voices.count {
            if voices.states[i].flags.isDisjoint(with: .startedOrFinished) { return i }
            i += 1
        }
        return nil
    }

    /// The item on air: the latest voice that started and still sounds (or holds).
    func currentVoice(at position: Int64) -> Int? {
        var found: Int?
        var i = firstUnfinished
        while i < voices.count {
            let voice = voices.states[i]
            if !voice.flags.contains(.started) && voice.spec.start > position { break }
            if voice.isUnfinished && voice.flags.contains(.started) { found = i }
            i += 1
        }
        return found
    }

    /// Cuts a sounding voice: it fades out over `fade` frames from programme frame `position`.
    private func cut(_ index: Int, at position: Int64, fade: Int64) {
        let voice = voices.states[index]
        let from = max(0, position - voice.spec.start)
        let newEnd = from + fade
        voices.states[index].flags.insert(.released)
        if let cut = voice.cut, cut.end <= newEnd { return }
        if !voice.spec.isOpenEnded && newEnd >= voice.spec.length { return }   // it ends sooner by itself
        if voice.spec.isOpenEnded && voice.spec.length < newEnd { voices.states[index].spec.length = newEnd }   // a held bed plays its release
        voices.states[index].cut = VoiceCut(start: from, length: fade)
        if voice.spec.hasAudio { feedback.limit(index, to: min(voices.states[index].spec.length, newEnd)) }
    }

    // MARK: - Each block

    /// Plays the block `blockStart..<blockEnd` on the timeline (not while paused): every unfinished
    /// voice that starts before its end starts (and says so), `sound` is called for each one with
    /// audio that sounds in it (with the frame where it stops sounding), and the voices that end
    /// in it end — unless they hold for GO.
    @inline(__always)
    func play(blockStart: Int64, blockEnd: Int64, _ sound: (_ voice: Int, _ end: Int64) -> Void) {
        var index = firstUnfinished
        while index < voices.count {
            let voice = voices.states[index]
            if voice.spec.start >= blockEnd { break }
            if voice.isUnfinished {
                start(index)
                let end = voice.effectiveEnd
                if end > blockStart && voice.spec.hasAudio { sound(index, end) }
                if end <= blockEnd && !isHeld(index) { finish(index, at: end) }
            }
            index += 1
        }
    }

    // MARK: - Before each block

    /// The holds of the next block: paused, every unfinished voice moves on with the clock; else
    /// the wait for GO and the live items held past their end push what follows.
    func prepareBlock(start blockStart: Int64, frames: Int) {
        if pause == .paused {
            shift(from: firstUnfinished, by: Int64(frames), includingStarted: true)
        } else {
            applyHolds(blockEnd: blockStart + Int64(frames))
        }
    }

    /// Live hold and the wait for GO, before the block's voices are mixed.
    private func applyHolds(blockEnd: Int64) {
        guard mode == .interactive else { return }
        if holdBefore >= 0 {
            let start = voices.states[holdBefore].spec.start
            if start < blockEnd { shift(from: holdBefore, by: blockEnd - start) }
        }
        // A live item at its end without GO: it (and its bed) runs on, and everything after waits.
        var i = firstUnfinished
        while i < voices.count {
            let voice = voices.states[i].spec
            if voice.start >= blockEnd { break }
            if voices.states[i].isUnfinished && isHeld(i) && voice.end < blockEnd {
                let delta = blockEnd - voice.end
                let oldEnd = voice.end
                voices.states[i].spec.length += delta
                var j = i + 1
                while j < voices.count {
                    if voices.states[j].flags.isDisjoint(with: .startedOrFinished)
                        && voices.states[j].spec.start >= oldEnd {
                        voices.states[j].spec.start += delta
                    }
                    j += 1
                }
            }
            i += 1
        }
    }

    // MARK: - Commands

    /// Applies a timeline command (GO, fade, skip, pause, ducking) at programme frame `position`;
    /// `appliedAt` (CLOCK_MONOTONIC ns) goes back with the answering event. Carts are not the
    /// timeline's: the mixer's cart player takes them.
    func apply(_ command: EngineCommand, at position: Int64, appliedAt: Int64) {
        switch command.kind {
        case .go: go(at: position, command, appliedAt: appliedAt)
        case .fade: fadeOut(at: position, command, appliedAt: appliedAt)
        case .skip: skip(at: position, command, appliedAt: appliedAt)
        case .pauseResume:
            if pause == .running { pause = .pausing } else { resume(at: position) }
        case .toggleDuck: bedsDucked.toggle()
        case .cart: break
        }
    }

    private func resume(at position: Int64) {
        guard pause != .running else { return }
        if pause == .paused { emit(MixerEvent(.resumed, position: position)) }
        pause = .running   // the mixer ramps the gain back up from where it is
    }

    /// The mixer's de-click fade reached silence: the timeline freezes from `position` on.
    func completePause(at position: Int64) {
        pause = .paused
        emit(MixerEvent(.paused, position: position))
    }

    private func go(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        resume(at: position)
        let next = firstPending()
        if let current = currentVoice(at: position), current != next {
            let voice = voices.states[current].spec
            if voice.isLive {
                // GO ends a live item now; its bed fades out over the ducking release.
                cut(current, at: position, fade: voice.hasAudio ? bedRelease : 0)
                voices.states[current].flags.insert(.endLogged)
                emit(MixerEvent(.itemEnded, answering: command, appliedAt: appliedAt, position: position, item: voice.item))
            } else if !voice.isJingle, let next {
                let overlap = voices.states[next].spec.crossfadeIn
                cut(current, at: position, fade: overlap > 0 ? overlap : declick)
            }
        }
        guard let next else { return }
        holdBefore = -1
        shift(from: next, by: position - voices.states[next].spec.start)
        emit(MixerEvent(.itemStarted, answering: command, appliedAt: appliedAt, position: position,
                        item: voices.states[next].spec.item))
        voices.states[next].flags.insert(.started)
    }

    private func fadeOut(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        resume(at: position)
        guard let current = currentVoice(at: position) else { return }
        let planned = voices.states[current].spec.fadeOut
        let fade = planned > 0 ? planned : defaultFade
        var i = firstUnfinished
        while i < voices.count {
            let voice = voices.states[i]
            if voice.flags.contains(.started) && voice.isUnfinished {
                cut(i, at: position, fade: voice.spec.hasAudio ? fade : 0)
            }
            i += 1
        }
        emit(MixerEvent(.itemFaded, answering: command, appliedAt: appliedAt, position: position,
                        item: voices.states[current].spec.item, detail: fade))
        guard let next = firstPending() else { return }
        if mode == .interactive {
            holdBefore = next
            emit(MixerEvent(.holding, position: position, item: voices.states[next].spec.item))
        } else {
            shift(from: next, by: position + fade - voices.states[next].spec.start)   // automation goes on after the fade
        }
    }

    private func skip(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        resume(at: position)
        if let current = currentVoice(at: position) {
            let voice = voices.states[current].spec
            cut(current, at: position, fade: voice.hasAudio ? declick : 0)
            emit(MixerEvent(.itemSkipped, answering: command, appliedAt: appliedAt, position: position, item: voice.item))
            if holdBefore < 0, let next = firstPending() {
                shift(from: next, by: position - voices.states[next].spec.start)
            }
            return
        }
        // Nothing on air: pass over the item waiting for GO.
        guard let waiting = holdBefore >= 0 ? holdBefore : firstPending() else { return }
        voices.states[waiting].flags.formUnion(.passedOver)
        if voices.states[waiting].spec.hasAudio { feedback.limit(waiting, to: 0) }
        emit(MixerEvent(.itemSkipped, answering: command, appliedAt: appliedAt, position: position,
                        item: voices.states[waiting].spec.item))
        if let next = firstPending(from: waiting + 1) {
            shift(from: next, by: voices.states[waiting].spec.start - voices.states[next].spec.start)
            if holdBefore >= 0 {
                holdBefore = next
                emit(MixerEvent(.holding, position: position, item: voices.states[next].spec.item))
            }
        } else {
            holdBefore = -1
        }
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
        s.holding = holdBefore >= 0 ? voices.states[holdBefore].spec.item : -1
        if let current, isHeld(current) {
            s.liveOverrun = voices.states[current].spec.end <= position
        }
        s.paused = pause != .running
        s.bedsDucked = bedsDucked
        s.cartsPlaying = cartsPlaying
        var end: Int64 = position
        var i = firstUnfinished
        while i < voices.count {
            if voices.states[i].isUnfinished { end = max(end, voices.states[i].effectiveEnd) }
            i += 1
        }
        s.projectedEnd = end
        if finishedAt < 0 && firstUnfinished >= voices.count && holdBefore < 0 && cartsPlaying == 0 {
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
