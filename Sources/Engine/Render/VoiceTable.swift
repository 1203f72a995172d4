// The voices of the programme as the render thread sees them: plain data in one allocation made
// on the control side. No Foundation here (real-time rule 1).
import DSP

/// Where a voice is in its life on the timeline.
struct VoiceFlags: OptionSet, BitwiseCopyable {
    let rawValue: UInt8
    /// Its first frame has been mixed (or GO started it).
    static let started = VoiceFlags(rawValue: 1)
    /// It has stopped sounding for good.
    static let ended = VoiceFlags(rawValue: 2)
    /// GO or a cut let it go: a live item no longer holds at its end.
    static let released = VoiceFlags(rawValue: 4)
    /// The technician skipped it (on air or waiting).
    static let skipped = VoiceFlags(rawValue: 8)
    /// Its `itemEnded` event has been sent (GO sends it early for a live item).
    static let endLogged = VoiceFlags(rawValue: 16)
    /// It will never sound again. (The combinations are written as raw values: an array literal
    /// of an option set may allocate, and these are tested on the render thread.)
    static let finished = VoiceFlags(rawValue: 2 | 8)
    /// It has started, or will never start.
    static let startedOrFinished = VoiceFlags(rawValue: 1 | 2 | 8)
    /// What a skip while waiting marks: skipped, ended, and its end already told.
    static let passedOver = VoiceFlags(rawValue: 8 | 2 | 16)
}

/// A fade-out cut into a voice: from `start` (voice frames) over `length` frames.
struct VoiceCut: BitwiseCopyable {
    var start: Int64
    var length: Int64
    /// One past the cut's last sounding frame, in voice frames.
    var end: Int64 { start + length }
}

/// One voice on the timeline: as compiled, moved by the technician's commands.
struct VoiceState: BitwiseCopyable {
    /// Start, length and envelope (the render thread moves `start` and `length`).
    var spec: VoiceSpec
    /// A cut that shortens it, if any.
    var cut: VoiceCut?
    /// Where (frames into the voice) the technician faded this bed out, or `.max`.
    var bedFadedAt: Int64 = .max
    var flags: VoiceFlags = []
    /// A bed's ducking under the talk.
    var duck: DuckingEnvelope

    /// Where the voice stops sounding: its (held) length, or its cut.
    @inline(__always) var effectiveEnd: Int64 {
        guard let cut else { return spec.end }
        return spec.start + min(spec.length, cut.end)
    }

    /// Still to sound (not ended, not skipped).
    @inline(__always) var isUnfinished: Bool { flags.isDisjoint(with: .finished) }

    /// Cut short (by a cut or a skip): the prefetcher may stop before the planned length.
    @inline(__always) var isCutShort: Bool { cut != nil || flags.contains(.skipped) }
}

/// The voices, allocated once (control side) with room for the items inserted on air, read and
/// moved by the render thread. A voice keeps its index for good: the schedule is the timeline's
/// `order`, not the table's.
final class VoiceTable {
    /// Render thread only (`capacity` entries; the first `count` are voices).
    let states: UnsafeMutableBufferPointer<VoiceState>
    /// Linear gain of each voice, written by the prefetcher before the voice's first sample enters
    /// its ring (the ring's release/acquire ordering makes it visible to the render thread).
    let gains: UnsafeMutableBufferPointer<Float>
    /// Voices in the table (render thread; grows when an edit adds voices).
    private(set) var count: Int
    /// The envelope a new voice's ducking starts from.
    let duck: DuckingEnvelope

    init(voices: [VoiceSpec], capacity: Int, ducking: DuckingSpec, sampleRate: Int) {
        let capacity = max(1, capacity, voices.count)
        states = .allocate(capacity: capacity)
        duck = DuckingEnvelope(depth: ducking.depth, attack: ducking.attack, release: ducking.release,
                               sampleRate: sampleRate)
        let blank = VoiceState(spec: VoiceSpec(start: 0, length: 0, slot: VoiceSpec.noAudio, item: -1), duck: duck)
        states.initialize(repeating: blank)
        for (index, voice) in voices.enumerated() { states[index] = VoiceState(spec: voice, duck: duck) }
        gains = .allocate(capacity: capacity)
        gains.initialize(repeating: 1)
        count = voices.count
    }

    deinit {
        states.deallocate()
        gains.deallocate()
    }

    /// Room for voices in all.
    @inline(__always) var capacity: Int { states.count }

    /// Render thread: adds `voice` at index `count` (an edit's inserted item); false when full.
    @inline(__always) func append(_ voice: VoiceSpec) -> Bool {
        guard count < capacity else { return false }
        states[count] = VoiceState(spec: voice, duck: duck)
        count += 1
        return true
    }
}
