// Lane-wise helpers for the true-peak filters. The standard library's generic `max()`, `min()`
// and `pointwiseMax` compile to out-of-line calls here (Linux, Swift 6.3), which cost as much as
// the filter itself when called for every sample; these inline to a few SSE instructions.

extension SIMD8 where Scalar == Float {
    /// |lane| for every lane (clears the sign bits).
    @inline(__always)
    var magnitudes: SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(self, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x7fff_ffff), to: SIMD8<Float>.self)
    }

    /// The larger of each pair of lanes.
    @inline(__always)
    func lanewiseMaximum(_ other: SIMD8<Float>) -> SIMD8<Float> {
        var result = self
        for lane in 0..<8 { result[lane] = self[lane] > other[lane] ? self[lane] : other[lane] }
        return result
    }

    /// The largest |lane|: `max(max(), −min())` for a vector with a non-negative lane.
    @inline(__always)
    var largestMagnitude: Float {
        let all = magnitudes
        var quarter = all.lowHalf
        let high = all.highHalf
        for lane in 0..<4 { quarter[lane] = quarter[lane] > high[lane] ? quarter[lane] : high[lane] }
        let first = quarter[0] > quarter[1] ? quarter[0] : quarter[1]
        let second = quarter[2] > quarter[3] ? quarter[2] : quarter[3]
        return first > second ? first : second
    }
}
