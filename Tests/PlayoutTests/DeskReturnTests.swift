import AudioIO
import Foundation
@testable import Playout
import Podcast
import Production
import RegieModel
import Testing
import TestSupport
import Engine

/// The desk is a private PulseAudio server: its null sink is the desk's input (Régie plays into
/// it), `paplay` into the same sink is a presenter at a microphone, and the sink's monitor is the
/// desk's programme return (the programme with the voice, paced like a sound card). The episode
/// must be made from that return: the voice is in it, at the show's loudness, and its chapters sit
/// where the items were actually heard.
@Suite(.serialized) struct DeskReturnTests {
    static let rate = 44100

    /// Power of `frequency` in `samples` (left channel of interleaved stereo) over `frames` from
    /// `start` (Goertzel).
    static func power(_ samples: [Float], frequency: Double, start: Int, frames: Int) -> Double {
        let k = 2 * cos(2 * Double.pi * frequency / Double(rate))
        var s1 = 0.0, s2 = 0.0
        for frame in start..<min(start + frames, samples.count / 2) {
            let s0 = Double(samples[2 * frame]) + k * s1 - s2
            s2 = s1
            s1 = s0
        }
        return (s1 * s1 + s2 * s2 - k * s1 * s2) / Double(frames * frames)
    }

    /// The first frame where a `frequency` burst begins: 10 ms windows every 2 ms, the first whose
    /// power passes a third of the loudest window's.
    static func onset(of frequency: Double, in samples: [Float]) -> Int? {
        let window = rate / 100, step = rate / 500
        let powers = stride(from: 0, to: samples.count / 2 - window, by: step).map { power(samples, frequency: frequency, start: $0, frames: window) }
        guard let loudest = powers.max(), loudest > 0 else { return nil }
        return powers.firstIndex { $0 > loudest / 3 }.map { $0 * step + window / 2 }
    }

    @Test("the episode is the desk's return: the voice in it, at the target loudness, chapters within 50 ms of where items were heard")
    func theDesksReturnIsTheEpisode() throws {
        let pulse = try PulseAudioServer.start(sampleRate: Self.rate)
        defer { pulse.stop() }
        let show = try TestShow()
        let rate = Self.rate
        func tone(_ hz: Double, seconds: Double, level: Double, then silence: Double = 0) -> [Float] {
            (0..<Int(seconds * Double(rate))).map { Float(level * sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
                + [Float](repeating: 0, count: Int(silence * Double(rate)))
        }
        try show.writeAudio("jingles/sting.wav", samples: tone(1000, seconds: 0.4, level: 0.3, then: 0.6), sampleRate: rate)
        // The interview opens with a 2 kHz burst: where it is heard is where its chapter must start.
        try show.writeAudio("audio/interview.wav", samples: tone(2000, seconds: 0.3, level: 0.3) + tone(600, seconds: 2.7, level: 0.2),
                            sampleRate: rate)
        let rundown = try show.writeRundown("""
            episode: 9
            title: At the desk
            description: The desk's return.
            air: 2026-12-03T18:00:00+01:00
            slot: 8
            items:
              - jingle: sting
              - live: Welcome
                planned: 3
              - segment: audio/interview.wav
                title: Interview
              - jingle: sting
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first, "\(workspace.diagnostics)")

        let config = try ALSAConfiguration(text: pulse.alsaConfiguration(name: "regie_desk"))
        let playback = try ALSAPlaybackDevice(name: "regie_desk", configuration: config, sampleRate: rate,
                                              periodFrames: rate / 50, periods: 8)
        let capture = try ALSACaptureDevice(name: "regie_desk_monitor", configuration: config, sampleRate: rate,
                                            periodFrames: playback.periodFrames, periods: 8)
        defer { playback.close(); capture.close() }
        // The presenter: a 300 Hz voice into the desk for the whole show.
        let voice = show.root.appendingPathComponent("voice.wav")
        try runChecked("sox", ["-n", "-r", "\(rate)", "-c", "2", "-b", "16", voice.path, "synth", "14", "sine", "300", "vol", "0.25"])
        let presenter = try RunningProgram("paplay", ["--device=\(pulse.sinkName)", voice.path], environment: pulse.environment)
        defer { if presenter.isRunning { presenter.send(SIGKILL) } }

        let recordings = show.root.appendingPathComponent("recordings")
        let published = show.root.appendingPathComponent("public")
        let log = LogRecorder()
        let live = try LiveShow(.init(plan: plan, playout: .automation, playback: playback, capture: capture,
                                      paceByClock: false, record: .both, recordingsFolder: recordings,
                                      publishFolder: published, wallClock: LiveShowTests.clock(at: LiveShowTests.air)),
                                logger: log.logger)
        let summary = try live.run()
        #expect(summary.ranToTheEnd)
        #expect(summary.episodeSource == .capture, "the desk's return is the episode")
        let roundTrip = try #require(summary.roundTripFrames)
        #expect(roundTrip > 0 && roundTrip < Int64(rate), "round trip \(roundTrip) frames")
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        let captureStart = try #require(entries.first { $0.kind == .recordingStarted && $0.source == .capture })
        #expect(captureStart.roundTripFrames == roundTrip, "the round trip is in the as-run log")

        // Published when nothing went wrong (an xrun on a loaded machine keeps it back, finished).
        let (result, endToEpisode) = try #require(summary.finished)
        if summary.published {
            #expect(FileManager.default.fileExists(atPath: published.appendingPathComponent("feed.xml").path))
        } else {
            #expect(summary.xruns > 0 || summary.latePrefetchFrames > 0, "not published: \(summary.notPublishedBecause)")
        }
        let episode = try decodeWithFFmpeg(result.url)
        let loudness = try ffmpegLoudness(result.url)
        #expect(abs(loudness.integrated - plan.rundown.show.loudness) <= 1, "\(loudness.integrated) LUFS")

        let chapters = try #require(ChaptersJSON.decode(Data(contentsOf: result.chaptersURL)))
        #expect(chapters.map(\.title) == ["Welcome", "Interview"])
        // The voice is in the episode (in the live item), and not in the programme recording.
        let welcome = Int(chapters[0].startTime * Double(rate))
        let voiceInEpisode = Self.power(episode, frequency: 300, start: welcome + rate / 2, frames: rate)
        let program = try decodeWithFFmpeg(try #require(summary.recordings.first { $0.url.lastPathComponent.contains("-program") }).url)
        let programStart = Int(entries.first { $0.kind == .itemStarted && $0.item == 1 }!.position
                                - entries.first { $0.kind == .recordingStarted && $0.source == .program }!.position)
        let voiceInProgramme = Self.power(program, frequency: 300, start: programStart + rate / 2, frames: rate)
        #expect(voiceInEpisode > 100 * max(voiceInProgramme, 1e-12), "voice \(voiceInEpisode) against \(voiceInProgramme)")
        // The interview's chapter starts where its burst is heard in the episode.
        let heard = try #require(Self.onset(of: 2000, in: episode))
        let chapterStart = chapters[1].startTime * Double(rate)
        let error = abs(Double(heard) - chapterStart) / Double(rate)
        #expect(error <= 0.05, "the Interview chapter is \(Int(error * 1000)) ms from where it was heard")
        print("[measure] desk's return: round trip \(String(format: "%.1f", Double(roundTrip) / Double(rate) * 1000)) ms, chapter error \(String(format: "%+.1f", (Double(heard) - chapterStart) / Double(rate) * 1000)) ms (heard minus chapter), episode \(String(format: "%.2f", loudness.integrated)) LUFS by \(result.path), \(summary.published ? "published" : "finished") \(String(format: "%.2f", endToEpisode)) s after the show ended")
    }
}
