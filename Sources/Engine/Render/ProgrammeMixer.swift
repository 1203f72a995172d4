// The render thread's mixer. Real-time rules (../../docs/architecture.md): no Foundation, no
// allocation, no locks, no system calls in `render`; everything it touches is allocated in `init`.
import DSP
import Realtime
import Synchronization

/// Mixes the programme's voices block by block into the programme bus, then limits and meters it.
///
/// Threading: `init` and `deinit` on the control side; `render` and `isReady` on one thread at a
/// time (the render thread: ALSA-paced live, or the offline driver). Counters and meters may be
/// read from any thread.
public final class ProgrammeMixer: @unchecked Sendable {
    /// Frames per second of the programme.
    public let sampleRate: Int
    /// The largest block `render` accepts.
    public let maxBlockFrames: Int
    /// Frames by which the output lags the programme timeline (the limiter's lookahead).
    public var latencyFrames: Int { limiter.latencyFrames }

    private let voices: UnsafeMutableBufferPointer<VoiceSpec>
    /// Linear gain of each voice, written by the prefetcher before the voice's first sample
    /// enters its ring (the ring's release/acquire makes it visible here).
    private let gains: UnsafeMutablePointer<Float>
    private let ducks: UnsafeMutablePointer<DuckingEnvelope>
    private let rings: UnsafeMutableBufferPointer<Unmanaged<SPSCRing<Float>>>
    /// Frames each slot owes: data that arrived too late was replaced by silence, and the same
    /// amount is skipped when it does arrive, so that every later frame stays in place.
    private let deficits: UnsafeMutablePointer<Int>
    /// Scratch for the readiness check: frames each slot must hold for the next block.
    private let needed: UnsafeMutablePointer<Int>
    private let scratch: UnsafeMutablePointer<Float>
    private let bus: UnsafeMutablePointer<Float>
    private let limiter: TruePeakLimiter
    private let bedRelease: Int64
    private var firstUnfinished = 0

    /// Programme frame of the next block.
    public private(set) var position: Int64 = 0
    /// Peak of the limited programme within the current block.
    private var peak = PeakMeter()
    /// Momentary and short-term loudness of the programme.
    public private(set) var loudness: LoudnessWindow

    /// Frames of voice audio that were not there in time and played as silence.
    public let lateFrames = Atomic<Int>(0)
    /// The programme's meters after each block, for the console (any thread reads; never blocks
    /// the render thread).
    public let meters = LatestValue(ProgrammeMeters())

    /// Prepares the mixer for `voices` (sorted by start) fed through `rings` (one per slot).
    public init(sampleRate: Int, voices: [VoiceSpec], rings: [SPSCRing<Float>], maxBlockFrames: Int,
                truePeakCeiling: Float, ducking: DuckingSpec) {
        precondition(voices.indices.dropFirst().allSatisfy { voices[$0 - 1].start <= voices[$0].start },
                     "voices must be sorted by start")
        self.sampleRate = sampleRate
        self.maxBlockFrames = maxBlockFrames
        self.voices = .allocate(capacity: voices.count)
        _ = self.voices.initialize(from: voices)
        gains = .allocate(capacity: max(1, voices.count))
        gains.initialize(repeating: 1, count: max(1, voices.count))
        ducks = .allocate(capacity: max(1, voices.count))
        ducks.initialize(repeating: DuckingEnvelope(depth: ducking.depth, attack: ducking.attack,
                                                    release: ducking.release, sampleRate: sampleRate),
                         count: max(1, voices.count))
        self.rings = .allocate(capacity: rings.count)
        for (index, ring) in rings.enumerated() { self.rings[index] = Unmanaged.passRetained(ring) }
        deficits = .allocate(capacity: max(1, rings.count))
        deficits.initialize(repeating: 0, count: max(1, rings.count))
        needed = .allocate(capacity: max(1, rings.count))
        needed.initialize(repeating: 0, count: max(1, rings.count))
        scratch = .allocate(capacity: maxBlockFrames * 2)
        scratch.initialize(repeating: 0, count: maxBlockFrames * 2)
        bus = .allocate(capacity: maxBlockFrames * 2)
        bus.initialize(repeating: 0, count: maxBlockFrames * 2)
        limiter = TruePeakLimiter(sampleRate: sampleRate, channels: 2, ceilingDecibels: truePeakCeiling)
        bedRelease = Int64((ducking.release * Double(sampleRate)).rounded())
        loudness = LoudnessWindow(sampleRate: sampleRate)
    }

    deinit {
        voices.deallocate()
        gains.deallocate()
        ducks.deallocate()
        for ring in rings { ring.release() }
        rings.deallocate()
        deficits.deallocate()
        needed.deallocate()
        scratch.deallocate()
        bus.deallocate()
    }

    /// Prefetch side: sets a voice's gain before its first sample is written to its ring.
    public func setGain(_ gain: Float, forVoice index: Int) { gains[index] = gain }

    /// The voices, as compiled.
    public var voiceCount: Int { voices.count }


    /// True when every voice sounding in the next `frames` has its audio in its ring (or owes
    /// none): the offline driver waits on this so that a render is never short of data. Live
    /// playout does not ask: it plays on, and late data becomes counted silence.
    public func isReady(frames: Int) -> Bool {
        let blockStart = position, blockEnd = position + Int64(frames)
        for slot in 0..<rings.count { needed[slot] = 0 }
        var index = firstUnfinished
        while index < voices.count {
            let voice = voices[index]
            if voice.start >= blockEnd { break }
            if voice.end > blockStart {
                let n = min(blockEnd, voice.end) - max(blockStart, voice.start)
                needed[Int(voice.slot)] += Int(n)
            }
            index += 1
        }
        for slot in 0..<rings.count where needed[slot] > 0 {
            if rings[slot].takeUnretainedValue().availableToRead < (needed[slot] + deficits[slot]) * 2 { return false }
        }
        return true
    }

    /// Renders the next `frames` (≤ `maxBlockFrames`) of the limited programme into `output`
    /// (interleaved stereo), and advances the programme position.
    public func render(into output: UnsafeMutablePointer<Float>, frames: Int) {
        let blockStart = position, blockEnd = position + Int64(frames)
        bus.update(repeating: 0, count: frames * 2)
        while firstUnfinished < voices.count && voices[firstUnfinished].end <= blockStart {
            firstUnfinished += 1
        }
        var index = firstUnfinished
        while index < voices.count {
            let voice = voices[index]
            if voice.start >= blockEnd { break }
            if voice.end > blockStart { mix(voiceAt: index, voice, blockStart: blockStart, blockEnd: blockEnd) }
            index += 1
        }
        let block = UnsafeMutableBufferPointer(start: bus, count: frames * 2)
        limiter.process(block)
        peak.process(UnsafeBufferPointer(block))
        loudness.process(UnsafeBufferPointer(block))
        let blockPeak = peak.take()
        meters.store(ProgrammeMeters(peakLeft: Decibels.fromLinear(blockPeak.left), peakRight: Decibels.fromLinear(blockPeak.right),
                                     momentary: loudness.momentary, shortTerm: loudness.shortTerm))
        output.update(from: bus, count: frames * 2)
        position = blockEnd
    }

    /// Reads one voice's frames for this block from its ring and adds them, shaped by its
    /// envelope, to the bus.
    @inline(__always)
    private func mix(voiceAt index: Int, _ voice: VoiceSpec, blockStart: Int64, blockEnd: Int64) {
        let from = max(blockStart, voice.start)
        let frames = Int(min(blockEnd, voice.end) - from)
        let busOffset = Int(from - blockStart) * 2
        let position = from - voice.start
        let slot = Int(voice.slot)
        let ring = rings[slot].takeUnretainedValue()

        if deficits[slot] > 0 {
            let skipped = ring.discard(count: min(deficits[slot] * 2, ring.availableToRead)) / 2
            deficits[slot] -= skipped
        }
        var got = 0
        if deficits[slot] == 0 { got = ring.read(into: scratch, count: frames * 2) / 2 }
        if got < frames {
            (scratch + got * 2).update(repeating: 0, count: (frames - got) * 2)
            deficits[slot] += frames - got
            lateFrames.add(frames - got, ordering: .relaxed)
        }

        let gain = gains[index]
        let destination = bus + busOffset
        let fadeOutStart = voice.length - voice.fadeOut
        let crossfadeOutStart = voice.length - voice.crossfadeOut
        let bedFadeStart = voice.length - bedRelease
        let shaped = voice.isBed || position < max(voice.fadeIn, voice.crossfadeIn)
            || position + Int64(frames) > min(fadeOutStart, crossfadeOutStart)
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
            if voice.isBed {
                // A bed ducks under the talk from its first frame and fades out as its item ends.
                ducks[index].isDucked = true
                g *= ducks[index].nextGain()
                if p >= bedFadeStart && bedRelease > 0 {
                    g *= FadeCurve.equalPower.fadeOutGain(at: p - bedFadeStart, length: bedRelease)
                }
            }
            destination[2 * f] += scratch[2 * f] * g
            destination[2 * f + 1] += scratch[2 * f + 1] * g
        }
    }
}

/// What the programme meters read after a block: peaks in dBFS, loudness in LUFS.
public struct ProgrammeMeters: BitwiseCopyable, Sendable {
    /// Left channel peak of the last block, dBFS.
    public var peakLeft: Float = -.infinity
    /// Right channel peak of the last block, dBFS.
    public var peakRight: Float = -.infinity
    /// Momentary loudness (400 ms), LUFS.
    public var momentary: Float = -.infinity
    /// Short-term loudness (3 s), LUFS.
    public var shortTerm: Float = -.infinity

    /// Meters reading silence.
    public init() {}

    /// A reading.
    public init(peakLeft: Float, peakRight: Float, momentary: Float, shortTerm: Float) {
        self.peakLeft = peakLeft; self.peakRight = peakRight; self.momentary = momentary; self.shortTerm = shortTerm
    }
}
