import Glibc

/// Lookahead true-peak limiter: the last stage of the mix (design rule 7: mix in Float32, clip
/// once, here).
///
/// How it works, per frame:
/// 1. Peak estimate: the largest of |sample| and seven interpolated values between two earlier
///    samples (8× oversampling through 16-tap Hann-windowed-sinc phases computed at init), over
///    all channels. The interpolated values belong to input positions n−8…n−7 (filter delay).
/// 2. Required gain `ceiling / peak` (1 when below), held as a running minimum over
///    `lookaheadFrames + 9` frames, released exponentially (`release` seconds) and smoothed by a
///    moving average of `lookaheadFrames`. The average of held values reaches the required gain
///    exactly when the peak's neighbourhood leaves the delay line, so the gain ramps down over the
///    lookahead instead of stepping.
/// 3. Output = input delayed by `latencyFrames` × gain, then clamped to ±ceiling as a last
///    guarantee of the sample peak.
///
/// Margin: the gain targets `ceiling − margin` (default 0.1 dB) because the gain itself moves
/// between samples and meters interpolate differently. With it, ffmpeg's `ebur128=peak=true`
/// reads programme material (energy below ~0.4·fs) driven 10 dB into the limiter at or below
/// the ceiling (pinned by `DSPTests.ffmpegTruePeakWithinCeiling`). Full-band white noise driven
/// ~10 dB in read −0.9 dBTP on ffmpeg for a −1 dBTP ceiling (about 0.1 dB over), because meters
/// interpolate differently near Nyquist; leave that much extra headroom where it matters.
///
/// Threading: construct on the control side (allocates its buffers here); `process` is
/// allocation-free and lock-free, called by one thread (the render thread).
package final class TruePeakLimiter: @unchecked Sendable {
    /// Interleaved channels per frame.
    package let channels: Int
    /// Output ceiling in dBTP.
    package let ceilingDecibels: Float
    /// Output ceiling as linear amplitude (hard clamp of the output samples).
    package let ceiling: Float
    /// Linear level the gain computation aims for: ceiling lowered by the margin.
    private let target: Float
    /// Frames over which gain reduction ramps in before a peak.
    package let lookaheadFrames: Int
    /// Frames by which output lags input; an offline render feeds this many frames of silence
    /// after the programme (or discards this many leading frames) to stay aligned.
    package let latencyFrames: Int

    private static let taps = 16
    private static let phases = 8  // oversampling factor: phases − 1 interpolated points per gap
    private static let centre = 7  // tap index of the sample just before the interpolated point
    private let holdFrames: Int
    /// Share of the gain deficit kept per frame: exp(−1 / (release · rate)).
    private let releaseKeep: Float

    private let coefficients: UnsafeMutablePointer<Float>  // (phases − 1) × taps
    /// The same filters transposed: entry j holds tap j of every phase (lane 7 is zero).
    private let transposed: UnsafeMutablePointer<SIMD8<Float>>
    private let history: UnsafeMutablePointer<Float>       // channels × 2·taps (mirrored ring)
    private var historyPosition = 0
    private let delayLine: UnsafeMutablePointer<Float>     // latencyFrames × channels
    private var delayPosition = 0
    private let holdValues: UnsafeMutablePointer<Float>    // monotonic deque, capacity holdFrames
    private let holdTimes: UnsafeMutablePointer<Int64>
    private var holdHead = 0
    private var holdCount = 0
    private var time: Int64 = 0
    /// 1 − the released gain. Kept as the deficit, not the gain: it shrinks geometrically towards
    /// 0 with full Float precision, so the gain reaches exactly 1 (stepping the gain itself
    /// towards 1 stalls about 1e-4 under it, where (1 − gain)·rate rounds away).
    private var deficit: Float = 0
    private let averageRing: UnsafeMutablePointer<Float>   // lookaheadFrames
    private var averagePosition = 0
    private var averageSum: Double
    /// Gain applied to the most recent output frame (1 = no reduction), for a meter.
    package private(set) var currentGain: Float = 1
    /// Blocks that took the pass-through path (no frame could need reduction), for tests.
    private(set) var passThroughBlocks = 0
    /// Tests turn the pass-through path off to compare it with the per-frame loop bit for bit.
    var passThroughEnabled = true

    /// The interpolation filters (one row of `taps` coefficients per interpolated point), shared
    /// with `TruePeakMeter`: windowed sinc, each row normalised to unity gain.
    /// An upper bound of |interpolated value| / (largest |sample| among its taps): the largest
    /// sum of |coefficients| over the phases, raised a little for rounding. A window whose
    /// samples stay under `level / interpolationOvershootBound` interpolates under `level`.
    static let interpolationOvershootBound: Float =
        (interpolationFilters().map { $0.reduce(0) { $0 + abs($1) } }.max() ?? 1) * 1.001

    static func interpolationFilters() -> [[Float]] {
        (0..<(phases - 1)).map { phase in
            let fraction = Double(phase + 1) / Double(phases)
            let row = (0..<taps).map { j -> Double in
                let x = Double(j - centre) - fraction  // distance from the interpolated point
                let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
                let window = 0.5 * (1 + cos(Double.pi * x / Double(taps / 2)))  // Hann over ±taps/2
                return sinc * window
            }
            let sum = row.reduce(0, +)
            return row.map { Float($0 / sum) }
        }
    }

    /// Creates a limiter. `lookahead` in seconds (1.5–5 ms is sensible), `release` in seconds.
    /// `margin` (dB, ≥ 0) is the safety distance kept below the ceiling by the gain computation.
    package init(sampleRate: Int, channels: Int = 2, ceilingDecibels: Float = -1, lookahead: Double = 0.003, release: Double = 0.1, margin: Float = 0.1) {
        precondition(channels > 0 && sampleRate > 0)
        self.channels = channels
        self.ceilingDecibels = ceilingDecibels
        self.ceiling = Decibels.toLinear(ceilingDecibels)
        self.target = Decibels.toLinear(ceilingDecibels - max(0, margin))
        lookaheadFrames = max(1, Int((lookahead * Double(sampleRate)).rounded()))
        // The estimate at frame n covers input positions n−8…n (see step 1): hold long enough and
        // delay so that all of them leave the delay line while the averaged gain is at its lowest.
        holdFrames = lookaheadFrames + Self.centre + 2
        latencyFrames = lookaheadFrames + Self.centre + 1
        releaseKeep = Float(exp(-1 / (max(release, 1e-4) * Double(sampleRate))))

        let filters = Self.interpolationFilters()
        coefficients = .allocate(capacity: (Self.phases - 1) * Self.taps)
        for (phase, row) in filters.enumerated() {
            for j in 0..<Self.taps { coefficients[phase * Self.taps + j] = row[j] }
        }
        transposed = .allocate(capacity: Self.taps)
        for j in 0..<Self.taps {
            var column = SIMD8<Float>()
            for phase in 0..<(Self.phases - 1) { column[phase] = coefficients[phase * Self.taps + j] }
            transposed[j] = column
        }
        history = .allocate(capacity: channels * 2 * Self.taps)
        history.initialize(repeating: 0, count: channels * 2 * Self.taps)
        delayLine = .allocate(capacity: latencyFrames * channels)
        delayLine.initialize(repeating: 0, count: latencyFrames * channels)
        holdValues = .allocate(capacity: holdFrames)
        holdValues.initialize(repeating: 1, count: holdFrames)
        holdTimes = .allocate(capacity: holdFrames)
        holdTimes.initialize(repeating: 0, count: holdFrames)
        averageRing = .allocate(capacity: lookaheadFrames)
        averageRing.initialize(repeating: 1, count: lookaheadFrames)
        averageSum = Double(lookaheadFrames)
    }

    deinit {
        coefficients.deallocate()
        transposed.deallocate()
        history.deallocate()
        delayLine.deallocate()
        holdValues.deallocate()
        holdTimes.deallocate()
        averageRing.deallocate()
    }

    /// Clears all state (silence in the delay line, no gain reduction).
    package func reset() {
        history.update(repeating: 0, count: channels * 2 * Self.taps)
        delayLine.update(repeating: 0, count: latencyFrames * channels)
        averageRing.update(repeating: 1, count: lookaheadFrames)
        averageSum = Double(lookaheadFrames)
        historyPosition = 0; delayPosition = 0; holdHead = 0; holdCount = 0; time = 0
        averagePosition = 0; deficit = 0; currentGain = 1
    }

    /// Limits `buffer` (interleaved, `channels` per frame) in place; output lags by `latencyFrames`.
    package func process(_ buffer: UnsafeMutableBufferPointer<Float>) {
        let frames = buffer.count / channels
        if frames > 0 && passThroughEnabled && isAtUnity && cannotReachTarget(buffer) {
            passThrough(buffer, frames: frames)
            return
        }
        let taps = Self.taps
        for f in 0..<frames {
            let base = f * channels
            // 1. Peak estimate over channels.
            var peak: Float = 0
            for c in 0..<channels {
                let x = buffer[base + c]
                let h = history + c * 2 * taps
                h[historyPosition] = x
                h[historyPosition + taps] = x
                peak = max(peak, abs(x))
                // The `taps` most recent samples, oldest first, through all seven phase filters at
                // once: lane p of `acc` accumulates phase p (the filters are stored transposed).
                let window = h + historyPosition + 1
                var acc = SIMD8<Float>()
                for j in 0..<taps { acc += transposed[j] * window[j] }
                peak = max(peak, acc.largestMagnitude)   // lane 7 is 0: the same as max(max(), −min())
            }
            historyPosition = historyPosition + 1 == taps ? 0 : historyPosition + 1

            // 2. Required gain, running minimum over the hold window.
            let required: Float = peak > target ? target / peak : 1
            while holdCount > 0 {
                let last = (holdHead + holdCount - 1) % holdFrames
                if holdValues[last] >= required { holdCount -= 1 } else { break }
            }
            let slot = (holdHead + holdCount) % holdFrames
            holdValues[slot] = required
            holdTimes[slot] = time
            holdCount += 1
            while holdTimes[holdHead] <= time - Int64(holdFrames) {
                holdHead = holdHead + 1 == holdFrames ? 0 : holdHead + 1
                holdCount -= 1
            }
            let held = holdValues[holdHead]
            time += 1

            // Release towards 1, never above the held requirement (on the deficit, see `deficit`).
            deficit = max(1 - held, deficit * releaseKeep)
            // Under half an ulp of 1 the gain already reads exactly 1; zero the deficit there
            // (left alone it would shrink into denormals and stop at the smallest one).
            if deficit <= 0x1p-25 { deficit = 0 }
            let released = 1 - deficit

            // Moving average (recomputed from scratch once per lap to stop rounding drift).
            averageSum += Double(released) - Double(averageRing[averagePosition])
            averageRing[averagePosition] = released
            averagePosition += 1
            if averagePosition == lookaheadFrames {
                averagePosition = 0
                var s = 0.0
                for i in 0..<lookaheadFrames { s += Double(averageRing[i]) }
                averageSum = s
            }
            let gain = min(1, Float(averageSum / Double(lookaheadFrames)))
            currentGain = gain

            // 3. Delay, gain, final clamp.
            let d = delayLine + delayPosition * channels
            for c in 0..<channels {
                let delayed = d[c]
                d[c] = buffer[base + c]
                buffer[base + c] = min(ceiling, max(-ceiling, delayed * gain))
            }
            delayPosition = delayPosition + 1 == latencyFrames ? 0 : delayPosition + 1
        }
    }

    // MARK: - Pass-through (the usual case on air: the programme under the ceiling)

    /// No reduction held, releasing or averaged: every frame of the slow path would compute gain 1.
    private var isAtUnity: Bool {
        // The average ring holds Float gains ≤ 1 and its Double sum is exact (a few dozen 24-bit
        // values), so it equals `lookaheadFrames` only when every entry is 1.
        deficit == 0 && averageSum == Double(lookaheadFrames) && (holdCount == 0 || holdValues[holdHead] >= 1)
    }

    /// True when no sample of `buffer`, nor any value interpolated between it and the history
    /// before it, can exceed the gain computation's target.
    private func cannotReachTarget(_ buffer: UnsafeMutableBufferPointer<Float>) -> Bool {
        // A block under this (and the history before it) cannot ask for any gain reduction.
        let limit = target / Self.interpolationOvershootBound
        var largest: Float = 0
        for i in 0..<(channels * 2 * Self.taps) { let m = abs(history[i]); largest = largest > m ? largest : m }
        if largest > limit { return false }
        // Eight lanes at a time (the scalar tail after), bailing out at the first loud stretch.
        let count = buffer.count
        let base = buffer.baseAddress!
        var i = 0
        var lanes = SIMD8<Float>()
        while i + 8 <= count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes = lanes.lanewiseMaximum(v.magnitudes)
            i += 8
            if i & 255 == 0 && lanes.largestMagnitude > limit { return false }
        }
        largest = lanes.largestMagnitude
        while i < count { let m = abs(base[i]); largest = largest > m ? largest : m; i += 1 }
        return largest <= limit
    }

    /// What the per-frame loop computes when the gain stays 1 throughout: the delayed input
    /// (clamped as always), with the history, delay line, hold and average state moved on.
    private func passThrough(_ buffer: UnsafeMutableBufferPointer<Float>, frames: Int) {
        let taps = Self.taps
        for f in 0..<frames {
            let base = f * channels
            let d = delayLine + delayPosition * channels
            for c in 0..<channels {
                let x = buffer[base + c]
                let h = history + c * 2 * taps
                h[historyPosition] = x
                h[historyPosition + taps] = x
                let delayed = d[c]
                d[c] = x
                buffer[base + c] = min(ceiling, max(-ceiling, delayed))
            }
            historyPosition = historyPosition + 1 == taps ? 0 : historyPosition + 1
            delayPosition = delayPosition + 1 == latencyFrames ? 0 : delayPosition + 1
        }
        // The hold window's minimum is the last frame's requirement, 1 (every earlier 1 was popped).
        time += Int64(frames)
        holdHead = 0
        holdCount = 1
        holdValues[0] = 1
        holdTimes[0] = time - 1
        averagePosition = (averagePosition + frames) % lookaheadFrames
        currentGain = 1
        passThroughBlocks &+= 1
    }
}
