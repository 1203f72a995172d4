import Foundation
import Testing
@testable import DSP

/// The lane-wise helpers behind the limiter's and the meter's peak detectors give exactly what
/// the plain scalar definitions give (they only change how the maximum is reduced).
@Suite struct TruePeakReductionTests {
    /// Deterministic noise in ±amplitude.
    static func noise(count: Int, amplitude: Float, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
    }

    @Test func largestMagnitudeIsTheLargestAbsoluteLane() {
        let values = Self.noise(count: 8 * 1000, amplitude: 3, seed: 7)
        for start in stride(from: 0, to: values.count, by: 8) {
            var vector = SIMD8<Float>()
            for lane in 0..<8 { vector[lane] = values[start + lane] }
            let expected = (0..<8).map { abs(vector[$0]) }.max()!
            #expect(vector.largestMagnitude == expected)
            #expect(vector.magnitudes == SIMD8<Float>((0..<8).map { abs(vector[$0]) }))
            var other = SIMD8<Float>()
            for lane in 0..<8 { other[lane] = values[(start + 8 + lane) % values.count] }
            let maxima = vector.lanewiseMaximum(other)
            for lane in 0..<8 { #expect(maxima[lane] == max(vector[lane], other[lane])) }
        }
    }

    /// `TruePeakMeter` against the same filters applied one phase at a time in scalar code, fed
    /// in blocks of odd sizes: equal to the last bit.
    @Test func theTruePeakMeterEqualsItsScalarDefinition() {
        let frames = 8000
        var samples = Self.noise(count: frames * 2, amplitude: 0.5, seed: 11)
        for frame in 0..<frames {   // a tone near fs/4 puts peaks between samples
            let phase = 2 * Double.pi * 0.23 * Double(frame) + 0.3
            let tone = Float(0.4 * sin(phase))
            samples[2 * frame] += tone
            samples[2 * frame + 1] -= tone
        }
        let filters = TruePeakLimiter.interpolationFilters()
        let taps = filters[0].count
        var history = [[Float]](repeating: [Float](repeating: 0, count: taps), count: 2)
        var expected: Float = 0
        for frame in 0..<frames {
            for channel in 0..<2 {
                let x = samples[2 * frame + channel]
                history[channel].removeFirst()
                history[channel].append(x)
                expected = max(expected, abs(x))
                for row in filters {
                    var sum: Float = 0
                    for j in 0..<taps { sum += row[j] * history[channel][j] }
                    expected = max(expected, abs(sum))
                }
            }
        }
        let meter = TruePeakMeter()
        var offset = 0
        for block in [1, 7, 1000, 333, 4096].cycled(toCover: samples.count / 2) {
            let end = min(samples.count, offset + block * 2)
            samples[offset..<end].withUnsafeBufferPointer { meter.process($0) }
            offset = end
            if offset == samples.count { break }
        }
        #expect(meter.peak == expected)
        #expect(meter.peak > samples.map { abs($0) }.max()!, "the tone peaks between samples")
    }
}

extension Array where Element == Int {
    /// The sizes repeated until their sum reaches `total`.
    func cycled(toCover total: Int) -> [Int] {
        var result: [Int] = []
        var sum = 0
        while sum < total { for size in self { result.append(size); sum += size } }
        return result
    }
}
