import Foundation
import Testing
import TestSupport
@testable import DSP

/// The golden buffers of this target.
let golden = Golden()

/// An equal-power crossfade of `outgoing` into `incoming` (interleaved stereo), frame by frame as
/// the mixer computes it, from frame `position` of a crossfade `length` frames long.
func equalPowerCrossfade(_ outgoing: ArraySlice<Float>, _ incoming: ArraySlice<Float>, position: Int64, length: Int64) -> [Float] {
    let o = Array(outgoing), i = Array(incoming)
    return (0..<o.count).map { index in
        let p = position + Int64(index / 2)
        return o[index] * EqualPowerFade.fadeOutGain(at: p, length: length) + i[index] * EqualPowerFade.gain(at: p, length: length)
    }
}

/// Runs `body` on `samples` in blocks of `block` samples (a multiple of the channel count), the
/// way the render thread sees them.
func processInBlocks(_ samples: inout [Float], block: Int, _ body: (UnsafeMutableBufferPointer<Float>, Int) -> Void) {
    samples.withUnsafeMutableBufferPointer { all in
        var offset = 0
        while offset < all.count {
            let end = min(all.count, offset + block)
            body(UnsafeMutableBufferPointer(rebasing: all[offset..<end]), offset)
            offset = end
        }
    }
}

@Suite struct DecibelTests {
    @Test func conversions() {
        #expect(Decibels.toLinear(Float(0)) == 1)
        #expect(abs(Decibels.toLinear(Float(-6.0206)) - 0.5) < 1e-4)
        #expect(Decibels.toLinear(-Float.infinity) == 0)
        #expect(Decibels.fromLinear(Float(0)) == -.infinity)
        #expect(abs(Decibels.fromLinear(Float(0.1)) + 20) < 1e-4)
        #expect(abs(Decibels.fromLinear(Decibels.toLinear(-1.0)) + 1.0) < 1e-12)
    }
}

@Suite struct GoldenBufferTests {
    /// Equal-power crossfade over 256 stereo frames from a constant 1.0 to a constant 0.5.
    @Test func equalPowerCrossfadeOfConstants() throws {
        let frames = 256
        let out = [Float](repeating: 1, count: frames * 2)
        let inc = [Float](repeating: 0.5, count: frames * 2)
        var result = [Float](repeating: 0, count: frames * 2)
        processInBlocks(&result, block: 64 * 2) { block, offset in
            let mixed = equalPowerCrossfade(out[offset..<offset + block.count], inc[offset..<offset + block.count],
                                            position: Int64(offset / 2), length: Int64(frames))
            for k in 0..<block.count { block[k] = mixed[k] }
        }
        // Closed form check, independent of the golden file.
        for f in stride(from: 0, to: frames, by: 17) {
            let x = Double(f) / Double(frames)
            let expected = Float(cos(x * .pi / 2) + 0.5 * sin(x * .pi / 2))
            #expect(abs(result[2 * f] - expected) < 1e-6 && result[2 * f + 1] == result[2 * f])
        }
        try golden.check("crossfade-equalpower-256", result)
    }

    /// Equal-power fade-in then fade-out of a mono constant, processed in odd blocks.
    @Test func fades() throws {
        var fadeIn = [Float](repeating: 0.8, count: 128)
        processInBlocks(&fadeIn, block: 37) { block, offset in
            for f in 0..<block.count { block[f] *= EqualPowerFade.gain(at: Int64(offset + f), length: 100) }
        }
        #expect(fadeIn[0] == 0)
        #expect(abs(fadeIn[50] - 0.8 * Float(sin(Double.pi / 4))) < 1e-6)
        #expect(fadeIn[100] == 0.8 && fadeIn[127] == 0.8)
        try golden.check("fade-in-equalpower-128", fadeIn)

        // The fade-out is the fade-in read backwards, and the two keep constant power.
        for p in stride(from: Int64(-5), through: 105, by: 5) {
            #expect(EqualPowerFade.fadeOutGain(at: p, length: 100) == EqualPowerFade.gain(at: 100 - p, length: 100))
            let power = pow(EqualPowerFade.gain(at: p, length: 100), 2) + pow(EqualPowerFade.fadeOutGain(at: p, length: 100), 2)
            #expect(abs(power - 1) < 1e-6, "power at \(p): \(power)")
        }
        #expect(EqualPowerFade.gain(at: 3, length: 0) == 1 && EqualPowerFade.fadeOutGain(at: 3, length: -1) == 1)
    }

    /// A bed ducked by −12 dB (attack 0.1 s, release 0.2 s at 1 kHz) for 200 frames, then released.
    @Test func duckingStepResponse() throws {
        var env = DuckingEnvelope(depth: -12, attack: 0.1, release: 0.2, sampleRate: 1000)
        var bed = [Float](repeating: 1, count: 512)
        processInBlocks(&bed, block: 37) { block, offset in
            env.isDucked = offset < 200
            if offset < 200 && offset + block.count > 200 {
                // Switch exactly at frame 200 even inside a block.
                let split = 200 - offset
                env.process(UnsafeMutableBufferPointer(rebasing: block[0..<split]), channels: 1)
                env.isDucked = false
                env.process(UnsafeMutableBufferPointer(rebasing: block[split...]), channels: 1)
            } else {
                env.process(block, channels: 1)
            }
        }
        // −1.2 dB after 10 frames, −12 dB from frame 99 to 199, back to 0 dB 200 frames later.
        #expect(abs(Decibels.fromLinear(bed[9]) + 1.2) < 1e-3)
        #expect(abs(Decibels.fromLinear(bed[150]) + 12) < 1e-3)
        #expect(abs(Decibels.fromLinear(bed[299]) + 6) < 1e-3)
        #expect(bed[400] == 1 && bed[511] == 1)
        try golden.check("ducking-step-512", bed)
    }

    /// The limiter's step response: 0.5, then a burst at 2.0, then 0.5 again, at 8 kHz, mono.
    @Test func limiterStepResponse() throws {
        let limiter = TruePeakLimiter(sampleRate: 8000, channels: 1, ceilingDecibels: -1, lookahead: 0.002, release: 0.01)
        var signal = [Float](repeating: 0.5, count: 384)
        for i in 64..<128 { signal[i] = 2 }
        processInBlocks(&signal, block: 48) { block, _ in limiter.process(block) }
        let ceiling = Decibels.toLinear(Float(-1))
        #expect(signal.allSatisfy { abs($0) <= ceiling })
        #expect(limiter.latencyFrames == 16 + 8)
        #expect(signal[0..<24].allSatisfy { $0 == 0 })
        #expect(signal[24] == 0.5)
        try golden.check("limiter-step-384", signal, tolerance: 1e-5)
    }
}

@Suite struct LimiterPropertyTests {
    /// Loud noise with sine bursts at random block sizes never exceeds the ceiling (sample peak).
    @Test(arguments: [Float(-1), -0.1, -3, -6])
    func neverExceedsCeiling(ceilingDecibels: Float) {
        let limiter = TruePeakLimiter(sampleRate: 48000, channels: 2, ceilingDecibels: ceilingDecibels)
        var noise = SeededNoise(seed: 7)
        let frames = 48000 * 2
        var signal = [Float](repeating: 0, count: frames * 2)
        for f in 0..<frames {
            let burst: Float = (f / 4800) % 2 == 0 ? 4 * Float(sin(Double(f) * 0.3)) : 0
            signal[2 * f] = noise.sample() * 1.5 + burst
            signal[2 * f + 1] = noise.sample() * 0.3 - burst
        }
        var offset = 0
        var sizes = SeededNoise(seed: 99)
        signal.withUnsafeMutableBufferPointer { all in
            while offset < all.count {
                let n = 2 * (1 + Int(sizes.next() % 700))
                let end = min(all.count, offset + n)
                limiter.process(UnsafeMutableBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        let ceiling = Decibels.toLinear(ceilingDecibels)
        let peak = signal.reduce(Float(0)) { max($0, abs($1)) }
        #expect(peak <= ceiling)
        #expect(peak > ceiling * 0.9, "the limiter should not over-attenuate loud material")
    }

    /// Material below the ceiling passes bit-exact, only delayed by `latencyFrames`.
    @Test func transparentBelowCeiling() {
        let limiter = TruePeakLimiter(sampleRate: 44100, channels: 2, ceilingDecibels: -1)
        var noise = SeededNoise(seed: 3)
        let input = (0..<(44100 * 2)).map { _ in noise.sample() * 0.3 }
        var output = input + [Float](repeating: 0, count: limiter.latencyFrames * 2)
        output.withUnsafeMutableBufferPointer { limiter.process($0) }
        let delay = limiter.latencyFrames * 2
        #expect(output[0..<delay].allSatisfy { $0 == 0 })
        #expect(Array(output[delay...]) == input)
    }

    /// Ten seconds of loud, bright material limited to −1 dBTP measures at most −1.0 dBTP on ffmpeg's
    /// ebur128 true-peak meter (which prints one decimal).
    @Test func ffmpegTruePeakWithinCeiling() throws {
        let rate = 44100
        let limiter = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: -1)
        var noise = SeededNoise(seed: 11)
        let frames = rate * 10
        var signal = [Float](repeating: 0, count: (frames + limiter.latencyFrames) * 2)
        var lowL: Float = 0, lowR: Float = 0
        for f in 0..<frames {
            // Quarter-sample-rate sines sampled off their peaks plus programme-like noise (white
            // noise through a one-pole low-pass): many inter-sample overs in the input.
            lowL += 0.35 * (noise.sample() - lowL)
            lowR += 0.35 * (noise.sample() - lowR)
            let t = Double(f)
            let tone = Float(1.6 * sin(t * .pi / 2 + .pi / 4) + 0.8 * sin(t * 2 * .pi * 9000 / Double(rate)))
            signal[2 * f] = tone + lowL * 1.2
            signal[2 * f + 1] = -tone * 0.9 + lowR * 1.2
        }
        processInBlocks(&signal, block: 512) { block, _ in limiter.process(block) }
        let dir = try TempDir("regie-dsp")
        defer { dir.cleanup() }
        let file = dir.url.appendingPathComponent("limited.f32")
        try Golden.write(signal, to: file)
        // ffmpeg prints the true peak with one decimal.
        let value = try ffmpegLoudness(file, rawStereoFloatRate: rate).truePeak
        #expect(value <= -1.0, "true peak \(value) dBTP")
    }

    /// The pass-through path (blocks that cannot need reduction) gives the per-frame loop's
    /// output bit for bit, over quiet stretches, loud bursts the limiter must catch, and the
    /// release back to unity between them; and the gain does come back to exactly 1.
    @Test func passThroughEqualsPerFrameLoop() {
        let rate = 44100
        var noise = SeededNoise(seed: 5)
        let frames = rate * 6
        var input = [Float](repeating: 0, count: frames * 2)
        for f in 0..<frames {
            // Quiet programme with a burst 12 dB over the ceiling for 50 ms every 3 s.
            let loud = f % (rate * 3) < rate / 20
            let level: Float = loud ? 3.5 : 0.25
            input[2 * f] = noise.sample() * level
            input[2 * f + 1] = noise.sample() * level
        }
        let fast = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: -1.5)
        let slow = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: -1.5)
        slow.passThroughEnabled = false
        var a = input, b = input
        var unityAgain = false
        processInBlocks(&a, block: 441 * 2) { block, offset in
            fast.process(block)
            // The deficit (1 − gain) shrinks by e every 100 ms (the release): from a 12 dB reduction
            // it is under Float's resolution at 1 (and the gain exactly 1) within 2 s.
            if (offset / 2) % (rate * 3) > rate * 5 / 2 && fast.currentGain == 1 { unityAgain = true }
        }
        processInBlocks(&b, block: 441 * 2) { block, _ in slow.process(block) }
        #expect(a == b, "the pass-through path differs from the per-frame loop")
        #expect(fast.passThroughBlocks > 200, "only \(fast.passThroughBlocks) blocks passed through")
        #expect(slow.passThroughBlocks == 0)
        #expect(unityAgain, "the gain never came back to exactly 1 after a burst")
        let ceiling = Decibels.toLinear(Float(-1.5))
        #expect(a.allSatisfy { abs($0) <= ceiling })
        // White noise peaks between its samples: the gain follows those, so samples stay lower.
        #expect(a.contains { abs($0) > ceiling * 0.5 }, "the bursts should be limited, not silenced")
    }
}


@Suite struct CrossfadePowerTests {
    /// Two independent noises of equal power, crossfaded over 2 s: the power of the mix stays
    /// within ±0.5 dB of the original with the equal-power curve, and dips ~3 dB with linear.
    @Test func equalPowerKeepsConstantPowerForUncorrelatedNoise() {
        let frames = 96000
        var a = SeededNoise(seed: 1), b = SeededNoise(seed: 2)
        let outgoing = (0..<(frames * 2)).map { _ in a.sample() }
        let incoming = (0..<(frames * 2)).map { _ in b.sample() }
        let reference = outgoing.reduce(0.0) { $0 + Double($1 * $1) } / Double(outgoing.count)

        func windowPowersDecibels(equalPower: Bool) -> [Double] {
            let mixed = equalPower
                ? equalPowerCrossfade(outgoing[...], incoming[...], position: 0, length: Int64(frames))
                : (0..<outgoing.count).map { k in   // the linear crossfade the mixer does not use
                    let x = Float(k / 2) / Float(frames)
                    return outgoing[k] * (1 - x) + incoming[k] * x
                }
            let window = 8000 * 2
            return stride(from: 0, to: mixed.count, by: window).map { start in
                let p = mixed[start..<start + window].reduce(0.0) { $0 + Double($1 * $1) } / Double(window)
                return 10 * log10(p / reference)
            }
        }
        let equalPower = windowPowersDecibels(equalPower: true)
        #expect(equalPower.count == 12)
        #expect(equalPower.allSatisfy { abs($0) <= 0.5 }, "\(equalPower)")
        let linear = windowPowersDecibels(equalPower: false)
        #expect(linear.min()! < -2.5, "the linear curve should dip in the middle: \(linear)")
    }
}

@Suite struct TruePeakScanTests {
    /// Programme-like material: noise whose level swells and dips by 30 dB every second, with an
    /// isolated inter-sample peak (a fs/4 sine at 45° phase: samples at 0.71 of its peak) near the end.
    static func material(frames: Int, seed: UInt64) -> [Float] {
        var rng = seed
        func noise() -> Float {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: rng >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        var out = [Float](repeating: 0, count: 2 * frames)
        var smooth: (Float, Float) = (0, 0)
        for i in 0..<frames {
            let level = Float(pow(10, (-30 + 30 * (0.5 + 0.5 * sin(Double(i) / 7000))) / 20))
            smooth.0 = 0.7 * smooth.0 + 0.3 * noise()
            smooth.1 = 0.7 * smooth.1 + 0.3 * noise()
            out[2 * i] = level * smooth.0
            out[2 * i + 1] = level * smooth.1
        }
        let burst = frames - 3000
        for k in 0..<40 { out[2 * (burst + k) + 1] = 1.2 * Float(sin(Double.pi / 2 * Double(k) + Double.pi / 4)) }
        return out
    }

    @Test("the skipping scan finds exactly the peak of the full meter, whatever the chunking")
    func skippingScanEqualsFullMeter() {
        for seed in [1, 2, 3] as [UInt64] {
            let audio = Self.material(frames: 200_000, seed: seed)
            let full = TruePeakMeter()
            audio.withUnsafeBufferPointer { full.process($0) }
            for chunk in [1000, 4096, 77] {
                let scan = TruePeakMeter()
                audio.withUnsafeBufferPointer { buf in
                    var i = 0
                    while i < buf.count {
                        let n = min(2 * chunk, buf.count - i)
                        scan.processSkippingQuiet(UnsafeBufferPointer(rebasing: buf[i..<(i + n)]))
                        i += n
                    }
                }
                #expect(scan.peak == full.peak, "seed \(seed), chunk \(chunk): \(scan.peak) vs \(full.peak)")
            }
            // The burst's samples are ±0.85 but its true peak ~1.2, above everything else: the scan
            // found it even though louder-looking noise set the running peak first.
            #expect(full.peak > 1.1)
        }
    }

    @Test("a meter primed with the 16 frames before its part, over two parts, finds the whole file's peak")
    func primedPartsEqualWholeFile() {
        let audio = Self.material(frames: 100_000, seed: 4)
        let full = TruePeakMeter()
        audio.withUnsafeBufferPointer { full.process($0) }
        // Split right after the burst's first samples, where an unprimed meter would see a step.
        let split = 100_000 - 3000 + 5
        let first = TruePeakMeter(), second = TruePeakMeter()
        audio.withUnsafeBufferPointer { buf in
            first.processSkippingQuiet(UnsafeBufferPointer(rebasing: buf[0..<(2 * split)]))
            second.prime(with: UnsafeBufferPointer(rebasing: buf[(2 * split - 32)..<(2 * split)]))
            second.processSkippingQuiet(UnsafeBufferPointer(rebasing: buf[(2 * split)...]))
        }
        #expect(max(first.peak, second.peak) == full.peak)
    }
}
