import Glibc

/// Conversions between decibels and linear amplitude.
package enum Decibels {
    /// Linear amplitude for `decibels` (0 dB → 1.0; −∞ → 0).
    @inline(__always)
    package static func toLinear(_ decibels: Float) -> Float {
        decibels == -.infinity ? 0 : powf(10, decibels / 20)
    }

    /// Decibels for linear amplitude `gain` (1.0 → 0 dB; 0 → −∞).
    @inline(__always)
    package static func fromLinear(_ gain: Float) -> Float {
        gain <= 0 ? -.infinity : 20 * log10f(gain)
    }

    /// Linear amplitude for `decibels` in double precision (for prepare-time maths and tests).
    package static func toLinear(_ decibels: Double) -> Double {
        decibels == -.infinity ? 0 : pow(10, decibels / 20)
    }

    /// Decibels for linear amplitude `gain` in double precision.
    package static func fromLinear(_ gain: Double) -> Double {
        gain <= 0 ? -.infinity : 20 * log10(gain)
    }
}
