import Glibc

/// The shape of a fade or crossfade. A fade-in's gain rises from 0 at position 0 to 1 at
/// `length`; the matching fade-out is the fade-in read backwards (`fadeOutGain`).
package enum FadeCurve: Sendable, Equatable, BitwiseCopyable {
    /// Gain proportional to position: constant amplitude sum for correlated (identical) material.
    case linear
    /// sin/cos quarter waves: fade-in² + fade-out² = 1, constant power for uncorrelated material.
    case equalPower

    /// Fade-in gain at `position` frames into a fade of `length` frames (clamped to 0…1;
    /// a non-positive length means no fade, gain 1).
    @inline(__always)
    package func gain(at position: Int64, length: Int64) -> Float {
        guard length > 0 else { return 1 }
        if position <= 0 { return 0 }
        if position >= length { return 1 }
        let x = Double(position) / Double(length)
        switch self {
        case .linear: return Float(x)
        case .equalPower: return Float(sin(x * Double.pi / 2))
        }
    }

    /// Fade-out gain at `position` frames into a fade of `length` frames: 1 at 0, 0 at `length`.
    @inline(__always)
    package func fadeOutGain(at position: Int64, length: Int64) -> Float {
        guard length > 0 else { return 1 }
        return gain(at: length - position, length: length)
    }

    /// Applies a fade-in to `buffer`, whose first frame sits at `position` within the fade.
    package func applyFadeIn(_ buffer: UnsafeMutableBufferPointer<Float>, channels: Int = 2, position: Int64, length: Int64) {
        let frames = buffer.count / channels
        for f in 0..<frames {
            let g = gain(at: position + Int64(f), length: length)
            for c in 0..<channels { buffer[f * channels + c] *= g }
        }
    }

    /// Applies a fade-out to `buffer`, whose first frame sits at `position` within the fade.
    package func applyFadeOut(_ buffer: UnsafeMutableBufferPointer<Float>, channels: Int = 2, position: Int64, length: Int64) {
        let frames = buffer.count / channels
        for f in 0..<frames {
            let g = fadeOutGain(at: position + Int64(f), length: length)
            for c in 0..<channels { buffer[f * channels + c] *= g }
        }
    }
}

/// Crossfades between an outgoing and an incoming signal.
package enum Crossfade {
    /// Writes `outgoing · fadeOut + incoming · fadeIn` into `output` for the frames of a crossfade
    /// of `length` frames starting at `position`; all buffers interleaved with `channels` per frame
    /// (`output` may alias either input). Processes `min` of the three lengths.
    package static func mix(outgoing: UnsafeBufferPointer<Float>, incoming: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, channels: Int = 2, position: Int64, length: Int64, curve: FadeCurve) {
        let frames = min(outgoing.count, incoming.count, output.count) / channels
        for f in 0..<frames {
            let p = position + Int64(f)
            let gIn = curve.gain(at: p, length: length)
            let gOut = curve.fadeOutGain(at: p, length: length)
            for c in 0..<channels {
                let i = f * channels + c
                output[i] = outgoing[i] * gOut + incoming[i] * gIn
            }
        }
    }
}
