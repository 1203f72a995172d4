import AudioIO
import Foundation
import Realtime
import RegieModel

/// Feeds the voices' sample rings ahead of the render thread: decodes, resamples, loops beds,
/// and gives each voice its loudness gain before its first sample. Runs on its own thread, with
/// an analysis thread ahead of it measuring each source's loudness (once, then cached).
///
/// A source that fails while airing (deleted, truncated, unreadable) plays as silence for the
/// rest of its voice and is counted in `faults`: the air never stops.
package final class Prefetcher: @unchecked Sendable {
    /// Frames decoded per read.
    static let chunkFrames = 4096

    private let program: CompiledProgram
    private let mixer: ProgrammeMixer
    private let rings: [SPSCRing<Float>]
    private let cache: LoudnessCache
    private let targetLoudness: Double
    private let analysisCores: AnalysisCores?
    private let lock = NSCondition()
    private var measured: [String: SourceLoudness] = [:]
    private var stopped = false
    /// When `nudge` was last called (uptime, ns); under `lock`.
    private var nudgedAt: UInt64 = 0
    private var threads: [Thread] = []
    private let finished = DispatchSemaphore(value: 0)
    private let analysisFinished = DispatchSemaphore(value: 0)

    private var faultList: [String] = []
    /// Sources that failed to open or decode while airing (played as silence); any thread.
    package var faults: [String] { lock.lock(); defer { lock.unlock() }; return faultList }
    /// Each voice's source and how much of it to deliver (the compiled ones, then the items
    /// inserted on air); under `lock`.
    private var voiceSources: [Int: (source: VoiceSource, length: Int64)] = [:]

    /// Prepares feeding `program` into `rings` (one per slot) for `mixer`.
    package init(program: CompiledProgram, mixer: ProgrammeMixer, rings: [SPSCRing<Float>], cache: LoudnessCache,
                targetLoudness: Double, analysisCores: AnalysisCores? = nil) {
        self.program = program
        self.analysisCores = analysisCores
        self.mixer = mixer
        self.rings = rings
        self.cache = cache
        self.targetLoudness = targetLoudness
        for (index, source) in program.sources.enumerated() {
            guard let source else { continue }
            let voice = program.voices[index]
            voiceSources[index] = (source, voice.isOpenEnded ? Int64.max : voice.length)
        }
    }

    /// Control side: voice `index` (an item inserted on air) plays `source` for `length` frames
    /// (`Int64.max` for a bed that loops until cut), at the gain that brings `loudness` to the
    /// target. Call before the edit that schedules it is sent.
    package func add(voice index: Int, source: VoiceSource, length: Int64, loudness: SourceLoudness) {
        lock.lock(); defer { lock.unlock() }
        voiceSources[index] = (source, length)
        if measured[source.path] == nil { measured[source.path] = loudness }
    }

    /// Starts the analysis and prefetch threads.
    package func start() {
        let analysis = Thread { [self] in Thread.current.name = "regie-analysis"; analyse() }
        analysis.name = "regie-analysis"
        let prefetch = Thread { [self] in Thread.current.name = "regie-prefetch"; feed(); finished.signal() }
        prefetch.name = "regie-prefetch"
        threads = [analysis, prefetch]
        analysis.start()
        prefetch.start()
    }

    /// Stops both threads and waits for the prefetch thread to end.
    package func stop() {
        lock.lock(); stopped = true; lock.broadcast(); lock.unlock()
        if threads.count == 2 { finished.wait() }
        threads = []
    }

    /// Waits until the analysis thread has measured every source (true peaks included) and saved
    /// the cache; call after a render that ran to its end.
    package func waitForAnalysis() {
        guard threads.count == 2 else { return }
        analysisFinished.wait()
        analysisFinished.signal()   // later calls return at once
    }

    /// The measured loudness of each source so far (for the summary).
    package var measurements: [String: SourceLoudness] { lock.lock(); defer { lock.unlock() }; return measured }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    private func isMeasured(_ path: String) -> Bool { lock.lock(); defer { lock.unlock() }; return measured[path] != nil }

    /// Gives measurements made before `start` (live playout measures every source before air),
    /// so the prefetch thread never waits on the analysis thread for a gain. That thread runs at
    /// a low priority: on a loaded machine, looking a source up again (hashing the whole file)
    /// could keep a voice's first samples waiting for seconds.
    package func preload(_ measurements: [String: SourceLoudness]) {
        lock.lock(); defer { lock.unlock() }
        for (path, loudness) in measurements { measured[path] = loudness }
    }

    /// Sources first heard this early in the programme get a quick integrated-only pass before
    /// anything else: the render cannot start without their gains.
    static let quickPassSeconds: Int64 = 60

    /// Analysis thread: measures every source once, in the order it airs, at a lower priority
    /// than the threads that mix and encode (it runs ahead of them and must not take their cores):
    /// integrated loudness (libebur128) and true peak (`TruePeakMeter`) in one decoding pass.
    /// Sources heard in the first minute get their integrated loudness alone first, since the
    /// render waits for their gains before its first block, and their true peaks at the end, at
    /// the lowest priority.
    private func analyse() {
        // On Linux the nice value is per thread: this lowers only the analysis thread.
        ThreadScheduling.setNice(10)
        var order: [(path: String, start: Int64)] = []
        var seen = Set<String>()
        for (index, source) in program.sources.enumerated() {
            guard let source, seen.insert(source.path).inserted else { continue }
            order.append((source.path, program.voices[index].start))   // voices are sorted by start
        }
        let quickUntil = Self.quickPassSeconds * Int64(program.plan.sampleRate)
        // `order` is sorted by start: the sources the render waits for come first.
        let urgent = order.prefix { $0.start < quickUntil }
        analysisCores?.urgent.applyToCallingThread()
        measure(urgent, truePeak: false)
        analysisCores?.background.applyToCallingThread()
        measure(order.dropFirst(urgent.count), truePeak: true)
        ThreadScheduling.setNice(19)
        for (path, _) in order where !isStopped { try? cache.measureTruePeak(of: path) }
        cache.save()
        analysisFinished.signal()
    }

    /// Measures the sources not measured yet (integrated loudness, and with `truePeak` the true
    /// peak in the same pass) and hands each measurement to the prefetch thread.
    private func measure(_ sources: ArraySlice<(path: String, start: Int64)>, truePeak: Bool) {
        for (path, _) in sources {
            if isStopped { return }
            if isMeasured(path) { continue }   // given by `preload` (live playout measured it before air)
            let loudness = (try? cache.loudness(of: path, truePeak: truePeak))
                ?? SourceLoudness(integrated: targetLoudness, truePeak: nil)
            lock.lock(); measured[path] = loudness; lock.broadcast(); lock.unlock()
        }
    }

    /// The CPUs of the analysis thread when an offline render keeps a core for its encoder: while
    /// it measures the sources the render waits for (heard in the first minute), every usable
    /// CPU, since nothing else can run yet (`LoudnessMeter` measures a long file in two parts at
    /// once); afterwards, the CPUs of the other background work, off the encoder's core.
    package struct AnalysisCores: Sendable {
        /// While the render waits.
        package var urgent: CPUMask
        /// Afterwards.
        package var background: CPUMask
        /// A placement.
        package init(urgent: CPUMask, background: CPUMask) { self.urgent = urgent; self.background = background }
    }

    /// The gain that brings a source to the show's target; waits for its measurement.
    private func gain(for path: String) -> Float? {
        lock.lock(); defer { lock.unlock() }
        while measured[path] == nil && !stopped { lock.wait() }
        guard let loudness = measured[path] else { return nil }
        return LoudnessGain.linear(target: targetLoudness, measured: loudness.integrated)
    }

    /// Per-slot state of the prefetch thread.
    private struct SlotFeed {
        var voices: [Int]
        var next = 0
        var reader: VoiceReader?
        var voice = -1
    }

    private func source(of index: Int) -> (source: VoiceSource, length: Int64)? {
        lock.lock(); defer { lock.unlock() }
        return voiceSources[index]
    }

    /// Prefetch thread: keeps every ring topped up, in the order its voices were given it (when
    /// compiled, or on air through the mixer's `assignments`). A voice the mixer cuts short
    /// (`VoiceFeedback.limit`) is written no further; once a voice is done, the frames written are
    /// reported so the mixer can discard exactly what is left of it. In live playout the thread
    /// runs until stopped (rings are given as the show goes); offline, until every voice is fed.
    private func feed() {
        let feedback = mixer.feedback
        var feeds = (0..<rings.count).map { slot in
            SlotFeed(voices: program.voices.indices.filter { Int(program.voices[$0].slot) == slot })
        }
        let assignments = mixer.assignments
        let live = program.playout != nil
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Self.chunkFrames * 2)
        defer { buffer.deallocate() }
        while !isStopped {
            var worked = false
            var pending = live
            var leastBuffered = Int.max   // frames, in the rings that still have audio to take
            while let assignment = assignments.pop() {
                let slot = Int(assignment.slot)
                if slot < feeds.count { feeds[slot].voices.append(Int(assignment.voice)) }
            }
            for slot in feeds.indices {
                let ring = rings[slot]
                while ring.availableToWrite >= Self.chunkFrames * 2 {
                    if feeds[slot].reader == nil {
                        guard feeds[slot].next < feeds[slot].voices.count else { break }
                        let index = feeds[slot].voices[feeds[slot].next]
                        feeds[slot].next += 1
                        guard let (source, length) = self.source(of: index) else { continue }
                        if feedback.limit(of: index) <= 0 { feedback.finish(index, wrote: 0); continue }   // skipped
                        guard let gain = gain(for: source.path) else { return }
                        mixer.setGain(gain, forVoice: index)
                        feeds[slot].reader = openReader(source: source, length: length)
                        feeds[slot].voice = index
                    }
                    let index = feeds[slot].voice
                    let reader = feeds[slot].reader!
                    let allowed = feedback.limit(of: index) - reader.delivered
                    let n = allowed > 0 ? reader.read(into: buffer, frames: Int(min(Int64(Self.chunkFrames), allowed))) : 0
                    if n == 0 {
                        feedback.finish(index, wrote: reader.delivered)
                        feeds[slot].reader = nil
                        continue
                    }
                    ring.write(from: buffer, count: n * 2)
                    worked = true
                }
                if feeds[slot].reader != nil || feeds[slot].next < feeds[slot].voices.count {
                    pending = true
                    leastBuffered = min(leastBuffered, ring.availableToRead / 2)
                }
            }
            if !pending { return }
            if !worked { idle(leastBuffered: live && leastBuffered == Int.max ? Self.idleWhenNothingQueued : leastBuffered) }
        }
    }

    /// Wakes the prefetch thread and keeps it looking every few milliseconds for a moment: the
    /// control side calls it with every command, since a skip, a fade or a GO can cut a voice and
    /// free its ring for the next voice of the slot. Any thread but the render thread.
    package func nudge() {
        lock.lock()
        nudgedAt = DispatchTime.now().uptimeNanoseconds
        lock.broadcast()
        lock.unlock()
    }

    /// Live, with nothing queued in any ring: look for new rings' voices again after this many
    /// frames' worth of sleep (the mixer gives rings seconds ahead; a nudge comes with every
    /// command and edit).
    static let idleWhenNothingQueued = 4410

    /// After a nudge, the time the prefetch thread keeps looking every 5 ms: a command reaches the
    /// mixer at its next block (a period: 5 ms with the console, 10 ms headless) and the voices
    /// it cuts are known from then on.
    static let nudgeWindowNanoseconds: UInt64 = 200_000_000

    private func idle(leastBuffered: Int) {
        let microseconds = idleSleepMicroseconds(leastBuffered: leastBuffered)
        guard program.playout != nil else { usleep(microseconds); return }
        lock.lock(); defer { lock.unlock() }
        if stopped { return }
        let recentlyNudged = DispatchTime.now().uptimeNanoseconds &- nudgedAt < Self.nudgeWindowNanoseconds
        let sleep = recentlyNudged ? min(microseconds, 5_000) : microseconds
        _ = lock.wait(until: Date(timeIntervalSinceNow: Double(sleep) / 1_000_000))
    }

    /// How long the prefetch thread sleeps when every ring is full. Offline the mixer drains
    /// a ring many times faster than real time, so it looks again after 1 ms. Live playout
    /// (`program.playout` set) drains them in real time: it sleeps a quarter of the audio the
    /// emptiest ring with more to come still holds, between 1 and 250 ms (its rings hold
    /// seconds), instead of waking a thousand times a second for nothing. A command can cut a
    /// voice and want its ring refilled at once: `nudge` wakes the thread then.
    private func idleSleepMicroseconds(leastBuffered: Int) -> UInt32 {
        guard program.playout != nil, leastBuffered != Int.max else { return 1000 }
        let microseconds = leastBuffered * 250_000 / max(1, program.plan.sampleRate)
        return UInt32(min(250_000, max(1000, microseconds)))
    }

    private func openReader(source: VoiceSource, length: Int64) -> VoiceReader {
        let reader = VoiceReader(source: source, outputRate: program.plan.sampleRate, length: length)
        if let failure = reader.failure { lock.lock(); faultList.append(failure); lock.unlock() }
        return reader
    }
}

/// Delivers exactly `length` frames of a voice: the cue span resampled to the show's rate, a bed
/// looped, and silence for whatever a failing file cannot give.
final class VoiceReader {
    private let source: VoiceSource
    private let outputRate: Int
    private let length: Int64
    /// Frames delivered so far.
    private(set) var delivered: Int64 = 0
    private var reader: ResampledFileReader?
    /// Why the source could not be read, if it could not.
    private(set) var failure: String?

    init(source: VoiceSource, outputRate: Int, length: Int64) {
        self.source = source
        self.outputRate = outputRate
        self.length = length
        reader = open()
    }

    private func open() -> ResampledFileReader? {
        do {
            return try ResampledFileReader(path: source.path, outputRate: outputRate, startFrame: source.firstFrame,
                                           frameCount: source.frameCount)
        } catch {
            failure = "\(source.path): \(error)"
            return nil
        }
    }

    /// Writes up to `frames` frames; 0 once the voice's length is delivered.
    func read(into destination: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let wanted = Int(min(Int64(frames), length - delivered))
        guard wanted > 0 else { return 0 }
        var n = reader?.read(into: destination, frames: wanted) ?? 0
        if n == 0, source.loops, failure == nil {
            reader = open()   // the bed starts again from its top
            n = reader?.read(into: destination, frames: wanted) ?? 0
        }
        if n == 0 {
            // Nothing more from the file: silence keeps every later frame in place.
            destination.update(repeating: 0, count: wanted * 2)
            n = wanted
        }
        delivered += Int64(n)
        return n
    }
}
