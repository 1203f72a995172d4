// One render block of the programme mixer: time per block and heap allocations per block (must
// be zero: real-time rule 2). Three voices sound in every block: an outgoing voice in its
// crossfade, an incoming voice in its crossfade, and a ducked bed, so every block takes the
// per-frame (shaped) path of the mixer, then the true-peak limiter, peak meter and loudness
// window. Run with scripts/bench-block; see docs/benchmarks.md.
import Benchmark
import Engine
import Realtime
#if canImport(Glibc)
import Glibc
#endif

/// Frames per rendered block.
let blockFrames = 1024
/// Sample rate of the benchmark programme.
let sampleRate = 48000
/// Blocks rendered per measured iteration (the configuration's scaling factor, `.kilo`).
let blocksPerIteration = 1000
/// Length of every voice and of both crossfades: long enough (about 100 h) that no voice ends and
/// every block stays inside the crossfade, however many iterations the framework runs.
let voiceLength: Int64 = 1 << 34

/// The mixer and what feeds it, built once before the iterations (allocations happen here).
final class RenderBlockFixture: @unchecked Sendable {
    let mixer: ProgrammeMixer
    let rings: [SPSCRing<Float>]
    /// One block of source audio per voice (interleaved stereo), copied into the rings before each iteration.
    let sources: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>

    init() {
        let voices = [
            VoiceSpec(start: 0, length: voiceLength, slot: 0, item: 0, crossfadeOut: voiceLength),
            VoiceSpec(start: 0, length: voiceLength, slot: 1, item: 1, crossfadeIn: voiceLength),
            VoiceSpec(start: 0, length: voiceLength, slot: 2, item: 2, isBed: true),
        ]
        // Each ring holds the blocks of one iteration, written before its measurement starts.
        rings = (0..<3).map { _ in SPSCRing<Float>(capacity: blockFrames * 2 * blocksPerIteration) }
        mixer = ProgrammeMixer(sampleRate: sampleRate, voices: voices, rings: rings, maxBlockFrames: blockFrames,
                               truePeakCeiling: -1, ducking: DuckingSpec(depth: -15, attack: 0.3, release: 0.8))
        for voice in 0..<3 { mixer.setGain(0.7, forVoice: voice) }
        sources = .allocate(capacity: 3 * blockFrames * 2)
        // Loud, different tones per voice so that the limiter has gain reduction to compute.
        for voice in 0..<3 {
            let frequency = 220.0 * Double(voice + 1)
            for frame in 0..<blockFrames {
                let x = Float(0.9 * sin(2 * Double.pi * frequency * Double(frame) / Double(sampleRate)))
                sources[(voice * blockFrames + frame) * 2] = x
                sources[(voice * blockFrames + frame) * 2 + 1] = -x
            }
        }
        output = .allocate(capacity: blockFrames * 2)
        output.initialize(repeating: 0, count: blockFrames * 2)
    }

    deinit {
        sources.deallocate()
        output.deallocate()
    }

    /// Writes `blocks` blocks of audio into each voice's ring (no allocation).
    func refill(blocks: Int) {
        for (voice, ring) in rings.enumerated() {
            for _ in 0..<blocks { ring.write(from: sources + voice * blockFrames * 2, count: blockFrames * 2) }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        // One iteration renders 1000 blocks (the rings hold that much); metrics marked * in the
        // output are per block. Whatever the framework itself might allocate per iteration (the
        // control benchmark shows it: none here) rounds to 0 per block, while one allocation per
        // block would show as 1 (`--scale` prints the raw counts per 1000 blocks).
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1000,
        // Any allocation in a block is a regression: `scripts/bench-block thresholds check`
        // fails when a percentile of mallocCountTotal per block exceeds 0.
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])]
    )

    Benchmark("ProgrammeMixer.render 1024 frames, 3 voices (crossfade + ducked bed)") { benchmark, fixture in
        fixture.refill(blocks: benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            fixture.mixer.render(into: fixture.output, frames: blockFrames)
        }
        benchmark.stopMeasurement()
        blackHole(fixture.output[0])
    } setup: {
        RenderBlockFixture()
    }

    // Control: the same iteration without the render, to tell the framework's own allocations
    // from the mixer's.
    Benchmark("control: empty measurement") { benchmark, fixture in
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(fixture.output[0]) }
        benchmark.stopMeasurement()
    } setup: {
        RenderBlockFixture()
    }
}
