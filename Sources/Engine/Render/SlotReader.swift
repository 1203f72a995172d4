// The read side of the sample rings: which voices each ring carries, which of them the render
// thread is reading and how far, what of a cut voice must be thrown away before the next one, and
// which ring a voice gets when its ring is assigned on air. Render thread only, no Foundation, no
// allocation after `init` (real-time rules 1–3).
import Realtime

/// Reads each voice's frames from its ring (the voices given a ring follow one another in it, in
/// the order they were given it). What is not there in time becomes counted silence, and the ring
/// then owes those frames and skips them when they arrive, so every later sample stays in place.
/// A voice cut short has the rest of its frames discarded before the next voice of its ring,
/// exactly: the prefetcher reports through `VoiceFeedback` how many it wrote in all.
///
/// Rings are given either when the programme is compiled (an offline render: every voice at
/// once) or on air (`commit`): a voice close to airing takes a ring none of whose voices still
/// sounds or waits, so the running order may change freely until then, and the prefetcher learns
/// of it through `assignments`.
final class SlotReader {
    private let rings: UnsafeMutableBufferPointer<Unmanaged<SPSCRing<Float>>>
    /// Each ring's voices in ring order: `queues[slot * queueCapacity ..< + queueCounts[slot]]`,
    /// and where the ring's read side is: which of them (`cursors`) and how many of its frames
    /// were taken or discarded (`cursorFrames`).
    private let queueCapacity: Int
    private let queues: UnsafeMutablePointer<Int32>
    private let queueCounts: UnsafeMutablePointer<Int>
    private let cursors: UnsafeMutablePointer<Int>
    private let cursorFrames: UnsafeMutablePointer<Int64>
    /// Scratch for the readiness check: frames each slot must hold for the next block, and where
    /// its read side would be.
    private let needed: UnsafeMutablePointer<Int>
    private let simulatedCursors: UnsafeMutablePointer<Int>
    private let simulatedFrames: UnsafeMutablePointer<Int64>
    /// Rings given on air, for the prefetcher (one consumer: the prefetch thread).
    let assignments = SPSCQueue<SlotAssignment>(capacity: 256)
    /// Voices that needed a ring when none was free (they play late, as counted silence).
    private(set) var ringShortages = 0

    /// The read side of `rings` (one per slot) for `voices` (sorted by start): those with a ring
    /// are queued in it now; the table holds up to `capacity` voices in all.
    init(voices: [VoiceSpec], capacity: Int, rings: [SPSCRing<Float>]) {
        self.rings = .allocate(capacity: rings.count)
        for (index, ring) in rings.enumerated() { self.rings[index] = Unmanaged.passRetained(ring) }
        let slots = max(1, rings.count)
        queueCapacity = max(1, capacity, voices.count)
        queues = .allocate(capacity: slots * queueCapacity)
        queueCounts = .allocate(capacity: slots); queueCounts.initialize(repeating: 0, count: slots)
        for (index, voice) in voices.enumerated() where voice.hasRing {
            let slot = Int(voice.slot)
            queues[slot * queueCapacity + queueCounts[slot]] = Int32(index)
            queueCounts[slot] += 1
        }
        cursors = .allocate(capacity: slots); cursors.initialize(repeating: 0, count: slots)
        cursorFrames = .allocate(capacity: slots); cursorFrames.initialize(repeating: 0, count: slots)
        needed = .allocate(capacity: slots); needed.initialize(repeating: 0, count: slots)
        simulatedCursors = .allocate(capacity: slots); simulatedCursors.initialize(repeating: 0, count: slots)
        simulatedFrames = .allocate(capacity: slots); simulatedFrames.initialize(repeating: 0, count: slots)
    }

    deinit {
        for ring in rings { ring.release() }
        rings.deallocate()
        queues.deallocate(); queueCounts.deallocate(); cursors.deallocate(); cursorFrames.deallocate()
        needed.deallocate(); simulatedCursors.deallocate(); simulatedFrames.deallocate()
    }

    @inline(__always) private func ring(_ slot: Int) -> SPSCRing<Float> { rings[slot].takeUnretainedValue() }

    /// The `n`-th voice of `slot`'s queue, or -1 past its end.
    @inline(__always) private func queued(_ slot: Int, _ n: Int) -> Int {
        n < queueCounts[slot] ? Int(queues[slot * queueCapacity + n]) : -1
    }

    @inline(__always) private func cursorVoice(_ slot: Int) -> Int { queued(slot, cursors[slot]) }

    // MARK: - Rings given on air

    /// Gives a ring to the voices close to airing that have none yet: every one that has started,
    /// the next `lookahead` pending voices with audio, and any starting within `horizon` frames of
    /// `position`. A ring is free when none of its voices still sounds or waits. Stops at the first
    /// voice no ring is free for (it takes the next one to free up, in schedule order).
    func commit(_ timeline: Timeline, position: Int64, lookahead: Int, horizon: Int64) {
        var k = timeline.firstUnfinished
        var pendingWithAudio = 0
        while k < timeline.scheduled {
            let index = timeline.voice(at: k)
            let state = timeline.voices.states[index]
            k += 1
            guard state.isUnfinished, state.spec.hasAudio else { continue }
            let started = state.flags.contains(.started)
            if !started {
                if pendingWithAudio >= lookahead && state.spec.start >= position + horizon { return }
                pendingWithAudio += 1
            }
            guard !state.spec.hasRing else { continue }
            guard let slot = freeRing(timeline), queueCounts[slot] < queueCapacity,
                  assignments.push(SlotAssignment(voice: Int32(index), slot: Int32(slot))) else {
                ringShortages += 1
                return
            }
            queues[slot * queueCapacity + queueCounts[slot]] = Int32(index)
            queueCounts[slot] += 1
            timeline.voices.states[index].spec.slot = Int32(slot)
        }
    }

    /// A ring none of whose queued voices still sounds or waits to.
    private func freeRing(_ timeline: Timeline) -> Int? {
        for slot in 0..<rings.count {
            var n = cursors[slot]
            var busy = false
            while n < queueCounts[slot] {
                if timeline.voices.states[queued(slot, n)].isUnfinished { busy = true; break }
                n += 1
            }
            if !busy { return slot }
        }
        return nil
    }

    // MARK: - Reading

    /// True when every voice sounding in `blockStart..<blockEnd` has its audio in its ring,
    /// counting what must first be discarded of voices before it in the same ring (or owes none).
    /// Walks each ring's read side as `pull` will, without moving it.
    func isReady(_ timeline: Timeline, blockStart: Int64, blockEnd: Int64) -> Bool {
        for slot in 0..<rings.count {
            needed[slot] = 0
            simulatedCursors[slot] = cursors[slot]
            simulatedFrames[slot] = cursorFrames[slot]
        }
        let voices = timeline.voices.states
        var k = timeline.firstUnfinished
        while k < timeline.scheduled {
            let index = timeline.voice(at: k)
            k += 1
            let voice = voices[index].spec
            guard voices[index].isUnfinished else { continue }
            if voice.start >= blockEnd { break }
            let end = voices[index].effectiveEnd
            guard voice.hasAudio && end > blockStart else { continue }
            guard voice.hasRing else { return false }
            let slot = Int(voice.slot)
            var need = Int64(needed[slot])
            while simulatedCursors[slot] < queueCounts[slot] && queued(slot, simulatedCursors[slot]) != index {
                let earlier = queued(slot, simulatedCursors[slot])
                guard let total = timeline.deliveredTotal(earlier) else { return false }
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
        for slot in 0..<rings.count where needed[slot] > 0 {
            if ring(slot).availableToRead < needed[slot] * 2 { return false }
        }
        return true
    }

    /// Discards from `slot`'s ring what is left of its cursor voice once that voice will not be
    /// read again; returns true when the cursor moved on to the next voice.
    private func discardRemainder(slot: Int, voice index: Int, _ timeline: Timeline) -> Bool {
        let ring = ring(slot)
        // Available first, then the total: if the prefetcher had not finished the voice when the
        // total was read, everything counted as available belongs to this voice.
        let available = ring.availableToRead / 2
        guard let total = timeline.deliveredTotal(index) else {
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

    /// Eagerly empties the rings of voices that ended or were cut (or will not air), so the next
    /// voice of each ring is prefetched in time.
    func drainFinishedVoices(_ timeline: Timeline) {
        for slot in 0..<rings.count {
            while true {
                let index = cursorVoice(slot)
                guard index >= 0, !timeline.voices.states[index].isUnfinished else { break }
                if !discardRemainder(slot: slot, voice: index, timeline) { break }
            }
        }
    }

    /// Reads `frames` frames of voice `index` from voice position `voicePosition` into `scratch`;
    /// what is not there in time (or has no ring yet) becomes silence. Returns the frames that
    /// were late.
    func pull(voice index: Int, slot: Int, at voicePosition: Int64, frames: Int, into scratch: UnsafeMutablePointer<Float>,
              _ timeline: Timeline) -> Int {
        guard slot >= 0 else {
            scratch.update(repeating: 0, count: frames * 2)
            return frames
        }
        let ring = ring(slot)
        var got = 0
        var ready = true
        while cursorVoice(slot) != index {
            let earlier = cursorVoice(slot)
            // An earlier voice of the ring that still sounds keeps its data (a ring is given only
            // when none of its voices sounds or waits; if it happened, this voice would play late,
            // never corrupt).
            if earlier < 0 || timeline.voices.states[earlier].isUnfinished
                || !discardRemainder(slot: slot, voice: earlier, timeline) { ready = false; break }
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
        if got < frames { (scratch + got * 2).update(repeating: 0, count: (frames - got) * 2) }
        return frames - got
    }
}
