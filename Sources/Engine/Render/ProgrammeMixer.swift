// The render thread's mixer. Real-time rules (../../docs/architecture.md): no Foundation, no
// allocation, no locks, no system calls in `render`; everything it touches is allocated in `init`.
import DSP
import Glibc
import Realtime
import Synchronization

/// Mixes the programme's voices block by block into the programme bus, then limits and meters it.
///
/// The schedule is the compiled plan, changed as it airs by the technician's commands (GO, fade,
/// skip, pause, carts, ducking), which arrive on `commands` and take effect at the start of the
/// next block. The timeline is one voice per airing item (silent for a live item without a bed),
/// so moving an item moves everything after it by the same amount:
/// - a live item in interactive mode holds at its planned end (its bed loops on) until GO, and
///   every later voice waits with it;
/// - GO starts the next item now, earlier or later than planned, and everything after follows;
/// - a cut (skip, fade, GO) shortens the current voice; the prefetcher is told through
///   `feedback` and the frames of it already in its ring are discarded.
/// What happened goes out on `events` at the exact programme frame.
///
/// Threading: `init` and `deinit` on the control side; `render` and `isReady` on one thread at a
/// time (the render thread: ALSA-paced live, or the offline driver). Counters, meters, `state`,
/// `commands` (producer) and `events` (consumer) may be used from the control side.
package final class ProgrammeMixer: @unchecked Sendable {
    /// Frames per second of the programme.
    package let sampleRate: Int
    /// The largest block `render` accepts.
    package let maxBlockFrames: Int
    /// Frames by which the output lags the programme timeline (the limiter's lookahead).
    package var latencyFrames: Int { limiter.latencyFrames }
    /// How the schedule runs.
    package let mode: PlayoutMode

    /// The voices, with their current starts and lengths (the render thread moves them).
    private let voices: UnsafeMutableBufferPointer<VoiceSpec>
    /// Voice position where a cut's fade-out starts (Int64.max: not cut) and its length.
    private let cutStarts: UnsafeMutablePointer<Int64>
    private let cutLengths: UnsafeMutablePointer<Int64>
    private let flags: UnsafeMutablePointer<UInt8>
    /// Linear gain of each voice, written by the prefetcher before the voice's first sample
    /// enters its ring (the ring's release/acquire makes it visible here).
    private let gains: UnsafeMutablePointer<Float>
    private let ducks: UnsafeMutablePointer<DuckingEnvelope>
    private let rings: UnsafeMutableBufferPointer<Unmanaged<SPSCRing<Float>>>
    /// Each slot's voices in ring order (`slotVoices[slotStarts[s] ..< slotStarts[s + 1]]`), and
    /// where the ring's read side is: which of them (`cursors`) and how many of its frames were
    /// taken or discarded (`cursorFrames`).
    private let slotVoices: UnsafeMutablePointer<Int32>
    private let slotStarts: UnsafeMutablePointer<Int>
    private let cursors: UnsafeMutablePointer<Int>
    private let cursorFrames: UnsafeMutablePointer<Int64>
    /// Scratch for the readiness check: frames each slot must hold for the next block, and where
    /// its read side would be.
    private let needed: UnsafeMutablePointer<Int>
    private let simulatedCursors: UnsafeMutablePointer<Int>
    private let simulatedFrames: UnsafeMutablePointer<Int64>
    private let scratch: UnsafeMutablePointer<Float>
    private let bus: UnsafeMutablePointer<Float>
    private let limiter: TruePeakLimiter
    private let bedRelease: Int64
    private let declick: Int64
    private let defaultFade: Int64
    private var firstUnfinished = 0

    // Carts (audio in memory).
    private let cartAudio: CartAudio
    private let cartSamples: UnsafeMutablePointer<UnsafePointer<Float>>
    private let cartFrames: UnsafeMutablePointer<Int>
    /// Next frame of each cart, or -1 when it is silent.
    private let cartPositions: UnsafeMutablePointer<Int>
    /// Frames left of a cart's stop fade, or -1 when it is not stopping.
    private let cartStops: UnsafeMutablePointer<Int>

    // Schedule state.
    private var holdBefore = -1
    private var pauseState = PauseState.running
    private var pauseGain: Float = 1
    private var bedsDucked = true
    /// Render thread: the first item's first frame once the show has started, else -1 (the
    /// recorders take the programme from there: the wait for the first GO is not recorded).
    package private(set) var showStart: Int64 = -1
    /// Raised (any thread may read it) in the block where the show's first item starts.
    package let hasStarted = AtomicFlag()
    /// Render thread: the programme's end once every item has ended and no cart plays, else -1.
    package private(set) var finishedAt: Int64 = -1

    private enum PauseState { case running, pausing, paused }

    /// Programme frame of the next block.
    package private(set) var position: Int64 = 0
    /// Peak of the limited programme within the current block.
    private var peak = PeakMeter()
    /// Momentary and short-term loudness of the programme.
    package private(set) var loudness: LoudnessWindow

    /// Frames of voice audio that were not there in time and played as silence.
    package let lateFrames = Atomic<Int>(0)
    /// Events the render thread could not queue (the control side fell behind).
    package let droppedEvents = Atomic<Int>(0)
    /// The programme's meters after each block, for the console (any thread reads; never blocks
    /// the render thread).
    package let meters = LatestValue(ProgrammeMeters())
    /// The schedule's state after each block.
    package let state = LatestValue(TimelineState())
    /// Commands from the control side (one producer: the console's thread).
    package let commands = SPSCQueue<EngineCommand>(capacity: 256)
    /// What happened, for the as-run log and the console (one consumer: the control thread).
    package let events = SPSCQueue<MixerEvent>(capacity: 4096)
    /// Shared with the prefetcher: how far each voice will be read, and how much was written.
    package let feedback: VoiceFeedback

    private static let started: UInt8 = 1, ended: UInt8 = 2, released: UInt8 = 4, skipped: UInt8 = 8, endLogged: UInt8 = 16

    /// Prepares the mixer for `voices` (sorted by start) fed through `rings` (one per slot).
    package init(sampleRate: Int, voices: [VoiceSpec], rings: [SPSCRing<Float>], maxBlockFrames: Int,
                truePeakCeiling: Float, ducking: DuckingSpec, mode: PlayoutMode = .automation,
                carts: CartAudio = CartAudio(), feedback: VoiceFeedback? = nil) {
        precondition(voices.indices.dropFirst().allSatisfy { voices[$0 - 1].start <= voices[$0].start },
                     "voices must be sorted by start")
        precondition(carts.count <= 32, "at most 32 carts")
        self.sampleRate = sampleRate
        self.maxBlockFrames = maxBlockFrames
        self.mode = mode
        let count = max(1, voices.count)
        self.voices = .allocate(capacity: voices.count)
        _ = self.voices.initialize(from: voices)
        cutStarts = .allocate(capacity: count); cutStarts.initialize(repeating: .max, count: count)
        cutLengths = .allocate(capacity: count); cutLengths.initialize(repeating: 0, count: count)
        flags = .allocate(capacity: count); flags.initialize(repeating: 0, count: count)
        gains = .allocate(capacity: count)
        gains.initialize(repeating: 1, count: count)
        ducks = .allocate(capacity: count)
        ducks.initialize(repeating: DuckingEnvelope(depth: ducking.depth, attack: ducking.attack,
                                                    release: ducking.release, sampleRate: sampleRate),
                         count: count)
        self.rings = .allocate(capacity: rings.count)
        for (index, ring) in rings.enumerated() { self.rings[index] = Unmanaged.passRetained(ring) }
        let slots = max(1, rings.count)
        slotStarts = .allocate(capacity: slots + 1)
        slotVoices = .allocate(capacity: count)
        var filled = 0
        for slot in 0..<slots {
            slotStarts[slot] = filled
            for (index, voice) in voices.enumerated() where Int(voice.slot) == slot {
                slotVoices[filled] = Int32(index); filled += 1
            }
        }
        slotStarts[slots] = filled
        cursors = .allocate(capacity: slots)
        for slot in 0..<slots { cursors[slot] = slotStarts[slot] }
        cursorFrames = .allocate(capacity: slots); cursorFrames.initialize(repeating: 0, count: slots)
        needed = .allocate(capacity: slots)
        needed.initialize(repeating: 0, count: slots)
        simulatedCursors = .allocate(capacity: slots); simulatedCursors.initialize(repeating: 0, count: slots)
        simulatedFrames = .allocate(capacity: slots); simulatedFrames.initialize(repeating: 0, count: slots)
        scratch = .allocate(capacity: maxBlockFrames * 2)
        scratch.initialize(repeating: 0, count: maxBlockFrames * 2)
        bus = .allocate(capacity: maxBlockFrames * 2)
        bus.initialize(repeating: 0, count: maxBlockFrames * 2)
        limiter = TruePeakLimiter(sampleRate: sampleRate, channels: 2, ceilingDecibels: truePeakCeiling)
        bedRelease = Int64((ducking.release * Double(sampleRate)).rounded())
        declick = Int64(sampleRate / 100)
        defaultFade = Int64(sampleRate * 2)
        loudness = LoudnessWindow(sampleRate: sampleRate)
        self.feedback = feedback ?? VoiceFeedback(count: voices.count)
        cartAudio = carts
        let cartCount = max(1, carts.count)
        cartSamples = .allocate(capacity: cartCount)
        cartFrames = .allocate(capacity: cartCount)
        for index in 0..<carts.count {
            cartSamples[index] = carts.samples(index)
            cartFrames[index] = carts.frameCounts[index]
        }
        cartPositions = .allocate(capacity: cartCount); cartPositions.initialize(repeating: -1, count: cartCount)
        cartStops = .allocate(capacity: cartCount); cartStops.initialize(repeating: -1, count: cartCount)
        if mode == .interactive, !voices.isEmpty { holdBefore = 0 }
        var initial = TimelineState()
        initial.holding = holdBefore >= 0 ? voices[holdBefore].item : -1
        initial.projectedEnd = voices.last.map { $0.end } ?? 0
        state.store(initial)
    }

    deinit {
        voices.deallocate()
        cutStarts.deallocate(); cutLengths.deallocate(); flags.deallocate()
        gains.deallocate()
        ducks.deallocate()
        for ring in rings { ring.release() }
        rings.deallocate()
        slotVoices.deallocate(); slotStarts.deallocate(); cursors.deallocate(); cursorFrames.deallocate()
        needed.deallocate(); simulatedCursors.deallocate(); simulatedFrames.deallocate()
        scratch.deallocate()
        bus.deallocate()
        cartSamples.deallocate(); cartFrames.deallocate(); cartPositions.deallocate(); cartStops.deallocate()
    }

    /// Prefetch side: sets a voice's gain before its first sample is written to its ring.
    package func setGain(_ gain: Float, forVoice index: Int) { gains[index] = gain }

    /// The voices, as compiled.
    package var voiceCount: Int { voices.count }

    /// True when every voice sounding in the next `frames` has its audio in its ring, counting
    /// what must first be discarded of voices before it in the same ring (or owes none): offline
    /// drivers wait on this (after `prepare`) so that a render is never short of data. Live
    /// playout does not ask: it plays on, and late data becomes counted silence.
    package func isReady(frames: Int) -> Bool {
        let blockStart = position, blockEnd = position + Int64(frames)
        // Walks each ring's read side as `render` will, without moving it.
        for slot in 0..<rings.count {
            needed[slot] = 0
            simulatedCursors[slot] = cursors[slot]
            simulatedFrames[slot] = cursorFrames[slot]
        }
        var index = firstUnfinished
        while index < voices.count {
            let voice = voices[index]
            if voice.start >= blockEnd { break }
            let end = effectiveEnd(index)
            if voice.hasAudio && end > blockStart && flags[index] & (Self.ended | Self.skipped) == 0 {
                let slot = Int(voice.slot)
                var need = Int64(needed[slot])
                while simulatedCursors[slot] < slotStarts[slot + 1] && Int(slotVoices[simulatedCursors[slot]]) != index {
                    let earlier = Int(slotVoices[simulatedCursors[slot]])
                    guard let total = knownTotal(earlier) else { return false }
                    need += max(0, total - simulatedFrames[slot])
                    simulatedCursors[slot] += 1
                    simulatedFrames[slot] = 0
                }
                let from = max(blockStart, voice.start) - voice.start
                let frames = min(blockEnd, end) - max(blockStart, voice.start)
                need += max(0, from - simulatedFrames[slot]) + frames
                simulatedFrames[slot] = from + frames
                needed[slot] = Int(need)
            }
            index += 1
        }
        for slot in 0..<rings.count where needed[slot] > 0 {
            if rings[slot].takeUnretainedValue().availableToRead < needed[slot] * 2 { return false }
        }
        return true
    }

    /// Frames the prefetcher writes of a voice in all, when known.
    private func knownTotal(_ index: Int) -> Int64? {
        let written = feedback.written(index)
        if written >= 0 { return written }
        let cutShort = cutStarts[index] != .max || flags[index] & Self.skipped != 0
        return cutShort || voices[index].isOpenEnded ? nil : voices[index].length
    }

    private var preparedPosition: Int64 = -1

    /// Applies the commands waiting and the schedule's holds for the next block. `render` does
    /// it itself; an offline driver calls it first so that `isReady` sees the block as it will be.
    package func prepare(frames: Int) {
        guard preparedPosition != position else { return }
        preparedPosition = position
        applyCommands(at: position)
        if pauseState == .paused {
            // Frozen: every voice still to finish moves on with the clock, so none advances.
            shift(from: firstUnfinished, by: Int64(frames), includingStarted: true)
        } else {
            applyHolds(blockEnd: position + Int64(frames))
        }
    }

    /// Renders the next `frames` (≤ `maxBlockFrames`) of the limited programme into `output`
    /// (interleaved stereo), and advances the programme position.
    package func render(into output: UnsafeMutablePointer<Float>, frames: Int) {
        let blockStart = position, blockEnd = position + Int64(frames)
        bus.update(repeating: 0, count: frames * 2)
        prepare(frames: frames)
        while firstUnfinished < voices.count && flags[firstUnfinished] & Self.ended != 0 {
            firstUnfinished += 1
        }
        drainFinishedVoices()
        if pauseState != .paused {
            var index = firstUnfinished
            while index < voices.count {
                let voice = voices[index]
                if voice.start >= blockEnd { break }
                if flags[index] & (Self.ended | Self.skipped) == 0 {
                    if flags[index] & Self.started == 0 {
                        flags[index] |= Self.started
                        emit(MixerEvent(.itemStarted, position: voice.start, item: voice.item))
                    }
                    let end = effectiveEnd(index)
                    if end > blockStart && voice.hasAudio {
                        mix(voiceAt: index, voice, end: end, blockStart: blockStart, blockEnd: blockEnd)
                    }
                    if end <= blockEnd && !isHeld(index) { finish(index, at: end) }
                }
                index += 1
            }
            if pauseState == .pausing || pauseGain < 1 { applyPauseFade(frames: frames) }
        }
        mixCarts(frames: frames, blockStart: blockStart)
        let block = UnsafeMutableBufferPointer(start: bus, count: frames * 2)
        limiter.process(block)
        peak.process(UnsafeBufferPointer(block))
        loudness.process(UnsafeBufferPointer(block))
        let blockPeak = peak.take()
        meters.store(ProgrammeMeters(peakLeft: Decibels.fromLinear(blockPeak.left), peakRight: Decibels.fromLinear(blockPeak.right),
                                     momentary: loudness.momentary, shortTerm: loudness.shortTerm))
        output.update(from: bus, count: frames * 2)
        position = blockEnd
        publishState()
    }

    // MARK: - Voices

    /// Where the voice stops sounding: its (held) length, or its cut.
    @inline(__always) private func effectiveEnd(_ index: Int) -> Int64 {
        let voice = voices[index]
        let cut = cutStarts[index]
        return cut == .max ? voice.end : voice.start + min(voice.length, cut + cutLengths[index])
    }

    /// A live item in interactive mode that GO has not released holds at its end.
    @inline(__always) private func isHeld(_ index: Int) -> Bool {
        mode == .interactive && voices[index].isLive && flags[index] & Self.released == 0
    }

    @inline(__always) private func finish(_ index: Int, at end: Int64) {
        flags[index] |= Self.ended
        if flags[index] & Self.endLogged == 0 {
            flags[index] |= Self.endLogged
            emit(MixerEvent(.itemEnded, position: end, item: voices[index].item))
        }
    }

    /// Moves the start of every voice from `index` on that has not started (and, when paused,
    /// of those that have and still sound) by `delta`.
    private func shift(from index: Int, by delta: Int64, includingStarted: Bool = false) {
        guard delta != 0 else { return }
        var i = index
        while i < voices.count {
            let f = flags[i]
            if f & (Self.ended | Self.skipped) == 0 && (includingStarted || f & Self.started == 0) {
                voices[i].start += delta
            }
            i += 1
        }
    }

    /// The first voice that has not started (nor been skipped), from `index` on.
    private func firstPending(from index: Int = 0) -> Int? {
        var i = max(index, firstUnfinished)
        while i < voices.count {
            if flags[i] & (Self.started | Self.skipped | Self.ended) == 0 { return i }
            i += 1
        }
        return nil
    }

    /// The item on air: the latest voice that started and still sounds (or holds).
    private func currentVoice(at position: Int64) -> Int? {
        var found: Int?
        var i = firstUnfinished
        while i < voices.count {
            let f = flags[i]
            if f & Self.started == 0 && voices[i].start > position { break }
            if f & (Self.ended | Self.skipped) == 0 && f & Self.started != 0 { found = i }
            i += 1
        }
        return found
    }

    /// Cuts a sounding voice: it fades out over `fade` frames from programme frame `at`.
    private func cut(_ index: Int, at position: Int64, fade: Int64) {
        let voice = voices[index]
        let from = max(0, position - voice.start)
        let newEnd = from + fade
        flags[index] |= Self.released
        if cutStarts[index] != .max && cutStarts[index] + cutLengths[index] <= newEnd { return }
        if !voice.isOpenEnded && newEnd >= voice.length { return }   // it ends sooner by itself
        if voice.isOpenEnded && voice.length < newEnd { voices[index].length = newEnd }   // a held bed plays its release
        cutStarts[index] = from
        cutLengths[index] = fade
        if voice.hasAudio { feedback.limit(index, to: min(voices[index].length, newEnd)) }
    }

    /// Live hold and the wait for GO, before the block's voices are mixed.
    private func applyHolds(blockEnd: Int64) {
        guard mode == .interactive else { return }
        if holdBefore >= 0 {
            let start = voices[holdBefore].start
            if start < blockEnd { shift(from: holdBefore, by: blockEnd - start) }
        }
        // A live item at its end without GO: it (and its bed) runs on, and everything after waits.
        var i = firstUnfinished
        while i < voices.count {
            let voice = voices[i]
            if voice.start >= blockEnd { break }
            if flags[i] & (Self.ended | Self.skipped) == 0 && isHeld(i) && voice.end < blockEnd {
                let delta = blockEnd - voice.end
                let oldEnd = voice.end
                voices[i].length += delta
                var j = i + 1
                while j < voices.count {
                    if flags[j] & (Self.started | Self.ended | Self.skipped) == 0 && voices[j].start >= oldEnd {
                        voices[j].start += delta
                    }
                    j += 1
                }
            }
            i += 1
        }
    }

    // MARK: - Commands

    private func applyCommands(at position: Int64) {
        while let command = commands.pop() {
            let applied = Self.monotonicNow()
            switch command.kind {
            case .go: go(at: position, command, applied: applied)
            case .fade: fadeOut(at: position, command, applied: applied)
            case .skip: skip(at: position, command, applied: applied)
            case .pauseResume:
                if pauseState == .running {
                    pauseState = .pausing
                } else {
                    resume(at: position)
                }
            case .cart: toggleCart(Int(command.argument), at: position, command, applied: applied)
            case .toggleDuck: bedsDucked.toggle()
            }
        }
    }

    private func resume(at position: Int64) {
        guard pauseState != .running else { return }
        if pauseState == .paused { emit(MixerEvent(.resumed, position: position)) }
        pauseState = .running   // the gain ramps back up from where it is
    }

    private func go(at position: Int64, _ command: EngineCommand, applied: Int64) {
        resume(at: position)
        let next = firstPending()
        if let current = currentVoice(at: position), current != next {
            let voice = voices[current]
            if voice.isLive {
                // GO ends a live item now; its bed fades out over the ducking release.
                cut(current, at: position, fade: voice.hasAudio ? bedRelease : 0)
                flags[current] |= Self.endLogged
                emit(MixerEvent(.itemEnded, position: position, item: voice.item,
                                requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
            } else if !voice.isJingle, let next {
                let overlap = voices[next].crossfadeIn
                cut(current, at: position, fade: overlap > 0 ? overlap : declick)
            }
        }
        guard let next else { return }
        holdBefore = -1
        shift(from: next, by: position - voices[next].start)
        emit(MixerEvent(.itemStarted, position: position, item: voices[next].item,
                        requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
        flags[next] |= Self.started
    }

    private func fadeOut(at position: Int64, _ command: EngineCommand, applied: Int64) {
        resume(at: position)
        guard let current = currentVoice(at: position) else { return }
        let planned = voices[current].fadeOut
        let fade = planned > 0 ? planned : defaultFade
        var i = firstUnfinished
        while i < voices.count {
            if flags[i] & Self.started != 0 && flags[i] & (Self.ended | Self.skipped) == 0 {
                cut(i, at: position, fade: voices[i].hasAudio ? fade : 0)
            }
            i += 1
        }
        emit(MixerEvent(.itemFaded, position: position, item: voices[current].item, detail: fade,
                        requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
        guard let next = firstPending() else { return }
        if mode == .interactive {
            holdBefore = next
            emit(MixerEvent(.holding, position: position, item: voices[next].item))
        } else {
            shift(from: next, by: position + fade - voices[next].start)   // automation goes on after the fade
        }
    }

    private func skip(at position: Int64, _ command: EngineCommand, applied: Int64) {
        resume(at: position)
        if let current = currentVoice(at: position) {
            let voice = voices[current]
            cut(current, at: position, fade: voice.hasAudio ? declick : 0)
            emit(MixerEvent(.itemSkipped, position: position, item: voice.item,
                            requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
            if holdBefore < 0, let next = firstPending() {
                shift(from: next, by: position - voices[next].start)
            }
            return
        }
        // Nothing on air: pass over the item waiting for GO.
        guard let waiting = holdBefore >= 0 ? holdBefore : firstPending() else { return }
        flags[waiting] |= Self.skipped | Self.ended | Self.endLogged
        if voices[waiting].hasAudio { feedback.limit(waiting, to: 0) }
        emit(MixerEvent(.itemSkipped, position: position, item: voices[waiting].item,
                        requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
        if let next = firstPending(from: waiting + 1) {
            shift(from: next, by: voices[waiting].start - voices[next].start)
            if holdBefore >= 0 {
                holdBefore = next
                emit(MixerEvent(.holding, position: position, item: voices[next].item))
            }
        } else {
            holdBefore = -1
        }
    }

    // MARK: - Reading the rings

    @inline(__always) private func cursorVoice(_ slot: Int) -> Int {
        let c = cursors[slot]
        return c < slotStarts[slot + 1] ? Int(slotVoices[c]) : -1
    }

    /// Most frames the prefetcher may write for a voice, as far as the mixer knows.
    @inline(__always) private func deliveryLimit(_ index: Int) -> Int64 {
        let voice = voices[index]
        let planned = voice.isOpenEnded ? Int64.max : voice.length
        return min(planned, cutStarts[index] == .max ? Int64.max : cutStarts[index] + cutLengths[index])
    }

    /// Discards from `slot`'s ring what is left of its cursor voice once that voice will not be
    /// read again; returns true when the cursor moved on to the next voice.
    private func discardRemainder(slot: Int, voice index: Int) -> Bool {
        let ring = rings[slot].takeUnretainedValue()
        // Available first, then the total: if the prefetcher had not finished the voice when the
        // total was read, everything counted as available belongs to this voice.
        let available = ring.availableToRead / 2
        let written = feedback.written(index)
        let voice = voices[index]
        let cutShort = cutStarts[index] != .max || flags[index] & Self.skipped != 0
        let total: Int64
        if written >= 0 {
            total = written
        } else if !cutShort && !voice.isOpenEnded {
            total = voice.length   // the prefetcher writes exactly the planned length
        } else {
            // Still being written (the prefetcher may not have seen the cut yet): all of it goes.
            cursorFrames[slot] += Int64(ring.discard(count: available * 2) / 2)
            return false
        }
        let remaining = total - cursorFrames[slot]
        cursorFrames[slot] += Int64(ring.discard(count: Int(min(Int64(available), max(0, remaining))) * 2) / 2)
        guard cursorFrames[slot] >= total else { return false }
        cursors[slot] += 1
        cursorFrames[slot] = 0
        return true
    }

    /// Eagerly empties the rings of voices that ended or were cut, so the next voice of each
    /// slot is prefetched in time.
    private func drainFinishedVoices() {
        for slot in 0..<rings.count {
            while true {
                let index = cursorVoice(slot)
                guard index >= 0, flags[index] & (Self.ended | Self.skipped) != 0 else { break }
                if !discardRemainder(slot: slot, voice: index) { break }
            }
        }
    }

    /// Reads `frames` frames of voice `index` from voice position `at` into `scratch`; what is not
    /// there in time becomes silence (counted), and is skipped when it arrives.
    private func pull(voice index: Int, slot: Int, at voicePosition: Int64, frames: Int) {
        let ring = rings[slot].takeUnretainedValue()
        var got = 0
        var ready = true
        while cursorVoice(slot) != index {
            let earlier = cursorVoice(slot)
            // An earlier voice of the slot that still sounds keeps its data (it cannot happen with
            // the live slot colouring; if it did, this voice would play late, never corrupt).
            if earlier < 0 || earlier > index || flags[earlier] & (Self.ended | Self.skipped) == 0
                || !discardRemainder(slot: slot, voice: earlier) { ready = false; break }
        }
        if ready && cursorFrames[slot] < voicePosition {
            let behind = voicePosition - cursorFrames[slot]
            cursorFrames[slot] += Int64(ring.discard(count: Int(min(behind, Int64(ring.availableToRead / 2))) * 2) / 2)
            ready = cursorFrames[slot] == voicePosition
        }
        if ready {
            got = ring.read(into: scratch, count: frames * 2) / 2
            cursorFrames[slot] += Int64(got)
        }
        if got < frames {
            (scratch + got * 2).update(repeating: 0, count: (frames - got) * 2)
            lateFrames.add(frames - got, ordering: .relaxed)
        }
    }

    /// Reads one voice's frames for this block from its ring and adds them, shaped by its
    /// envelope, to the bus.
    @inline(__always)
    private func mix(voiceAt index: Int, _ voice: VoiceSpec, end: Int64, blockStart: Int64, blockEnd: Int64) {
        let from = max(blockStart, voice.start)
        let frames = Int(min(blockEnd, end) - from)
        guard frames > 0 else { return }
        let busOffset = Int(from - blockStart) * 2
        let position = from - voice.start
        pull(voice: index, slot: Int(voice.slot), at: position, frames: frames)

        let gain = gains[index]
        let destination = bus + busOffset
        let fadeOutStart = voice.length - voice.fadeOut
        let crossfadeOutStart = voice.length - voice.crossfadeOut
        let cutStart = cutStarts[index], cutLength = cutLengths[index]
        // A bed fades out over the release at the end of its item, unless a cut fades it already
        // or its item holds for GO (then GO's cut fades it).
        let bedFadeStart = cutStart == .max && !isHeld(index) ? voice.length - bedRelease : .max
        let shaped = voice.isBed || position < max(voice.fadeIn, voice.crossfadeIn)
            || position + Int64(frames) > min(fadeOutStart, crossfadeOutStart, cutStart)
        if !shaped {
            for i in 0..<(frames * 2) { destination[i] += scratch[i] * gain }
            return
        }
        for f in 0..<frames {
            let p = position + Int64(f)
            var g = gain
            if p < voice.fadeIn { g *= FadeCurve.equalPower.gain(at: p, length: voice.fadeIn) }
            if p < voice.crossfadeIn { g *= FadeCurve.equalPower.gain(at: p, length: voice.crossfadeIn) }
            if p >= fadeOutStart { g *= FadeCurve.equalPower.fadeOutGain(at: p - fadeOutStart, length: voice.fadeOut) }
            if p >= crossfadeOutStart {
                g *= FadeCurve.equalPower.fadeOutGain(at: p - crossfadeOutStart, length: voice.crossfadeOut)
            }
            if p >= cutStart { g *= FadeCurve.equalPower.fadeOutGain(at: p - cutStart, length: cutLength) }
            if voice.isBed {
                // A bed ducks under the talk from its first frame (unless ducking is off) and
                // fades out as its item ends.
                ducks[index].isDucked = bedsDucked
                g *= ducks[index].nextGain()
                if p >= bedFadeStart && bedRelease > 0 {
                    g *= FadeCurve.equalPower.fadeOutGain(at: p - bedFadeStart, length: bedRelease)
                }
            }
            destination[2 * f] += scratch[2 * f] * g
            destination[2 * f + 1] += scratch[2 * f + 1] * g
        }
    }

    /// The de-click fades around a pause: the timeline's share of the bus ramps down over 10 ms,
    /// then the timeline freezes; on resume it ramps back up.
    private func applyPauseFade(frames: Int) {
        let step = (pauseState == .pausing ? -1 : 1) / Float(max(1, declick))
        for f in 0..<frames {
            pauseGain = min(1, max(0, pauseGain + step))
            bus[2 * f] *= pauseGain
            bus[2 * f + 1] *= pauseGain
        }
        if pauseState == .pausing && pauseGain == 0 {
            pauseState = .paused
            emit(MixerEvent(.paused, position: position + Int64(frames)))
        }
    }

    // MARK: - Carts

    private func toggleCart(_ cart: Int, at position: Int64, _ command: EngineCommand, applied: Int64) {
        guard cart >= 0 && cart < cartAudio.count else { return }
        if cartPositions[cart] >= 0 && cartStops[cart] < 0 {
            cartStops[cart] = Int(declick)
            emit(MixerEvent(.cartStopped, position: position, cart: Int32(cart),
                            requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
        } else {
            cartPositions[cart] = 0
            cartStops[cart] = -1
            emit(MixerEvent(.cartFired, position: position, cart: Int32(cart),
                            requestedAt: command.requestedAt, appliedAt: applied,
                                requestedPosition: command.requestedPosition))
        }
    }

    private func mixCarts(frames: Int, blockStart: Int64) {
        for cart in 0..<cartAudio.count where cartPositions[cart] >= 0 {
            let start = cartPositions[cart]
            let n = min(frames, cartFrames[cart] - start)
            let source = cartSamples[cart] + start * 2
            if cartStops[cart] >= 0 {
                let length = Float(max(1, declick))
                var left = cartStops[cart]
                for f in 0..<n where left > 0 {
                    let g = Float(left) / length
                    bus[2 * f] += source[2 * f] * g
                    bus[2 * f + 1] += source[2 * f + 1] * g
                    left -= 1
                }
                cartStops[cart] = left
                if left == 0 { cartPositions[cart] = -1; cartStops[cart] = -1; continue }
            } else {
                for i in 0..<(n * 2) { bus[i] += source[i] }
            }
            cartPositions[cart] = start + n >= cartFrames[cart] ? -1 : start + n
        }
    }

    // MARK: - Events and state

    @inline(__always) private func emit(_ event: MixerEvent) {
        if showStart < 0 && event.kind == .itemStarted { showStart = event.position; hasStarted.raise() }
        if !events.push(event) { droppedEvents.add(1, ordering: .relaxed) }
    }

    private func publishState() {
        while firstUnfinished < voices.count && flags[firstUnfinished] & Self.ended != 0 {
            firstUnfinished += 1
        }
        var s = TimelineState()
        s.position = position
        let current = currentVoice(at: position)
        s.current = current.map { voices[$0].item } ?? -1
        s.holding = holdBefore >= 0 ? voices[holdBefore].item : -1
        if let current, isHeld(current) {
            s.liveOverrun = voices[current].end <= position
        }
        s.paused = pauseState != .running
        s.bedsDucked = bedsDucked
        var mask: UInt32 = 0
        for cart in 0..<cartAudio.count where cartPositions[cart] >= 0 { mask |= 1 << UInt32(cart) }
        s.cartsPlaying = mask
        var end: Int64 = position
        var i = firstUnfinished
        while i < voices.count {
            if flags[i] & (Self.ended | Self.skipped) == 0 { end = max(end, effectiveEnd(i)) }
            i += 1
        }
        s.projectedEnd = end
        if finishedAt < 0 && firstUnfinished >= voices.count && holdBefore < 0 && mask == 0 {
            var last: Int64 = 0
            for v in 0..<voices.count where flags[v] & Self.skipped == 0 { last = max(last, effectiveEnd(v)) }
            finishedAt = max(last, 0)
        }
        s.finishedAt = finishedAt
        state.store(s)
    }

    @inline(__always) static func monotonicNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// What the programme meters read after a block: peaks in dBFS, loudness in LUFS.
package struct ProgrammeMeters: BitwiseCopyable, Sendable {
    /// Left channel peak of the last block, dBFS.
    package var peakLeft: Float = -.infinity
    /// Right channel peak of the last block, dBFS.
    package var peakRight: Float = -.infinity
    /// Momentary loudness (400 ms), LUFS.
    package var momentary: Float = -.infinity
    /// Short-term loudness (3 s), LUFS.
    package var shortTerm: Float = -.infinity

    /// Meters reading silence.
    package init() {}

    /// A reading.
    package init(peakLeft: Float, peakRight: Float, momentary: Float, shortTerm: Float) {
        self.peakLeft = peakLeft; self.peakRight = peakRight; self.momentary = momentary; self.shortTerm = shortTerm
    }
}
