// The render thread's mixer. Real-time rules (../../../docs/architecture.md): no Foundation, no
// allocation, no locks and no system calls in `render` — the one clock read (CLOCK_MONOTONIC,
// through the vDSO: no kernel entry) stamps when a command was applied. Everything it touches is
// allocated in `init`.
import DSP
import Realtime
import Support
import Synchronization

/// Mixes the programme's voices block by block into the programme bus, then limits and meters it.
///
/// A block: apply the technician's commands (`commands`) and the schedule's holds (`Timeline`),
/// read each sounding voice from its ring (`SlotReader`), shape it with its envelope
/// (`VoiceEnvelope`) and add it to the bus, add the carts (`CartPlayer`), then the true-peak
/// limiter, the meters and the state for the console. What happened goes out on `events` at the
/// exact programme frame.
///
/// Threading: `init` and `deinit` on the control side; `prepare`, `render` and `isReady` on one
/// thread at a time (the render thread: ALSA-paced live, or the offline driver). Counters, meters,
/// `state`, `commands` (producer) and `events` (consumer) may be used from the control side.
public final class ProgrammeMixer: @unchecked Sendable {
    /// Frames per second of the programme.
    package let sampleRate: Int
    /// The largest block `render` accepts.
    package let maxBlockFrames: Int
    /// Frames by which the output lags the programme timeline (the limiter's lookahead).
    package var latencyFrames: Int { limiter.latencyFrames }
    /// How the schedule runs.
    package var mode: PlayoutMode { timeline.mode }

    private let timeline: Timeline
    private let slots: SlotReader
    private let carts: CartPlayer
    private let scratch: UnsafeMutablePointer<Float>
    private let bus: UnsafeMutablePointer<Float>
    private let limiter: TruePeakLimiter
    /// The timeline's share of the bus during the pause's de-click ramps.
    private var pauseGain: Float = 1
    private var preparedPosition: Int64 = -1

    /// Programme frame of the next block.
    package private(set) var position: Int64 = 0
    /// Peak of the limited programme within the current block.
    private var peak = PeakMeter()
    /// Momentary and short-term loudness of the programme.
    package private(set) var loudness: LoudnessWindow

    /// Frames of voice audio that were not there in time and played as silence.
    package let lateFrames = Atomic<Int>(0)
    /// Events the render thread could not queue (the control side fell behind).
    package var droppedEvents: Int { timeline.droppedEvents.load(ordering: .relaxed) }
    /// The programme's meters after each block, for the console (any thread reads; never blocks
    /// the render thread).
    package let meters = LatestValue(ProgrammeMeters())
    /// The schedule's state after each block.
    package let state = LatestValue(TimelineState())
    /// Commands from the control side (one producer: the console's thread).
    package let commands = SPSCQueue<EngineCommand>(capacity: 256)
    /// What happened, for the as-run log and the console (one consumer: the control thread).
    package var events: SPSCQueue<MixerEvent> { timeline.events }
    /// Shared with the prefetcher: how far each voice will be read, and how much was written.
    package var feedback: VoiceFeedback { timeline.feedback }
    /// Raised (any thread may read it) in the block where the show's first item starts.
    package var hasStarted: AtomicFlag { timeline.hasStarted }
    /// Render thread: the first item's first frame once the show has started, else -1 (the
    /// recorders take the programme from there: the wait for the first GO is not recorded).
    package var showStart: Int64 { timeline.showStart }
    /// Render thread: the programme's end once every item has ended and no cart plays, else -1.
    package var finishedAt: Int64 { timeline.finishedAt }
    /// Rings given on air (voices compiled with `VoiceSpec.onAir`), for the prefetcher.
    package var assignments: SPSCQueue<SlotAssignment> { slots.assignments }
    /// The running-order change on its way to the render thread (see `ScheduleEdit`).
    package let edit: ScheduleEdit
    /// Voices the table can hold in all (the compiled ones and the items inserted on air).
    package var voiceCapacity: Int { timeline.voices.capacity }

    /// A voice given a ring on air takes it once it is among the next `lookahead` pending voices
    /// with audio, or starts within `ringHorizonSeconds`.
    static let lookahead = 3
    static let ringHorizonSeconds = 10

    /// Prepares the mixer for `voices` (sorted by start) fed through `rings` (one per slot), with
    /// room for `capacity` voices in all (items inserted on air; default: none).
    package init(sampleRate: Int, voices: [VoiceSpec], rings: [SPSCRing<Float>], maxBlockFrames: Int,
                 truePeakCeiling: Float, ducking: DuckingSpec, mode: PlayoutMode = .automation,
                 carts: CartAudio = CartAudio(), feedback: VoiceFeedback? = nil, capacity: Int? = nil) {
        self.sampleRate = sampleRate
        self.maxBlockFrames = maxBlockFrames
        let capacity = max(capacity ?? voices.count, voices.count, 1)
        timeline = Timeline(voices: voices, capacity: capacity, mode: mode, sampleRate: sampleRate, ducking: ducking,
                            feedback: feedback ?? VoiceFeedback(count: capacity),
                            events: SPSCQueue<MixerEvent>(capacity: 4096))
        slots = SlotReader(voices: voices, capacity: capacity, rings: rings)
        edit = ScheduleEdit(capacity: capacity)
        self.carts = CartPlayer(audio: carts, declick: Int(timeline.declick))
        scratch = .allocate(capacity: maxBlockFrames * 2)
        scratch.initialize(repeating: 0, count: maxBlockFrames * 2)
        bus = .allocate(capacity: maxBlockFrames * 2)
        bus.initialize(repeating: 0, count: maxBlockFrames * 2)
        limiter = TruePeakLimiter(sampleRate: sampleRate, channels: 2, ceilingDecibels: truePeakCeiling)
        loudness = LoudnessWindow(sampleRate: sampleRate)
        state.store(timeline.initialState)
    }

    /// An automation mixer with no carts (what the benchmark package, outside this package, builds).
    public convenience init(sampleRate: Int, voices: [VoiceSpec], rings: [SPSCRing<Float>], maxBlockFrames: Int,
                            truePeakCeiling: Float, ducking: DuckingSpec) {
        self.init(sampleRate: sampleRate, voices: voices, rings: rings, maxBlockFrames: maxBlockFrames,
                  truePeakCeiling: truePeakCeiling, ducking: ducking, mode: .automation)
    }

    deinit {
        scratch.deallocate()
        bus.deallocate()
    }

    /// Prefetch side: sets a voice's gain before its first sample is written to its ring.
    public func setGain(_ gain: Float, forVoice index: Int) { timeline.voices.gains[index] = gain }

    /// The voices, as compiled.
    package var voiceCount: Int { timeline.voices.count }
    /// Render thread (or after the render): voices that needed a ring on air when none was free.
    package var ringShortages: Int { slots.ringShortages }

    /// True when every voice sounding in the next `frames` has its audio in its ring, counting
    /// what must first be discarded of voices before it in the same ring (or owes none): offline
    /// drivers wait on this (after `prepare`) so that a render is never short of data. Live
    /// playout does not ask: it plays on, and late data becomes counted silence.
    public func isReady(frames: Int) -> Bool {
        slots.isReady(timeline, blockStart: position, blockEnd: position + Int64(frames))
    }

    /// Applies the commands waiting and the schedule's holds for the next block. `render` does
    /// it itself; an offline driver calls it first so that `isReady` sees the block as it will be.
    public func prepare(frames: Int) {
        guard preparedPosition != position else { return }
        preparedPosition = position
        while let command = commands.pop() {
            let appliedAt = MonotonicClock.nanoseconds()
            if command.kind == .cart {
                if let kind = carts.toggle(Int(command.argument)) {
                    timeline.emit(MixerEvent(kind, answering: command, appliedAt: appliedAt, position: position,
                                             cart: command.argument))
                }
            } else {
                timeline.apply(command, at: position, appliedAt: appliedAt, edit: edit)
            }
        }
        timeline.prepareBlock(start: position, frames: frames)
        slots.commit(timeline, position: position, lookahead: Self.lookahead,
                     horizon: Int64(Self.ringHorizonSeconds * sampleRate))
    }

    /// Renders the next `frames` (≤ `maxBlockFrames`) of the limited programme into `output`
    /// (interleaved stereo), and advances the programme position.
    public func render(into output: UnsafeMutablePointer<Float>, frames: Int) {
        let blockStart = position, blockEnd = position + Int64(frames)
        bus.update(repeating: 0, count: frames * 2)
        prepare(frames: frames)
        timeline.advanceFirstUnfinished()
        slots.drainFinishedVoices(timeline)
        if timeline.pause != .paused {
            timeline.play(blockStart: blockStart, blockEnd: blockEnd) { index, end in
                mix(voice: index, end: end, blockStart: blockStart, blockEnd: blockEnd)
            }
            if timeline.pause == .pausing || pauseGain < 1 { applyPauseFade(frames: frames) }
        }
        carts.mix(into: bus, frames: frames)
        let block = UnsafeMutableBufferPointer(start: bus, count: frames * 2)
        limiter.process(block)
        peak.process(UnsafeBufferPointer(block))
        loudness.process(UnsafeBufferPointer(block))
        let blockPeak = peak.take()
        meters.store(ProgrammeMeters(peakLeft: Decibels.fromLinear(blockPeak.left), peakRight: Decibels.fromLinear(blockPeak.right),
                                     momentary: loudness.momentary, shortTerm: loudness.shortTerm))
        output.update(from: bus, count: frames * 2)
        position = blockEnd
        state.store(timeline.state(at: position, cartsPlaying: carts.playing))
    }

    /// Reads one voice's frames for this block from its ring and adds them, shaped by its
    /// envelope, to the bus.
    @inline(__always)
    private func mix(voice index: Int, end: Int64, blockStart: Int64, blockEnd: Int64) {
        let voice = timeline.voices.states[index].spec
        let from = max(blockStart, voice.start)
        let frames = Int(min(blockEnd, end) - from)
        guard frames > 0 else { return }
        let position = from - voice.start
        let late = slots.pull(voice: index, slot: Int(voice.slot), at: position, frames: frames, into: scratch, timeline)
        if late > 0 { lateFrames.add(late, ordering: .relaxed) }
        let cut = timeline.voices.states[index].cut
        // A bed fades out over the release at the end of its item, unless a cut fades it already
        // or its item holds for GO (then GO's cut fades it).
        let bedRelease = timeline.bedRelease
        let bedFadeStart = min(cut == nil && !timeline.isHeld(index) ? voice.length - bedRelease : .max,
                               timeline.voices.states[index].bedFadedAt)
        VoiceEnvelope.add(scratch, to: bus + Int(from - blockStart) * 2, frames: frames, position: position, voice: voice,
                          cut: cut, gain: timeline.voices.gains[index], bedFadeStart: bedFadeStart, bedRelease: bedRelease,
                          duck: &timeline.voices.states[index].duck, ducked: timeline.bedsDucked)
    }

    /// The de-click fades around a pause: the timeline's share of the bus ramps down over 10 ms,
    /// then the timeline freezes; on resume it ramps back up.
    private func applyPauseFade(frames: Int) {
        let step = (timeline.pause == .pausing ? -1 : 1) / Float(max(1, timeline.declick))
        for f in 0..<frames {
            pauseGain = min(1, max(0, pauseGain + step))
            bus[2 * f] *= pauseGain
            bus[2 * f + 1] *= pauseGain
        }
        if timeline.pause == .pausing && pauseGain == 0 {
            timeline.completePause(at: position + Int64(frames))
        }
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
