import DSP
import Engine
import Foundation
import Realtime
import Testing
import TestSupport

/// The mixer's signal path checked against reference buffers (`Golden/<name>.f32`, interleaved
/// stereo Float32) and against the curves worked out analytically. On a mismatch the test writes
/// `Golden/<name>.actual.f32` beside the reference for inspection. To regenerate the references
/// after an intended change: `REGIE_REGENERATE_GOLDEN=1 swift test --filter MixerGoldenTests`, then
/// review the diff of the analytical checks (they must still pass).
@Suite struct MixerGoldenTests {
    static let rate = 44100
    static let golden = Golden()

    /// Renders `voices` whose rings are filled with the constant frames `levels[i]`, with unit
    /// gains, and returns `frames` frames of output aligned to the programme (latency removed).
    static func render(_ voices: [VoiceSpec], levels: [(Float, Float)], frames: Int, ceiling: Float = -1, rate: Int = rate,
                       ducking: DuckingSpec = DuckingSpec(depth: -15, attack: 0.3, release: 0.8), gains: [Float]? = nil) -> [Float] {
        let slots = Int(voices.map(\.slot).max() ?? 0) + 1
        var total = [Int](repeating: 0, count: slots)
        for voice in voices { total[Int(voice.slot)] += Int(voice.length) }
        let rings = total.map { SPSCRing<Float>(capacity: max(2, $0 * 2)) }
        for (index, voice) in voices.enumerated() {
            let samples = [Float]((0..<Int(voice.length)).flatMap { _ in [levels[index].0, levels[index].1] })
            samples.withUnsafeBufferPointer { _ = rings[Int(voice.slot)].write(from: $0.baseAddress!, count: $0.count) }
        }
        let mixer = ProgrammeMixer(sampleRate: rate, voices: voices, rings: rings, maxBlockFrames: 256,
                                   truePeakCeiling: ceiling, ducking: ducking)
        for (index, gain) in (gains ?? []).enumerated() { mixer.setGain(gain, forVoice: index) }
        let latency = mixer.latencyFrames
        var output: [Float] = []
        var block = [Float](repeating: 0, count: 512)
        while output.count < (frames + latency) * 2 {
            block.withUnsafeMutableBufferPointer { mixer.render(into: $0.baseAddress!, frames: 256) }
            output += block
        }
        return Array(output[(latency * 2)..<((latency + frames) * 2)])
    }

    @Test func equalPowerCrossfade() throws {
        // A: 0.5/0.25 for 1000 frames; B: −0.3 from frame 600; 400 frames of overlap.
        let voices = [VoiceSpec(start: 0, length: 1000, slot: 0, item: 0, crossfadeOut: 400),
                      VoiceSpec(start: 600, length: 1000, slot: 1, item: 1, crossfadeIn: 400)]
        let out = Self.render(voices, levels: [(0.5, 0.25), (-0.3, -0.3)], frames: 1700)
        for frame in [0, 599, 600, 700, 800, 999, 1000, 1599, 1650] {
            let t = Double(frame - 600) / 400
            let a: Double = frame < 600 ? 1 : (frame < 1000 ? cos(t * .pi / 2) : 0)
            let b: Double = frame < 600 ? 0 : (frame < 1000 ? sin(t * .pi / 2) : (frame < 1600 ? 1 : 0))
            #expect(abs(Double(out[frame * 2]) - (0.5 * a - 0.3 * b)) < 1e-5, "left at \(frame)")
            #expect(abs(Double(out[frame * 2 + 1]) - (0.25 * a - 0.3 * b)) < 1e-5, "right at \(frame)")
        }
        try Self.golden.check("crossfade", out)
    }

    @Test func fadesAndGain() throws {
        // 0.8 for 2000 frames at gain 0.5, fade in over 300, fade out over 500.
        let voices = [VoiceSpec(start: 100, length: 2000, slot: 0, item: 0, fadeIn: 300, fadeOut: 500)]
        let out = Self.render(voices, levels: [(0.8, 0.8)], frames: 2200, gains: [0.5])
        #expect(out[0] == 0 && out[99 * 2] == 0)
        #expect(abs(out[(100 + 150) * 2] - Float(0.4 * sin(Double.pi / 4))) < 1e-5)
        #expect(abs(out[(100 + 1000) * 2] - 0.4) < 1e-6)
        #expect(abs(out[(100 + 1500 + 250) * 2] - Float(0.4 * cos(Double.pi / 4))) < 1e-5)
        #expect(out[(2100 + 10) * 2] == 0)
        try Self.golden.check("fades", out)
    }

    @Test func bedDucksUnderTalkAndFadesOutAtTheEnd() throws {
        // A 2 s bed at 0.5 (8 kHz): −15 dB reached after the 0.3 s attack, faded out over the last 0.8 s.
        let rate = 8000   // a low rate keeps the reference buffer small
        let length = 2 * rate
        let voices = [VoiceSpec(start: 0, length: Int64(length), slot: 0, item: 0, isBed: true)]
        let out = Self.render(voices, levels: [(0.5, 0.5)], frames: length + 100, rate: rate)
        let ducked = Float(0.5 * pow(10, -15.0 / 20))
        #expect(abs(out[2] - 0.5) < 0.01, "starts at full level")
        #expect(abs(out[Int(0.15 * Double(rate)) * 2] - Float(0.5 * pow(10, -7.5 / 20))) < 0.002, "half-way down in dB")
        #expect(abs(out[Int(0.5 * Double(rate)) * 2] - ducked) < 1e-5, "ducked")
        #expect(abs(out[Int(1.2 * Double(rate)) * 2] - ducked) < 1e-4, "still ducked as the fade starts")
        #expect(abs(out[Int(1.6 * Double(rate)) * 2] - ducked * Float(cos(Double.pi / 4))) < 1e-4, "half-way through the fade")
        #expect(out[(length + 50) * 2] == 0)
        try Self.golden.check("ducking", out)
    }

    @Test func limiterHoldsTheCeiling() throws {
        // A 1 kHz tone at +6 dBFS into a −1 dBTP ceiling.
        let frames = 8192
        let voices = [VoiceSpec(start: 0, length: Int64(frames), slot: 0, item: 0)]
        let slots = [SPSCRing<Float>(capacity: frames * 2)]
        let tone = (0..<frames).flatMap { i -> [Float] in
            let x = Float(2 * sin(2 * Double.pi * 1000 * Double(i) / Double(Self.rate)))
            return [x, x]
        }
        tone.withUnsafeBufferPointer { _ = slots[0].write(from: $0.baseAddress!, count: $0.count) }
        let mixer = ProgrammeMixer(sampleRate: Self.rate, voices: voices, rings: slots, maxBlockFrames: 256,
                                   truePeakCeiling: -1, ducking: DuckingSpec(depth: -15, attack: 0.3, release: 0.8))
        var out: [Float] = []
        var block = [Float](repeating: 0, count: 512)
        for _ in 0..<(frames / 256) {
            block.withUnsafeMutableBufferPointer { mixer.render(into: $0.baseAddress!, frames: 256) }
            out += block
        }
        let ceiling = Float(pow(10, -1.0 / 20))
        #expect(out.map(abs).max()! <= ceiling)
        #expect(out.suffix(2000).map(abs).max()! > ceiling * 0.9, "the tone is limited, not muted")
        try Self.golden.check("limiter", out)
    }
}
