import CAllocationCounter
import Testing
@testable import DSP

/// Heap allocations made by this thread while `body` runs.
func allocations(_ body: () -> Void) -> Int {
    regie_allocation_counting_begin()
    body()
    return regie_allocation_counting_end()
}

@Suite struct DSPAllocationTests {
    /// After construction (prepare), every DSP operation the render thread uses is allocation-free.
    @Test func renderPathDoesNotAllocate() {
        let frames = 512
        let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * 2)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * 2)
        defer { a.deallocate(); b.deallocate() }
        var noise = Noise(seed: 5)
        for i in 0..<(frames * 2) { a[i] = noise.sample() * 2; b[i] = noise.sample() }
        let limiter = TruePeakLimiter(sampleRate: 48000)
        var ducking = DuckingEnvelope(depth: -15, attack: 0.3, release: 0.8, sampleRate: 48000)
        var smoothed = SmoothedGain(1)
        var meter = PeakMeter()
        func work() {
            for block in 0..<50 {
                let position = Int64(block * frames)
                GainRamp.apply(a, from: 0.9, to: 1.1)
                GainRamp.mix(UnsafeBufferPointer(b), into: a, from: 0.5, to: 0.4)
                smoothed.setTarget(block % 2 == 0 ? 0.5 : 1, rampFrames: 300)
                smoothed.process(b)
                FadeCurve.equalPower.applyFadeIn(b, position: position, length: 20000)
                FadeCurve.linear.applyFadeOut(b, position: position, length: 20000)
                Crossfade.mix(outgoing: UnsafeBufferPointer(a), incoming: UnsafeBufferPointer(b), into: a, position: position, length: 30000, curve: .equalPower)
                ducking.isDucked = block % 10 < 5
                ducking.process(b)
                limiter.process(a)
                meter.process(UnsafeBufferPointer(a))
                _ = meter.take()
                _ = Decibels.fromLinear(limiter.currentGain) + Decibels.toLinear(Float(-3))
            }
        }
        work()
        #expect(allocations(work) == 0)
    }
}
