// The read side of the sample rings: which voice of each ring the render thread is reading, how
// far, and what of a cut voice must be thrown away before the next one. Render thread only, no
// Foundation, no allocation after `init` (real-time rules 1–3).
import Realtime

/// Reads each voice's frames from its ring (one ring per slot; the voices of a slot follow one
/// another in it, in timeline order). What is not there in time becomes counted silence, and the
/// slot then owes those frames and skips them when they arrive, so every later sample stays in
/// place. A voice cut short has the rest of its frames discarded before the next voice of its
/// slot, exactly: the prefetcher reports through `VoiceFeedback` how many it wrote in all.
final class SlotReader {
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

    /// The read side of `rings` (one per slot) for `voices` (sorted by start).
    init(voices: [VoiceSpec], rings: [SPSCRing<Float>]) {
        self.rings = .allocate(capacity: rings.count)
        for (index, ring) in rings.enumerated() { self.rings[index] = Unmanaged.passRetained(ring) }
        let slots = max(1, rings.count)
        slotStarts = .allocate(capacity: slots + 1)
        slotVoices = .allocate(capacity: max(1, voices.count))
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
        needed = .allocate(capacity: slots); needed.initialize(repeating: 0, count: slots)
        simulatedCursors = .allocate(capacity: slots); simulatedCursors.initialize(repeating: 0, count: slots)
        simulatedFrames = .allocate(capacity: slots); simulatedFrames.initialize(repeating: 0, count: slots)
    }

    deinit {
        for ring in rings { ring.release() }
        rings.deallocate()
        slotVoices.deallocate(); slotStarts.deallocate(); cursors.deallocate(); cursorFrames.deallocate()
        needed.deallocate(); simulatedCursors.deallocate(); simulatedFrames.deallocate()
    }

    @inline(__always) private func ring(_ slot: Int) -> SPSCRing<Float> { rings[slot].takeUnretainedValue() }

    @inline(__always) private func cursorVoice(_ slot: Int) -> Int {
        let c = cursors[slot]
        return c < slotStarts[slot + 1] ? Int(slotVoices[c]) : -1
    }

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
        var index = timeline.firstUnfinished
        while index < voices.count {
            let voice = voices[index].spec
            if voice.start >= blockEnd { break }
            let end = voices[index].effectiveEnd
            if voice.hasAudio && end > blockStart && voices[index].isUnfinished {
                let slot = Int(voice.slot)
                var need = Int64(needed[slot])
                while simulatedCursors[slot] < slotStarts[slot + 1] && Int(slotVoices[simulatedCursors[slot]]) != index {
                    let earlier = Int(slotVoices[simulatedCursors[slot]])
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
            index += 1
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

    /// Eagerly empties the rings of voices that ended or were cut, so the next voice of each
    /// slot is prefetched in time.
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
    /// what is not there in time becomes silence. Returns the frames that were late.
    func pull(voice index: Int, slot: Int, at voicePosition: Int64, frames: Int, into scratch: UnsafeMutablePointer<Float>,
              _ timeline: Timeline) -> Int {
        let ring = ring(slot)
        var got = 0
        var ready = true
        while cursorVoice(slot) != index {
            let earlier = cursorVoice(slot)
            // An earlier voice of the slot that still sounds keeps its data (it cannot happen with
            // the live slot colouring; if it did, this voice would play late, never corrupt).
            if earlier < 0 || earlier > index || timeline.voices.states[earlier].isUnfinished
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
