// EBU R128 / ITU-R BS.1770 loudness through libebur128. Control and recorder threads only.
import CEbur128
import DSP
import Foundation
import Glibc

/// How `LoudnessMeter.measureFile` measures a file's true peak.
package enum TruePeakMethod: Sendable {
    /// libebur128's true-peak mode (4× oversampling; several times the cost of the integrated
    /// loudness).
    case libebur128
    /// `TruePeakMeter` (8× oversampling with the limiter's interpolation filters, skipping what
    /// cannot beat the peak so far): reads within 0.1 dB of libebur128 on programme material
    /// (`LoudnessTests.interpolatedTruePeakAgreesWithLibebur128`), at a fraction of the cost.
    case interpolated
}

/// Loudness meter for interleaved stereo Float32: integrated, momentary (400 ms) and short-term
/// (3 s) loudness in LUFS, and true peak in dBTP.
///
/// Threading: one thread at a time, never the render thread (libebur128 keeps a growing list of
/// 400 ms gating blocks for the integrated value, so `add` allocates now and then).
package final class LoudnessMeter: @unchecked Sendable {
    /// Frames per second of the fed audio.
    package let sampleRate: Int
    private var state: UnsafeMutablePointer<ebur128_state>?

    /// Creates a stereo meter at `sampleRate`; `truePeak: false` skips libebur128's (costly)
    /// oversampled true-peak measurement, and `truePeak` then reads −∞.
    package init(sampleRate: Int, truePeak: Bool = true) {
        self.sampleRate = sampleRate
        var mode = EBUR128_MODE_I.rawValue | EBUR128_MODE_S.rawValue | EBUR128_MODE_M.rawValue
        if truePeak { mode |= EBUR128_MODE_TRUE_PEAK.rawValue }
        let flags = Int32(mode)
        state = ebur128_init(2, UInt(sampleRate), flags)
        precondition(state != nil, "ebur128_init failed")
    }

    deinit {
        ebur128_destroy(&state)
    }

    /// Feeds `frames` interleaved stereo frames.
    package func add(_ samples: UnsafePointer<Float>, frames: Int) {
        _ = ebur128_add_frames_float(state, samples, frames)
    }

    /// Integrated (gated) loudness of everything fed so far, LUFS (−∞ for silence).
    package var integrated: Double { value { ebur128_loudness_global(state, $0) } }
    /// Integrated loudness of several meters' audio taken as one programme (their 400 ms gating
    /// blocks pooled, as libebur128 does): parts of a file measured on several threads. LUFS.
    package static func integrated(of meters: [LoudnessMeter]) -> Double {
        var states = meters.map(\.state)
        var v = -Double.infinity
        let status = states.withUnsafeMutableBufferPointer {
            ebur128_loudness_global_multiple($0.baseAddress, $0.count, &v)
        }
        return status == 0 ? v : .nan
    }

    /// Momentary loudness (last 400 ms), LUFS.
    package var momentary: Double { value { ebur128_loudness_momentary(state, $0) } }
    /// Short-term loudness (last 3 s), LUFS.
    package var shortTerm: Double { value { ebur128_loudness_shortterm(state, $0) } }

    /// Highest true peak over both channels so far, dBTP.
    package var truePeak: Double {
        var peak = 0.0
        for channel in 0..<2 {
            var p = 0.0
            if ebur128_true_peak(state, UInt32(channel), &p) == 0 { peak = max(peak, p) }
        }
        return peak > 0 ? 20 * log10(peak) : -.infinity
    }

    private func value(_ call: (UnsafeMutablePointer<Double>) -> Int32) -> Double {
        var v = -Double.infinity
        return call(&v) == 0 ? v : .nan
    }

    /// Integrated loudness and true peak of the file at `path`, decoded as played (stereo; a mono
    /// file counts in both channels, reading ~3 LU above a mono-aware meter). With
    /// `truePeak: false` only the (much cheaper) integrated loudness is measured; the true peak
    /// then reads −∞.
    package static func measureFile(path: String, truePeak: Bool = true) throws(AudioFileError) -> (integrated: Double, truePeak: Double) {
        let m = try measure(path: path, integrated: true, truePeak: truePeak ? .libebur128 : nil)
        return (m.integrated, m.truePeak)
    }

    /// Integrated loudness (libebur128) and true peak (by `method`) of the file at `path`, in one
    /// decoding pass.
    package static func measureFile(path: String, truePeakMethod method: TruePeakMethod) throws(AudioFileError) -> (integrated: Double, truePeak: Double) {
        let m = try measure(path: path, integrated: true, truePeak: method)
        return (m.integrated, m.truePeak)
    }

    /// The true peak of the file at `path` alone, dBTP, by `TruePeakMeter` (a decoding pass and
    /// the interpolation where it can beat the peak so far; no loudness measurement).
    package static func interpolatedTruePeak(path: String) throws(AudioFileError) -> Double {
        try measure(path: path, integrated: false, truePeak: .interpolated).truePeak
    }

    /// What `measure(path:integrated:truePeak:maximumParts:)` found.
    package struct FileLoudness: Sendable {
        /// Integrated loudness, LUFS (−∞ for silence or when not measured).
        package var integrated: Double
        /// True peak over both channels, dBTP (−∞ when not measured).
        package var truePeak: Double
        /// The file as libsndfile describes it (its header's frame count, which a cut-off or
        /// damaged file does not hold).
        package var info: AudioFileInfo
        /// The frames that really decoded from the first on, without a gap: fewer than
        /// `info.frames` when the file is truncated or damaged.
        package var framesDecoded: Int64
    }

    /// The shortest part a file is cut into for measuring on several threads: a minute at
    /// 48 kHz. Below that, a thread costs more than it saves.
    package static let minimumPartFrames: Int64 = 60 * 48_000

    /// How many parts a file of `frames` frames is measured in, given at most `maximum`.
    package static func parts(frames: Int64, maximum: Int) -> Int { max(1, min(maximum, Int(frames / minimumPartFrames))) }

    /// Decodes the file at `path` once and measures its integrated loudness (libebur128) and/or
    /// its true peak (by `method`), in consecutive parts decoded at once, one thread each (the
    /// parts' 400 ms gating blocks pooled; each part's peak meter primed with the frames before
    /// it, so the peak is exactly that of a single pass). Files shorter than two minimum parts are
    /// measured in one. The parts depend on the file's length and `maximumParts` only, never on
    /// the cores, so a file reads the same value on every machine; the default of 2 is what the
    /// loudness cache uses (a render waits for its first sources' loudness with both cores idle).
    package static func measure(path: String, integrated: Bool, truePeak method: TruePeakMethod?,
                               maximumParts: Int = 2) throws(AudioFileError) -> FileLoudness {
        let first = try SndFileDecoder(path: path)
        let total = first.info.frames, rate = first.info.sampleRate
        let count = parts(frames: total, maximum: maximumParts)
        let job = PartsJob(path: path, first: first, parts: count,
                           meters: (0..<count).map { _ in
                               integrated || method == .libebur128 ? LoudnessMeter(sampleRate: rate, truePeak: method == .libebur128) : nil
                           },
                           peakMeters: (0..<count).map { _ in method == .interpolated ? TruePeakMeter() : nil })
        // Part 0 on the calling thread, the others on threads of their own, which inherit the
        // caller's priority, scheduling policy and CPU affinity (the analysis thread runs low).
        let done = DispatchSemaphore(value: 0)
        for part in 1..<count {
            let thread = Thread { Thread.current.name = "regie-measure"; job.measure(part: part); done.signal() }
            thread.start()
        }
        job.measure(part: 0)
        for _ in 1..<count { done.wait() }
        if let error = job.failure {
            // A format that cannot seek (or lies about its length) is still measured, in one pass.
            if count > 1 { return try measure(path: path, integrated: integrated, truePeak: method, maximumParts: 1) }
            throw error
        }
        let loudness = job.meters.compactMap { $0 }
        // One meter pooled with nothing is libebur128's own global loudness (the same gating).
        let integratedValue = loudness.isEmpty ? -.infinity : LoudnessMeter.integrated(of: loudness)
        let peak: Double
        if method == .interpolated {
            peak = Double(Decibels.fromLinear(job.peakMeters.compactMap { $0?.peak }.max() ?? 0))
        } else {
            peak = loudness.map(\.truePeak).max() ?? -.infinity
        }
        return FileLoudness(integrated: integratedValue, truePeak: peak, info: first.info,
                            framesDecoded: job.framesDecodedInOrder)
    }
}

extension LoudnessMeter {
    /// A stretch of a file whose true peak exceeds a threshold.
    package struct HotBlock: Sendable, Equatable {
        /// Its first frame (from the file's first decoded frame).
        package var frame: Int64
        /// Frames in it (`TruePeakMeter.blockFrames`, fewer at the very end).
        package var frames: Int
        /// Its true peak, linear (for a last partial block, an upper bound).
        package var peak: Float

        package init(frame: Int64, frames: Int, peak: Float) {
            self.frame = frame; self.frames = frames; self.peak = peak
        }
    }

    /// Decodes the file at `path` once (in parts, on up to `maximumParts` threads, as `measure`)
    /// and returns every 64-frame block whose true peak (`TruePeakMeter`, 8× interpolated)
    /// exceeds `threshold` (linear), in order, with the file's frame count and, when asked, its
    /// integrated loudness (LUFS; −∞ when not measured).
    package static func blocksOver(_ threshold: Float, path: String, integrated: Bool = false, maximumParts: Int = 2)
        throws(AudioFileError) -> (blocks: [HotBlock], frames: Int64, integrated: Double) {
        let first = try SndFileDecoder(path: path)
        let count = parts(frames: first.info.frames, maximum: maximumParts)
        let rate = first.info.sampleRate
        let job = PartsJob(path: path, first: first, parts: count,
                           meters: (0..<count).map { _ in integrated ? LoudnessMeter(sampleRate: rate, truePeak: false) : nil },
                           peakMeters: (0..<count).map { _ in TruePeakMeter() }, hotThreshold: threshold)
        let done = DispatchSemaphore(value: 0)
        for part in 1..<count {
            let thread = Thread { Thread.current.name = "regie-measure"; job.measure(part: part); done.signal() }
            thread.start()
        }
        job.measure(part: 0)
        for _ in 1..<count { done.wait() }
        if let error = job.failure {
            if count > 1 { return try blocksOver(threshold, path: path, integrated: integrated, maximumParts: 1) }
            throw error
        }
        let meters = job.meters.compactMap { $0 }
        return (job.hotBlocks.flatMap { $0 }, job.framesRead.reduce(0, +),
                meters.isEmpty ? -.infinity : LoudnessMeter.integrated(of: meters))
    }
}

/// The parts of one file being measured, each by its own thread (`LoudnessMeter.measure`): part
/// `k` touches only the `k`-th meters and its own decoder.
private final class PartsJob: @unchecked Sendable {
    let path: String
    let first: SndFileDecoder
    let parts: Int
    let meters: [LoudnessMeter?]
    let peakMeters: [TruePeakMeter?]
    /// With a threshold, the peak meters look for the blocks over it (`blocksOver`) instead.
    let hotThreshold: Float?
    private let lock = NSLock()
    private var firstFailure: AudioFileError?
    /// Per part: the hot blocks found, the frames read (each part's written under the lock by its
    /// thread, read after every thread is done).
    private(set) var hotBlocks: [[LoudnessMeter.HotBlock]]
    private(set) var framesRead: [Int64]

    init(path: String, first: SndFileDecoder, parts: Int, meters: [LoudnessMeter?], peakMeters: [TruePeakMeter?],
         hotThreshold: Float? = nil) {
        self.path = path
        self.first = first
        self.parts = parts
        self.meters = meters
        self.peakMeters = peakMeters
        self.hotThreshold = hotThreshold
        hotBlocks = Array(repeating: [], count: parts)
        framesRead = Array(repeating: 0, count: parts)
    }

    /// The frames decoded from the file's start without a gap: a part that read fewer than its
    /// share (the file ends or is damaged there) ends the count, whatever later parts read.
    var framesDecodedInOrder: Int64 {
        let total = first.info.frames
        var decoded: Int64 = 0
        for part in 0..<parts {
            let start = total * Int64(part) / Int64(parts), end = total * Int64(part + 1) / Int64(parts)
            decoded = start + framesRead[part]
            if part < parts - 1 && decoded < end { break }
        }
        return decoded
    }

    /// The first error any part met.
    var failure: AudioFileError? { lock.lock(); defer { lock.unlock() }; return firstFailure }

    func measure(part: Int) {
        let total = first.info.frames
        let start = total * Int64(part) / Int64(parts), end = total * Int64(part + 1) / Int64(parts)
        let chunk = 8192
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
        defer { buffer.deallocate() }
        do throws(AudioFileError) {
            let decoder = part == 0 ? first : try SndFileDecoder(path: path)
            if start > 0 {
                let before = 16   // TruePeakMeter's history: the interpolation starts from real audio
                try decoder.seek(toFrame: start - Int64(before))
                guard decoder.read(into: buffer, frames: before) == before else {
                    throw .unreadable(path, "short read at frame \(start - Int64(before))")
                }
                peakMeters[part]?.prime(with: UnsafeBufferPointer(start: buffer, count: 2 * before))
            }
            // The last part reads to the end of the file, whatever the header announced.
            let last = part == parts - 1
            var position = start
            var hot: [LoudnessMeter.HotBlock] = []
            while last || position < end {
                let n = decoder.read(into: buffer, frames: last ? chunk : Int(min(Int64(chunk), end - position)))
                if n == 0 { break }
                meters[part]?.add(buffer, frames: n)
                let samples = UnsafeBufferPointer(start: buffer, count: n * 2)
                if let threshold = hotThreshold {
                    let at = position
                    peakMeters[part]?.scanBlocks(samples, over: threshold) { frame, peak in
                        hot.append(.init(frame: at + Int64(frame), frames: min(TruePeakMeter.blockFrames, n - frame), peak: peak))
                    }
                } else {
                    peakMeters[part]?.processSkippingQuiet(samples)
                }
                position += Int64(n)
            }
            lock.lock()
            hotBlocks[part] = hot
            framesRead[part] = position - start
            lock.unlock()
        } catch {
            lock.lock(); if firstFailure == nil { firstFailure = error }; lock.unlock()
        }
    }
}
