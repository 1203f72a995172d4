import AudioIO
import Engine
import Foundation
import MP3
@testable import Playout
import Podcast
import Production
import RegieModel
import Testing
import TestSupport

/// The podcast cut of a live show: the episode published after the air lacks the track not
/// cleared for podcasting, cut where the as-run log says it aired — to the frame from the
/// programme recording, within the measured round trip from the desk's return — while the
/// recordings in the archive keep it.
@Suite(.serialized) struct PodcastCutLiveTests {
    static let rate = 44100

    /// A show: talk (331.7 Hz), a song not cleared (CutTones.song Hz), talk (CutTones.talkAfter Hz), a cleared song.
    static func makeShow(sting: Bool = false) throws -> (TestShow, Plan) {
        let show = try TestShow(extra: sting ? "podcast_sting: on-air-only" : "")
        if sting { try show.writeAudio("jingles/on-air-only.wav", samples: CutTones.tone(1500, seconds: 0.8), sampleRate: rate) }
        let rundown = try show.writeOnAirOnlyRundown(talk: 2, song: 3, cleared: 1.5, slot: 10, episode: 5, level: 0.25)
        var workspace = Workspace()
        workspace.load([rundown.path])
        return (show, try #require(workspace.plans.first, "\(workspace.diagnostics)"))
    }

    /// Where the song aired in the recording of `source`, from the as-run log.
    static func songSpan(_ log: URL, source: RecordingSource) throws -> Range<Int64> {
        let entries = try AsRunLog.read(log)
        let origin = try #require(entries.first { $0.kind == .recordingStarted && $0.source == source }).position
        let start = try #require(entries.first { $0.kind == .itemStarted && $0.title == "Snowfall" }).position
        let end = try #require(entries.first { $0.kind == .itemEnded && $0.title == "Snowfall" }).position
        return (start - origin)..<(end - origin)
    }

    @Test func theProgrammesEpisodeLacksTheSongToTheFrameAndTheArchiveKeepsIt() throws {
        let (show, plan) = try Self.makeShow()
        let device = try LiveShowTests.tap(show.root.appendingPathComponent("out.raw"), rate: Self.rate)
        defer { device.close() }
        let published = show.root.appendingPathComponent("public")
        let summary = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                         recordingsFolder: show.root.appendingPathComponent("recordings"),
                                         publishFolder: published, wallClock: LiveShowTests.clock(at: LiveShowTests.air)),
                                   logger: LogRecorder().logger).run()
        #expect(summary.published, "\(summary.notPublishedBecause)")
        let (result, _) = try #require(summary.finished)
        let recording = try #require(summary.recordings.first)
        let song = try Self.songSpan(try #require(summary.asRunLog), source: .program)
        #expect(song.count == 3 * Self.rate, "the song aired whole")

        // The archive: the recording whole, the song in it.
        let archived = try decodeWithFFmpeg(recording.url)
        #expect(archived.count / 2 == Int(recording.file.frames))
        let songMiddle = Int(song.lowerBound) + song.count / 2
        let inArchive = CutTones.power(archived, CutTones.song, start: songMiddle, frames: Self.rate / 2)
        #expect(inArchive > 1e-3)

        // The episode: to the frame, the recording less the song.
        let episode = try decodeWithFFmpeg(result.url)
        #expect(episode.count / 2 == archived.count / 2 - song.count, "recorded \(archived.count / 2), song \(song.count)")
        let join = Int(song.lowerBound)
        let window = Self.rate / 10
        for start in stride(from: 0, to: episode.count / 2 - window, by: window / 2) where abs(start + window / 2 - join) > window {
            let p = CutTones.power(episode, CutTones.song, start: start, frames: window)
            #expect(p < inArchive * 1e-3, "the song at \(Double(start) / Double(Self.rate)) s: \(p)")
        }
        // The talk after the song comes in at the join, in the episode.
        let talkB = CutTones.power(episode, CutTones.talkAfter, start: join + window, frames: window)
        #expect(talkB > 1e-3)

        // Chapters, feed and page follow the cut.
        let chapters = try #require(ChaptersJSON.decode(Data(contentsOf: result.chaptersURL)))
        #expect(chapters.map(\.title) == ["Opening", "Music: Snowfall — The Demo Band (on air only)", "Interview", "Free Song — Commons Choir"])
        let joinSeconds = Double(join) / Double(Self.rate)
        #expect(abs(chapters[1].startTime - joinSeconds) < 0.002 && abs(chapters[2].startTime - joinSeconds) < 0.002)
        let feed = try String(contentsOf: published.appendingPathComponent("feed.xml"), encoding: .utf8)
        let duration = Int((Double(episode.count / 2) / Double(Self.rate)).rounded())
        #expect(feed.contains("<itunes:duration>\(duration)</itunes:duration>"), "\(duration) s")
        let page = try String(contentsOf: published.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(page.contains("Music: Snowfall — The Demo Band (on air only)"))
    }

    @Test("from the desk's return: the song cut within the round trip, the sting in its place")
    func theDesksReturnIsCutWithinTheRoundTrip() throws {
        let pulse = try PulseAudioServer.start(sampleRate: Self.rate)
        defer { pulse.stop() }
        let (show, plan) = try Self.makeShow(sting: true)
        let config = try ALSAConfiguration(text: pulse.alsaConfiguration(name: "regie_desk"))
        let playback = try ALSAPlaybackDevice(name: "regie_desk", configuration: config, sampleRate: Self.rate,
                                              periodFrames: Self.rate / 50, periods: 8)
        let capture = try ALSACaptureDevice(name: "regie_desk_monitor", configuration: config, sampleRate: Self.rate,
                                            periodFrames: playback.periodFrames, periods: 8)
        defer { playback.close(); capture.close() }
        let summary = try LiveShow(.init(plan: plan, playout: .automation, playback: playback, capture: capture,
                                         paceByClock: false, record: .both,
                                         recordingsFolder: show.root.appendingPathComponent("recordings"),
                                         publishFolder: show.root.appendingPathComponent("public"),
                                         wallClock: LiveShowTests.clock(at: LiveShowTests.air)),
                                   logger: LogRecorder().logger).run()
        #expect(summary.episodeSource == .capture)
        let roundTrip = try #require(summary.roundTripFrames)
        let (result, _) = try #require(summary.finished)
        let captured = try #require(summary.recordings.first { $0.url.lastPathComponent.contains("-capture") })
        let song = try Self.songSpan(try #require(summary.asRunLog), source: .capture)
        let sting = try #require(try PodcastSting.of(plan.rundown.show)).count / 2
        let crossfade = PodcastCut.defaultCrossfade(sampleRate: Self.rate)

        let episode = try decodeWithFFmpeg(result.url)
        #expect(episode.count / 2 == Int(captured.file.frames) - song.count - crossfade + sting)
        // Where the song really was in the capture: its 881 Hz, found in the archive's recording.
        let archived = try decodeWithFFmpeg(captured.url)
        let heard = try #require(DeskReturnTests.onset(of: CutTones.song, in: archived))
        let error = abs(heard - Int(song.lowerBound))
        #expect(error <= Int(roundTrip), "the cut is \(error) frames from where the song was heard (round trip \(roundTrip))")
        // In the episode: the sting where the song was, no song anywhere but the joins' edges.
        let join = Int(song.lowerBound) - crossfade / 2
        let window = Self.rate / 10
        let stingPower = CutTones.power(episode, 1500, start: join + sting / 2 - window / 2, frames: window)
        #expect(stingPower > 1e-3, "the sting plays: \(stingPower)")
        let inArchive = CutTones.power(archived, CutTones.song, start: heard + Self.rate, frames: window)
        let margin = window + Int(roundTrip)
        for start in stride(from: 0, to: episode.count / 2 - window, by: window / 2)
        where abs(start + window / 2 - join) > margin && abs(start + window / 2 - (join + sting)) > margin {
            let p = CutTones.power(episode, CutTones.song, start: start, frames: window)
            #expect(p < inArchive * 1e-2, "the song at \(Double(start) / Double(Self.rate)) s: \(p)")
        }
        let chapters = try #require(ChaptersJSON.decode(Data(contentsOf: result.chaptersURL)))
        let marker = try #require(chapters.first { $0.title == "Music: Snowfall — The Demo Band (on air only)" })
        #expect(abs((marker.endTime ?? 0) - marker.startTime - Double(sting) / Double(Self.rate)) < 0.002, "the marker spans the sting")
        print("[measure] podcast cut on the desk's return: \(String(format: "%+.1f", Double(heard - Int(song.lowerBound)) / Double(Self.rate) * 1000)) ms from where the song was heard, round trip \(String(format: "%.1f", Double(roundTrip) / Double(Self.rate) * 1000)) ms")
    }
}
