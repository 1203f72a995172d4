/// Sample-peak meter for interleaved stereo: remembers the largest |sample| per channel until
/// `take()`; the render thread feeds it, the console reads through a `LatestValue`.
package struct PeakMeter: Sendable, BitwiseCopyable {
    /// Largest |left| since the last take.
    package private(set) var left: Float = 0
    /// Largest |right| since the last take.
    package private(set) var right: Float = 0

    /// A meter at zero.
    package init() {}

    /// Updates the peaks with an interleaved stereo block.
    package mutating func process(_ buffer: UnsafeBufferPointer<Float>) {
        var l = left, r = right
        var i = 0
        while i + 1 < buffer.count {
            l = max(l, abs(buffer[i]))
            r = max(r, abs(buffer[i + 1]))
            i += 2
        }
        left = l
        right = r
    }

    /// Returns the peaks (linear) and resets them.
    package mutating func take() -> (left: Float, right: Float) {
        defer { left = 0; right = 0 }
        return (left, right)
    }

    /// The louder channel's peak in dBFS.
    package var peakDecibels: Float { Decibels.fromLinear(max(left, right)) }
}
