/// True peak of interleaved stereo (dBTP), estimated like the limiter's detector: the sample peak
/// and seven interpolated points between consecutive samples (8× oversampling, 16-tap
/// Hann-windowed sinc). Cheaper than libebur128's true-peak mode, which the render's programme
/// summary used to spend a tenth of its CPU on. Allocation-free after `init`.
package final class TruePeakMeter: @unchecked Sendable {
    private static let taps = 16
    private let filters: UnsafeMutablePointer<SIMD8<Float>>   // tap j of the seven phases
    private let history: UnsafeMutablePointer<Float>          // per channel, doubled for a flat window
    private var position = 0
    /// The largest linear peak seen so far.
    package private(set) var peak: Float = 0

    /// The seven phases' coefficients, row by row (for the scan, which vectorises over time).
    private let rows: UnsafeMutablePointer<Float>
    /// Per tap, the largest |coefficient| over the phases: Σ envelope[j]·|x[j]| bounds every
    /// interpolated value of a window, at a seventh of the cost of computing them.
    private let envelope: UnsafeMutablePointer<Float>
    /// Per channel: the 15 frames before a scanned block, then the block (deinterleaved); then
    /// the same in absolute values.
    private let scratch: UnsafeMutablePointer<Float>
    private static let scanBlock = 64

    /// A meter with the same interpolation filters as `TruePeakLimiter`.
    package init() {
        filters = .allocate(capacity: Self.taps)
        let rows = TruePeakLimiter.interpolationFilters()
        for j in 0..<Self.taps {
            var column = SIMD8<Float>()
            for phase in 0..<rows.count { column[phase] = rows[phase][j] }
            filters[j] = column
        }
        history = .allocate(capacity: 2 * 2 * Self.taps)
        history.initialize(repeating: 0, count: 2 * 2 * Self.taps)
        self.rows = .allocate(capacity: rows.count * Self.taps)
        for (phase, row) in rows.enumerated() {
            for j in 0..<Self.taps { self.rows[phase * Self.taps + j] = row[j] }
        }
        envelope = .allocate(capacity: Self.taps)
        for j in 0..<Self.taps { envelope[j] = rows.map { abs($0[j]) }.max() ?? 0 }
        scratch = .allocate(capacity: 4 * (Self.scanBlock + Self.taps))
        scratch.initialize(repeating: 0, count: 4 * (Self.scanBlock + Self.taps))
    }

    deinit {
        filters.deallocate()
        history.deallocate()
        rows.deallocate()
        envelope.deallocate()
        scratch.deallocate()
    }

    /// Feeds interleaved stereo samples.
    package func process(_ buffer: UnsafeBufferPointer<Float>) {
        let taps = Self.taps
        // Lane-wise maxima over the whole buffer, reduced once at the end (max is exact, so the
        // order of the reduction does not change the result).
        var interpolated = SIMD8<Float>()
        var sampled = peak
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
                interpolated = interpolated.lanewiseMaximum(acc.magnitudes)
                sampled = max(sampled, abs(x))
            }
            position = position + 1 == taps ? 0 : position + 1
            i += 2
        }
        peak = max(sampled, interpolated.largestMagnitude)
    }

    /// Same peak as `process(_:)` (bit for bit), for whole files, several times faster: blocks of
    /// 64 frames whose largest |sample| (with the 15 frames before, which the filter also reads)
    /// times the filters' overshoot bound cannot beat the peak so far skip the interpolation, and
    /// the others compute it eight instants at a time instead of eight phases at a time.
    package func processSkippingQuiet(_ buffer: UnsafeBufferPointer<Float>) {
        let taps = Self.taps
        let block = Self.scanBlock
        let frames = buffer.count / 2
        var start = 0
        var previousMax: Float = 0
        for i in 0..<(2 * 2 * taps) { previousMax = max(previousMax, abs(history[i])) }
        while start < frames {
            let count = min(block, frames - start)
            let part = UnsafeBufferPointer(rebasing: buffer[(2 * start)..<(2 * (start + count))])
            var blockMax: Float = 0
            for x in part { blockMax = max(blockMax, abs(x)) }
            if count < block {
                process(part)
            } else {
                if max(blockMax, previousMax) * TruePeakLimiter.interpolationOvershootBound > peak {
                    // Something here may beat the peak: interpolate.
                    peak = max(scan(part, above: peak), blockMax)
                }
                setHistory(lastFramesOf: part)
            }
            previousMax = blockMax
            start += count
        }
    }

    /// Frames in the blocks `scanBlocks(_:over:_:)` reports.
    package static let blockFrames = scanBlock

    /// Scans `buffer` (interleaved stereo, following what was scanned or primed before) against a
    /// fixed linear `threshold` instead of the peak so far: calls `over(frame, peak)` for every
    /// 64-frame block (its first frame within `buffer`) whose true peak — sampled or interpolated,
    /// the same values as `process(_:)` — exceeds it. Blocks that cannot exceed it skip the
    /// interpolation, so a scan for the few hot blocks of an hour costs little more than decoding
    /// it. A last partial block is reported when its samples times the overshoot bound could
    /// exceed the threshold (conservative). `peak` is not updated.
    package func scanBlocks(_ buffer: UnsafeBufferPointer<Float>, over threshold: Float, _ over: (Int, Float) -> Void) {
        let block = Self.scanBlock
        let frames = buffer.count / 2
        var start = 0
        var previousMax: Float = 0
        for i in 0..<(2 * 2 * Self.taps) { previousMax = max(previousMax, abs(history[i])) }
        while start < frames {
            let count = min(block, frames - start)
            let part = UnsafeBufferPointer(rebasing: buffer[(2 * start)..<(2 * (start + count))])
            var blockMax: Float = 0
            for x in part { blockMax = max(blockMax, abs(x)) }
            let bound = max(blockMax, previousMax) * TruePeakLimiter.interpolationOvershootBound
            if count < block {
                if bound > threshold { over(start, bound) }
                pushHistory(part)
            } else {
                if bound > threshold {
                    let found = max(scan(part, above: threshold), blockMax)
                    if found > threshold { over(start, found) }
                }
                setHistory(lastFramesOf: part)
            }
            previousMax = blockMax
            start += count
        }
    }

    /// The interpolated peak of one full block, or `best` when nothing in it beats `best`
    /// (history untouched; the caller moves it on): eight instants at a time, first their bound
    /// from the envelope, then, only where the bound beats `best`, the seven phases (summed in the
    /// same order as `process`, so the same value).
    private func scan(_ part: UnsafeBufferPointer<Float>, above start: Float) -> Float {
        let taps = Self.taps, block = Self.scanBlock, stride = block + taps
        var best = start
        for c in 0..<2 {
            let line = scratch + c * stride
            let magnitudes = scratch + (2 + c) * stride
            // The 15 frames before the block, oldest first: the ring from `position` on.
            let h = history + c * 2 * taps
            for k in 0..<(taps - 1) { line[k] = h[position + 1 + k] }
            for n in 0..<block { line[taps - 1 + n] = part[2 * n + c] }
            for k in 0..<(block + taps - 1) { magnitudes[k] = abs(line[k]) }
            let raw = UnsafeRawPointer(line), rawMagnitudes = UnsafeRawPointer(magnitudes)
            var n = 0
            while n < block {
                var bound = SIMD8<Float>()
                for j in 0..<taps {
                    bound += SIMD8<Float>(repeating: envelope[j])
                        * rawMagnitudes.loadUnaligned(fromByteOffset: 4 * (n + j), as: SIMD8<Float>.self)
                }
                // 1.0001: room for the rounding of both sums.
                if any(bound * 1.0001 .> SIMD8<Float>(repeating: best)) {
                    var top = SIMD8<Float>(repeating: best)
                    for phase in 0..<7 {
                        let row = rows + phase * taps
                        var acc = SIMD8<Float>()
                        for j in 0..<taps {
                            acc += SIMD8<Float>(repeating: row[j])
                                * raw.loadUnaligned(fromByteOffset: 4 * (n + j), as: SIMD8<Float>.self)
                        }
                        top = top.lanewiseMaximum(acc.magnitudes)
                    }
                    best = top.largestMagnitude   // every lane is ≥ 0: the same as max()
                }
                n += 8
            }
        }
        return best
    }

    /// Loads the filter's history with the end of `buffer` (interleaved stereo, at least 16 frames)
    /// without measuring it: a meter that starts inside a file reads the audio just before its
    /// start this way, instead of interpolating from silence (which would overshoot).
    package func prime(with buffer: UnsafeBufferPointer<Float>) {
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

    /// Moves the history on by the frames of `buffer` (any count) without measuring them.
    private func pushHistory(_ buffer: UnsafeBufferPointer<Float>) {
        let taps = Self.taps
        var i = 0
        while i + 1 < buffer.count {
            for c in 0..<2 {
                let h = history + c * 2 * taps
                h[position] = buffer[i + c]
                h[position + taps] = buffer[i + c]
            }
            position = position + 1 == taps ? 0 : position + 1
            i += 2
        }
    }

    /// The true peak so far, dBTP (−∞ for silence).
    package var decibels: Float { Decibels.fromLinear(peak) }
}
