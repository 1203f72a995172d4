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

    /// A meter with the same interpolation filters as `TruePeakLimiter`.
    public init() {
        filters = .allocate(capacity: Self.taps)
        let rows = TruePeakLimiter.interpolationFilters()
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

    /// The true peak so far, dBTP (−∞ for silence).
    public var decibels: Float { Decibels.fromLinear(peak) }
}
