import Engine
import Foundation
import RegieModel
import RegieYAML
import Testing
import TestSupport

/// Sample-exact scheduling: clicks placed at known frames of the sources land at the frames the
/// plan predicts, through cue points, crossfades and resampling, in the engine's own output.
@Suite struct SchedulingTests {
    /// A quiet tone (so loudness normalisation has something to measure) with one click.
    static func source(frames: Int, rate: Int, clickAt click: Int, frequency: Double = 220) -> [Float] {
        var samples = (0..<frames).map { Float(0.01 * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
        samples[click] = 0.9
        return samples
    }

    /// Loads, plans and compiles a rundown, failing the test on any error.
    static func program(_ rundown: URL) throws -> CompiledProgram {
        let (read, diagnostics) = RundownReader.read(path: rundown.path)
        let parsed = try #require(read, "\(diagnostics)")
        var audio: [String: AudioSourceInfo] = [:]
        for path in parsed.items.compactMap(\.audioPath) + parsed.items.compactMap(\.bed) {
            let info = try AudioFileProbe.info(path)
            audio[path] = info
        }
        let result = Planner.plan(parsed, audio: audio)
        return CompiledProgram(plan: try #require(result.plan, "\(result.diagnostics)"))
    }

    /// Renders a program offline and returns the interleaved output.
    static func render(_ program: CompiledProgram, cache: LoudnessCache) throws -> [Float] {
        let renderer = OfflineRenderer(program: program, cache: cache)
        var output: [Float] = []
        output.reserveCapacity(Int(program.totalFrames) * 2)
        try renderer.run { output.append(contentsOf: $0) }
        return output
    }

    /// Index of the largest |left sample| in `range` (frames).
    static func loudestFrame(_ samples: [Float], in range: Range<Int>) -> Int {
        var best = range.lowerBound
        for frame in range where abs(samples[frame * 2]) > abs(samples[best * 2]) { best = frame }
        return best
    }

    @Test func clicksLandOnThePlannedFrames() throws {
        let show = try TestShow()
        // A: 2 s at 44.1 kHz, click at 30000. B: 4 s at 48 kHz, cue in 0.5 s, click at 120000
        // (96000 frames after the cue: 88200 at 44.1 kHz). C: 3 s at 44.1 kHz, cue in 0.25 s,
        // click at 44100 (33075 after the cue).
        try show.writeAudio("jingles/a.wav", samples: Self.source(frames: 88200, rate: 44100, clickAt: 30000), sampleRate: 44100)
        try show.writeAudio("audio/b.flac", samples: Self.source(frames: 192_000, rate: 48000, clickAt: 120_000), sampleRate: 48000)
        try show.writeAudio("audio/c.wav", samples: Self.source(frames: 132_300, rate: 44100, clickAt: 44100), sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Clicks
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 8
            items:
              - jingle: a
              - segment: audio/b.flac
                title: B
                in: 0.5
                crossfade: 0.5
              - music: audio/c.wav
                title: C
                artist: Z
                in: 0.25
                crossfade: 0.25
            """)
        let program = try Self.program(rundown)
        let entries = program.plan.entries
        // Planned starts: B at 88200 − 22050 = 66150; C at 66150 + 154350 − 11025 = 209475.
        #expect(entries.map(\.start) == [0, 66150, 209_475])
        let output = try Self.render(program, cache: LoudnessCache(showDirectory: show.directory.path))
        #expect(output.count == Int(program.totalFrames) * 2)
        let expected = [30000, 66150 + 88200, 209_475 + 33075]
        for (index, frame) in expected.enumerated() {
            let found = Self.loudestFrame(output, in: (frame - 2000)..<(frame + 2000))
            // Same-rate sources are sample-exact; the resampled one may be one frame off (the
            // interpolated peak falls between two output samples).
            #expect(abs(found - frame) <= (index == 1 ? 1 : 0), "click \(index): found at \(found), planned at \(frame)")
        }
    }

    @Test func renderingTwiceGivesTheSameSamples() throws {
        let show = try TestShow()
        try show.writeAudio("jingles/a.wav", samples: Self.source(frames: 44100, rate: 44100, clickAt: 100), sampleRate: 44100)
        try show.writeAudio("audio/b.flac", samples: Self.source(frames: 96000, rate: 48000, clickAt: 500), sampleRate: 48000)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Twice
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 3
            crossfade: 0.2
            items:
              - jingle: a
              - segment: audio/b.flac
                title: B
            """)
        let program = try Self.program(rundown)
        let cache = LoudnessCache(showDirectory: show.directory.path)
        let first = try Self.render(program, cache: cache)
        // Every source was measured once: integrated loudness and true peak, cached by content.
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: cache.url)) as? [String: [String: Any]] ?? [:]
        #expect(saved.count == 2)
        #expect(saved.values.allSatisfy { $0["integrated"] is Double && $0["truePeak"] is Double })
        let second = try Self.render(program, cache: LoudnessCache(showDirectory: show.directory.path))
        #expect(first == second)
    }
}

/// How crossfades treat jingles: never faded, overlapping the items around them.
@Suite struct JingleOverlapTests {
    @Test func aJingleIsNeverFadedByACrossfade() throws {
        let show = try TestShow()
        try show.writeAudio("jingles/j.wav", samples: [Float](repeating: 0.1, count: 44100), sampleRate: 44100)
        try show.writeAudio("audio/s.wav", samples: [Float](repeating: 0.1, count: 88200), sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Jingles
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 4
            crossfade: 0.5
            items:
              - segment: audio/s.wav
                title: Before
              - jingle: j
              - segment: audio/s.wav
                title: After
            """)
        let program = try SchedulingTests.program(rundown)
        let voices = program.voices
        // Into the jingle: the segment fades out, the jingle does not fade in.
        #expect(voices[0].crossfadeOut == 22050)
        #expect(voices[1].crossfadeIn == 0)
        // Out of the jingle: neither side fades.
        #expect(voices[1].crossfadeOut == 0)
        #expect(voices[2].crossfadeIn == 0)
        #expect(voices.map(\.start) == [0, 66150, 88200])
    }
}
