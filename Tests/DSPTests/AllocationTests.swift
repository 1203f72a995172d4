import Testing
import TestSupport
@testable import DSP

@Suite struct DSPAllocationTests {
    /// After construction (prepare), every DSP operation the render thread uses is allocation-free.
    @Test func renderPathDoesNotAllocate() {
        let frames = 512
        let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * 2)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * 2)
        defer { a.deallocate(); b.deallocate() }
        var noise = SeededNoise(seed: 5)
        for i in 0..<(frames * 2) { a[i] = noise.sample() * 2; b[i] = noise.sample() }
        let limiter = TruePeakLimiter(sampleRate: 48000)
        var ducking = DuckingEnvelope(depth: -15, attack: 0.3, release: 0.8, sampleRate: 48000)
        var meter = PeakMeter()
        var window = LoudnessWindow(sampleRate: 48000)
        let truePeak = TruePeakMeter()
        func work() {
            for block in 0..<50 {
                let position = Int64(block * frames)
                for f in 0..<frames {
                    let g = EqualPowerFade.gain(at: position + Int64(f), length: 20000)
                        * EqualPowerFade.fadeOutGain(at: position + Int64(f), length: 30000)
                    b[2 * f] *= g
                    b[2 * f + 1] *= g
                }
                ducking.isDucked = block % 10 < 5
                ducking.process(b)
                limiter.process(a)
                meter.process(UnsafeBufferPointer(a))
                _ = meter.take()
                window.process(UnsafeBufferPointer(a))
                truePeak.process(UnsafeBufferPointer(a))
                _ = Decibels.fromLinear(limiter.currentGain) + Decibels.toLinear(Float(-3))
            }
        }
        work()
        #expect(Allocations.count(work) == 0)
    }
}
