/// Deterministic noise (SplitMix64), so a test that fails fails the same way every run.
package struct SeededNoise: Sendable {
    private var state: UInt64

    /// Noise from `seed`.
    package init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in −1…1.
    package mutating func sample() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }

    /// Uniform in `range`.
    package mutating func sample(in range: ClosedRange<Float>) -> Float {
        range.lowerBound + (sample() + 1) / 2 * (range.upperBound - range.lowerBound)
    }

    /// `count` samples uniform in `range`.
    package mutating func samples(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in sample(in: range) }
    }
}
