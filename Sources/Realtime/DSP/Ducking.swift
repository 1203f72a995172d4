import Glibc

/// Gain envelope for a music bed under speech: moves towards `depth` dB while ducked and back to
/// 0 dB when released, linearly in decibels, taking `attack` seconds for the full depth going
/// down and `release` seconds coming back up. State carries across blocks; one value per frame.
package struct DuckingEnvelope: Sendable, BitwiseCopyable {
    /// Gain reduction when fully ducked, in dB (negative, e.g. −15).
    package let depth: Float
    private let attackStep: Float   // dB per frame going down (positive)
    private let releaseStep: Float  // dB per frame coming up (positive)
    /// Current attenuation in dB (0 … depth).
    package private(set) var currentDecibels: Float = 0
    /// Whether the envelope is heading towards `depth` (true) or 0 dB (false).
    package var isDucked: Bool = false

    /// Creates an envelope at 0 dB. `attack`/`release` are seconds for the full depth (0 = jump).
    package init(depth: Float, attack: Double, release: Double, sampleRate: Int) {
        self.depth = min(0, depth)
        let span = -self.depth
        attackStep = attack > 0 ? Float(Double(span) / (attack * Double(sampleRate))) : .infinity
        releaseStep = release > 0 ? Float(Double(span) / (release * Double(sampleRate))) : .infinity
    }

    /// Current linear gain.
    package var gain: Float { Decibels.toLinear(currentDecibels) }

    /// Advances one frame and returns the linear gain for that frame.
    @inline(__always)
    package mutating func nextGain() -> Float {
        if isDucked {
            if currentDecibels > depth { currentDecibels = max(depth, currentDecibels - attackStep) }
        } else {
            if currentDecibels < 0 { currentDecibels = min(0, currentDecibels + releaseStep) }
        }
        return Decibels.toLinear(currentDecibels)
    }

    /// Multiplies `buffer` (interleaved, `channels` per frame) by the envelope, advancing per frame.
    package mutating func process(_ buffer: UnsafeMutableBufferPointer<Float>, channels: Int = 2) {
        let frames = buffer.count / channels
        for f in 0..<frames {
            let g = nextGain()
            for c in 0..<channels { buffer[f * channels + c] *= g }
        }
    }
}
