import Glibc

/// Momentary (400 ms) and short-term (3 s) loudness of interleaved stereo, after ITU-R BS.1770:
/// K-weighting (a high shelf then a high pass), mean square per 100 ms step, summed over the window.
/// For the console's meters: allocation-free after `init`, cheap enough for the render thread.
/// (libebur128 measures the podcast's integrated loudness; this only feeds live meters.)
package struct LoudnessWindow: Sendable {
    /// A biquad section in direct form I with its state for two channels.
    struct Biquad: Sendable {
        var b0: Double, b1: Double, b2: Double, a1: Double, a2: Double
        var x1 = (0.0, 0.0), x2 = (0.0, 0.0), y1 = (0.0, 0.0), y2 = (0.0, 0.0)

        @inline(__always)
        mutating func left(_ x: Double) -> Double {
            let y = b0 * x + b1 * x1.0 + b2 * x2.0 - a1 * y1.0 - a2 * y2.0
            x2.0 = x1.0; x1.0 = x; y2.0 = y1.0; y1.0 = y
            return y
        }

        @inline(__always)
        mutating func right(_ x: Double) -> Double {
            let y = b0 * x + b1 * x1.1 + b2 * x2.1 - a1 * y1.1 - a2 * y2.1
            x2.1 = x1.1; x1.1 = x; y2.1 = y1.1; y1.1 = y
            return y
        }
    }

    private var shelf: Biquad
    private var highPass: Biquad
    private let stepFrames: Int
    // Sum of squares of each finished 100 ms step (both channels), the newest 30 of them.
    private var steps: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
                        Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
                        Double, Double, Double, Double, Double, Double, Double, Double, Double, Double)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var stepCount = 0
    private var current = 0.0
    private var currentFrames = 0

    /// Momentary loudness (LUFS) over the last 400 ms; −∞ in silence.
    package private(set) var momentary: Float = -.infinity
    /// Short-term loudness (LUFS) over the last 3 s; −∞ in silence.
    package private(set) var shortTerm: Float = -.infinity

    /// A meter for `sampleRate`; the K-weighting filters are derived for that rate.
    package init(sampleRate: Int) {
        let fs = Double(sampleRate)
        // Stage 1: high shelf, +4 dB above ~1.7 kHz (the head's acoustic effect).
        do {
            let f0 = 1681.974450955533, gainDB = 3.999843853973347, q = 0.7071752369554196
            let k = tan(Double.pi * f0 / fs)
            let vh = pow(10, gainDB / 20), vb = pow(vh, 0.4996667741545416)
            let a0 = 1 + k / q + k * k
            shelf = Biquad(b0: (vh + vb * k / q + k * k) / a0, b1: 2 * (k * k - vh) / a0,
                           b2: (vh - vb * k / q + k * k) / a0, a1: 2 * (k * k - 1) / a0,
                           a2: (1 - k / q + k * k) / a0)
        }
        // Stage 2: high pass at ~38 Hz (RLB weighting).
        do {
            let f0 = 38.13547087602444, q = 0.5003270373238773
            let k = tan(Double.pi * f0 / fs)
            let a0 = 1 + k / q + k * k
            highPass = Biquad(b0: 1, b1: -2, b2: 1, a1: 2 * (k * k - 1) / a0, a2: (1 - k / q + k * k) / a0)
        }
        stepFrames = max(1, sampleRate / 10)
    }

    /// Feeds an interleaved stereo block.
    package mutating func process(_ buffer: UnsafeBufferPointer<Float>) {
        var i = 0
        while i + 1 < buffer.count {
            let l = highPass.left(shelf.left(Double(buffer[i])))
            let r = highPass.right(shelf.right(Double(buffer[i + 1])))
            current += l * l + r * r
            currentFrames += 1
            if currentFrames == stepFrames { finishStep() }
            i += 2
        }
    }

    private mutating func finishStep() {
        withUnsafeMutableBytes(of: &steps) { raw in
            let s = raw.bindMemory(to: Double.self)
            s[stepCount % 30] = current
            stepCount += 1
            var sum4 = 0.0, sum30 = 0.0
            for back in 0..<min(stepCount, 30) {
                let value = s[(stepCount - 1 - back) % 30]
                if back < 4 { sum4 += value }
                sum30 += value
            }
            let frames = Double(stepFrames)
            momentary = Self.lufs(sum4 / (frames * Double(min(stepCount, 4))))
            shortTerm = Self.lufs(sum30 / (frames * Double(min(stepCount, 30))))
        }
        current = 0
        currentFrames = 0
    }

    @inline(__always)
    static func lufs(_ meanSquare: Double) -> Float {
        meanSquare > 0 ? Float(-0.691 + 10 * log10(meanSquare)) : -.infinity
    }
}
