// EBU R128 / ITU-R BS.1770 loudness through libebur128. Control and recorder threads only.
import CEbur128
import DSP
import Glibc

/// How `LoudnessMeter.measureFile` measures a file's true peak.
public enum TruePeakMethod: Sendable {
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
public final class LoudnessMeter: @unchecked Sendable {
    /// Frames per second of the fed audio.
    public let sampleRate: Int
    private var state: UnsafeMutablePointer<ebur128_state>?

    /// Creates a stereo meter at `sampleRate`; `truePeak: false` skips libebur128's (costly)
    /// oversampled true-peak measurement, and `truePeak` then reads −∞.
    public init(sampleRate: Int, truePeak: Bool = true) {
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
    public func add(_ samples: UnsafePointer<Float>, frames: Int) {
        _ = ebur128_add_frames_float(state, samples, frames)
    }

    /// Integrated (gated) loudness of everything fed so far, LUFS (−∞ for silence).
    public var integrated: Double { value { ebur128_loudness_global(state, $0) } }
    /// Integrated loudness of several meters' audio taken as one programme (their 400 ms gating
    /// blocks pooled, as libebur128 does): parts of a file measured on several threads. LUFS.
    public static func integrated(of meters: [LoudnessMeter]) -> Double {
        var states = meters.map(\.state)
        var v = -Double.infinity
        let status = states.withUnsafeMutableBufferPointer {
            ebur128_loudness_global_multiple($0.baseAddress, $0.count, &v)
        }
        return status == 0 ? v : .nan
    }

    /// Momentary loudness (last 400 ms), LUFS.
    public var momentary: Double { value { ebur128_loudness_momentary(state, $0) } }
    /// Short-term loudness (last 3 s), LUFS.
    public var shortTerm: Double { value { ebur128_loudness_shortterm(state, $0) } }

    /// Highest true peak over both channels so far, dBTP.
    public var truePeak: Double {
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
    public static func measureFile(path: String, truePeak: Bool = true) throws(AudioFileError) -> (integrated: Double, truePeak: Double) {
        try measure(path: path, integrated: true, truePeak: truePeak ? .libebur128 : nil)
    }

    /// Integrated loudness (libebur128) and true peak (by `method`) of the file at `path`, in one
    /// decoding pass.
    public static func measureFile(path: String, truePeakMethod method: TruePeakMethod) throws(AudioFileError) -> (integrated: Double, truePeak: Double) {
        try measure(path: path, integrated: true, truePeak: method)
    }

    /// The true peak of the file at `path` alone, dBTP, by `TruePeakMeter` (a decoding pass and
    /// the interpolation where it can beat the peak so far; no loudness measurement).
    public static func interpolatedTruePeak(path: String) throws(AudioFileError) -> Double {
        try measure(path: path, integrated: false, truePeak: .interpolated).truePeak
    }

    private static func measure(path: String, integrated: Bool, truePeak method: TruePeakMethod?) throws(AudioFileError)
        -> (integrated: Double, truePeak: Double) {
        let decoder = try SndFileDecoder(path: path)
        let meter = integrated || method == .libebur128
            ? LoudnessMeter(sampleRate: decoder.info.sampleRate, truePeak: method == .libebur128) : nil
        let peakMeter = method == .interpolated ? TruePeakMeter() : nil
        let chunk = 8192
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
        defer { buffer.deallocate() }
        while true {
            let n = decoder.read(into: buffer, frames: chunk)
            if n == 0 { break }
            meter?.add(buffer, frames: n)
            peakMeter?.processSkippingQuiet(UnsafeBufferPointer(start: buffer, count: n * 2))
        }
        let peak = peakMeter.map { Double($0.decibels) } ?? meter?.truePeak ?? -.infinity
        return (meter?.integrated ?? -.infinity, peak)
    }
}
