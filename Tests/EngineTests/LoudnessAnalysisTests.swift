import AudioIO
import Engine
import Foundation
import Testing
import TestSupport

/// The analysis thread measures every source once — integrated loudness with libebur128, true
/// peak with `TruePeakMeter` — whether it takes the quick integrated-only pass first (a source
/// heard in the first minute: the render waits for it) or measures both in one pass (a later
/// source).
@Suite struct LoudnessAnalysisTests {
    /// A tone with a slow level change and some noise, mono.
    static func material(seconds: Int, rate: Int, frequency: Double, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(seconds * rate)).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let t = Double(i) / Double(rate)
            let level = 0.2 + 0.15 * sin(2 * Double.pi * 0.3 * t)
            return Float(level * sin(2 * Double.pi * frequency * t) + 0.02 * (Double(state >> 40) / Double(1 << 24) - 0.5))
        }
    }

    @Test func earlyAndLateSourcesGetTheirIntegratedLoudnessAndTruePeak() throws {
        let show = try TestShow()
        let early = try show.writeAudio("audio/early.flac", samples: Self.material(seconds: 62, rate: 48000, frequency: 440, seed: 1),
                                        sampleRate: 48000)
        let late = try show.writeAudio("audio/late.wav", samples: Self.material(seconds: 4, rate: 44100, frequency: 9000, seed: 2),
                                       sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Early and late
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 66
            items:
              - segment: audio/early.flac
                title: Early
              - segment: audio/late.wav
                title: Late
            """)
        let program = try SchedulingTests.program(rundown)
        #expect(program.voices.map(\.start) == [0, 62 * 44100], "the late source starts after the first minute")
        let cache = LoudnessCache(showDirectory: show.directory.path)
        _ = try SchedulingTests.render(program, cache: cache)

        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: cache.url)) as? [String: [String: Any]] ?? [:]
        #expect(saved.count == 2)
        for url in [early, late] {
            let reference = try LoudnessMeter.measureFile(path: url.path, truePeakMethod: .interpolated)
            let libebur128 = try LoudnessMeter.measureFile(path: url.path)
            let entry = try #require(saved[try LoudnessCache.contentKey(of: url.path)], "\(url.lastPathComponent) cached")
            // Equal but for the last bit a JSON round trip may change.
            let integrated = try #require(entry["integrated"] as? Double), peak = try #require(entry["truePeak"] as? Double)
            #expect(abs(integrated - reference.integrated) < 1e-9, "\(url.lastPathComponent): \(integrated) vs \(reference.integrated)")
            #expect(abs(peak - reference.truePeak) < 1e-9, "\(url.lastPathComponent): \(peak) vs \(reference.truePeak)")
            #expect(abs(integrated - libebur128.integrated) < 1e-9)
            #expect(abs(peak - libebur128.truePeak) <= 0.1, "\(url.lastPathComponent): \(peak) vs libebur128 \(libebur128.truePeak)")
        }
    }
}
