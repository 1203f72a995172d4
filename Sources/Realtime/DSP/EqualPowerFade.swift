// Sample layout shared by DSP, the engine, the rings and the devices: blocks are INTERLEAVED
// Float32 stereo frames (L R L R …), nominal full scale ±1.0, since every endpoint speaks it
// natively (libsndfile, soxr, ALSA FLOAT_LE RW_INTERLEAVED, libebur128, LAME's interleaved float
// encoder). Everything in this module is allocation-free once constructed and safe on the render
// thread.
import Glibc

/// The fades and crossfades of the programme: sin/cos quarter waves, so that fade-in² + fade-out²
/// = 1 and a crossfade between uncorrelated material keeps its power (a linear crossfade dips by
/// 3 dB in the middle; `CrossfadePowerTests` measures both). A fade-out is the fade-in read
/// backwards.
package enum EqualPowerFade {
    /// Fade-in gain at `position` frames into a fade of `length` frames (clamped to 0…1;
    /// a non-positive length means no fade, gain 1).
    @inline(__always)
    package static func gain(at position: Int64, length: Int64) -> Float {
        guard length > 0 else { return 1 }
        if position <= 0 { return 0 }
        if position >= length { return 1 }
        return Float(sin(Double(position) / Double(length) * Double.pi / 2))
    }

    /// Fade-out gain at `position` frames into a fade of `length` frames: 1 at 0, 0 at `length`.
    @inline(__always)
    package static func fadeOutGain(at position: Int64, length: Int64) -> Float {
        guard length > 0 else { return 1 }
        return gain(at: length - position, length: length)
    }
}
