/// True peak of interleaved stereo (dBTP), estimated like the limiter's detector: the sample peak
/// and seven interpolated points between consecutive samples (8× oversampling, 16-tap
/// Hann-windowed sinc). Cheaper than libebur128's true-peak mode, which the render's programme
/// summary used to spend a tenth of its CPU on. Allocation-free after `init`.
public final class TruePeakMeter: @unchecked Sendable {
    private static let taps = 16
    private let filters: UnsafeMutablePointer<SIMD8<Float>>   // tap j of the seven phases
    private let history: UnsafeMutablePointer<Float>          // per channel, doubled for a flat window
    private var position = 0
    /// The largest linear peak seen so far.
    public private(set) var peak: Float = 0

    /// An upper bound of |interpolated value| / (largest |sample| among its 16 taps): the largest
    /// sum of |coefficients| over the phases, raised a little for rounding.
    private let overshootBound: Float

    /// A meter with the same interpolation filters as `TruePeakLimiter`.
    public init() {
        filters = .allocate(capacity: Self.taps)
        let rows = TruePeakLimiter.interpolationFilters()
        overshootBound = (rows.map { $0.reduce(0) { $0 + abs($1) } }.max() ?? 1) * 1.001
        for j in 0..<Self.taps {
            var column = SIMD8<Float>()
            for phase in 0..<rows.count { column[phase] = rows[phase][j] }
            filters[j] = column
        }
        history = .allocate(capacity: 2 * 2 * Self.taps)
        history.initialize(repeating: 0, count: 2 * 2 * Self.taps)
    }

    deinit {
        filters.deallocate()
        history.deallocate()
    }

    /// Feeds interleaved stereo samples.
    public func process(_ buffer: UnsafeBufferPointer<Float>) {
        let taps = Self.taps
        var best = peak
        var i = 0
        while i + 1 < buffer.count {
            for c in 0..<2 {
                let x = buffer[i + c]
                let h = history + c * 2 * taps
                h[position] = x
                h[position + taps] = x
                let window = h + position + 1
                var acc = SIMD8<Float>()
                for j in 0..<taps { acc += filters[j] * window[j] }
                best = max(best, max(abs(x), max(acc.max(), -acc.min())))
            }
            position = position + 1 == taps ? 0 : position + 1
            i += 2
        }
        peak = best
    }

    /// Same peak as `process(_:)`, for whole files: blocks of 64 frames whose largest |sample|
    /// (with the 15 frames before, which the filter also reads) times the filters' overshoot
    /// bound cannot beat the peak so far skip the interpolation, which is most of a programme
    /// (several times faster on a limited programme).
    public func processSkippingQuiet(_ buffer: UnsafeBufferPointer<Float>) {
        let taps = Self.taps
        let block = 64
        let frames = buffer.count / 2
        var start = 0
        var previousMax: Float = 0
        for i in 0..<(2 * 2 * taps) { previousMax = max(previousMax, abs(history[i])) }
        while start < frames {
            let count = min(block, frames - start)
            var blockMax: Float = 0
            for i in (2 * start)..<(2 * (start + count)) { blockMax = max(blockMax, abs(buffer[i])) }
            if count >= taps && max(blockMax, previousMax) * overshootBound <= peak {
                // Nothing here can beat the peak: keep only the filter's history.
                setHistory(lastFramesOf: UnsafeBufferPointer(rebasing: buffer[(2 * start)..<(2 * (start + count))]))
            } else {
                process(UnsafeBufferPointer(rebasing: buffer[(2 * start)..<(2 * (start + count))]))
            }
            previousMax = blockMax
            start += count
        }
    }

    /// Loads the filter's history with the end of `buffer` (interleaved stereo, at least 16 frames)
    /// without measuring it: a meter that starts inside a file reads the audio just before its
    /// start this way, instead of interpolating from silence (which would overshoot).
    public func prime(with buffer: UnsafeBufferPointer<Float>) {
        precondition(buffer.count >= 2 * Self.taps, "prime with at least 16 frames")
        setHistory(lastFramesOf: buffer)
    }

    /// The last 16 frames of `buffer`, laid out as if they had just been written from position 0.
    private func setHistory(lastFramesOf buffer: UnsafeBufferPointer<Float>) {
        let taps = Self.taps
        let frames = buffer.count / 2
        for c in 0..<2 {
            let h = history + c * 2 * taps
            for k in 0..<taps {
                let x = buffer[2 * (frames - taps + k) + c]
                h[k] = x
                h[k + taps] = x
            }
        }
        position = 0
    }

    /// The true peak so far, dBTP (−∞ for silence).
    public var decibels: Float { Decibels.fromLinear(peak) }
}
