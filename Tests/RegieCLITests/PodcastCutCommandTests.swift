import Foundation
import MP3
import Production
import RegieModel
import Testing
import TestSupport

/// The podcast cut on the render path, end to end (`regie render --publish`): the station's MP3
/// keeps every track, the podcast's copy lacks the uncleared one to the frame, with no click at
/// the join, and its chapters, ID3 tag and feed duration follow the cut (read back by ffmpeg,
/// mutagen and feedparser).
@Suite(.serialized) struct PodcastCutCommandTests {
    static let rate = 44100

    /// The largest step between neighbouring samples (left channel) in `range` of frames.
    static func largestStep(_ samples: [Float], _ range: Range<Int>) -> Float {
        var step: Float = 0
        for f in max(1, range.lowerBound)..<min(range.upperBound, samples.count / 2) {
            step = max(step, abs(samples[2 * f] - samples[2 * f - 2]))
        }
        return step
    }

    @Test func thePodcastCopyLacksTheUnclearedTrackToTheFrameWithoutAClick() throws {
        let show = try TestShow()
        let rundown = try show.writeOnAirOnlyRundown(talk: 4, song: 5, cleared: 3, slot: 17, episode: 4)
        let mp3 = show.root.appendingPathComponent("renders/episode.mp3")
        let folder = show.root.appendingPathComponent("public")
        let render = try TestSupport.regie(["render", rundown.path, "-o", mp3.path, "--publish", "--to", folder.path])
        #expect(render.status == 0, "\(render.stderr)")
        #expect(render.stdout.contains("Music: Snowfall — The Demo Band (on air only)"), "\(render.stdout)")

        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first)
        let song = try #require(plan.airing.first { $0.item.title == "Snowfall" })
        let podcastMP3 = EpisodeRender.podcastURL(for: mp3)

        // The station's copy keeps the song; the podcast's lacks exactly its frames.
        let full = try decodeWithFFmpeg(mp3)
        let podcast = try decodeWithFFmpeg(podcastMP3)
        #expect(full.count / 2 == Int(plan.total))
        #expect(podcast.count / 2 == Int(plan.total - song.length), "aired \(plan.total) less the song's \(song.length)")
        let songMiddle = Int(song.start + song.length / 2)
        let inFull = CutTones.power(full, CutTones.song, start: songMiddle, frames: Self.rate / 2)
        #expect(inFull > 1e-3, "the song is in the station's copy: \(inFull)")
        // Nowhere in the podcast, apart from the 25 ms either side of the join (faded).
        let join = Int(song.start)
        let window = Self.rate / 10
        for start in stride(from: 0, to: podcast.count / 2 - window, by: window / 2) where abs(start + window / 2 - join) > window {
            let p = CutTones.power(podcast, CutTones.song, start: start, frames: window)
            #expect(p < inFull * 1e-3, "880 Hz at \(Double(start) / Double(Self.rate)) s: \(p)")
        }
        // The join: no step between samples above the crossfade of the material's own (the
        // talk before, the talk after, the song's first and last moments in the station's copy)…
        let nearJoin = Self.largestStep(podcast, (join - Self.rate / 20)..<(join + Self.rate / 20))
        let material = [Self.largestStep(podcast, (join - Self.rate)..<(join - Self.rate / 5)),
                        Self.largestStep(podcast, (join + Self.rate / 5)..<(join + Self.rate)),
                        Self.largestStep(full, (join + 10)..<(join + Self.rate / 10)),
                        Self.largestStep(full, (Int(song.end) - Self.rate / 10)..<(Int(song.end) - 10))].max()!
        // (An equal-power crossfade of two tones may add their slopes: up to √2 of the steeper.)
        #expect(nearJoin <= 1.45 * material, "step \(nearJoin) at the join, the material's \(material)")
        // …where butting the talk before against the talk after would click (the check can fail).
        let buttAt = join - Self.rate / 3
        let butted = Array(full[..<(2 * buttAt)]) + Array(full[(2 * (Int(song.end) + Self.rate / 2))...])
        let buttedStep = Self.largestStep(butted, (buttAt - 10)..<(buttAt + 10))
        #expect(buttedStep > 3 * material, "a butt join steps \(buttedStep)")

        // The chapters, the ID3 tag and the feed follow the cut.
        let published = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .first { $0.hasSuffix(".chapters.json") })
        let id3 = try #require(try pythonJSON("""
            import json, sys
            from mutagen.id3 import ID3
            tag = ID3(sys.argv[1], translate=False)
            chaps = sorted(tag.getall('CHAP'), key=lambda c: (c.start_time, c.end_time))
            print(json.dumps({'tlen': int(str(tag['TLEN'])),
              'chap': [[c.start_time, c.end_time, str(c.sub_frames['TIT2'])] for c in chaps]}))
            """, [podcastMP3.path], interpreter: systemPython) as? [String: Any])
        let feed = try #require(try pythonJSON("""
            import json, sys, feedparser
            feed = feedparser.parse(sys.argv[1])
            chapters = json.load(open(sys.argv[2]))['chapters']
            print(json.dumps({'bozo': int(feed.bozo), 'duration': feed.entries[0].itunes_duration,
              'json': [[c['startTime'], c['title']] for c in chapters]}))
            """, [folder.appendingPathComponent("feed.xml").path, folder.appendingPathComponent(published).path]) as? [String: Any])
        let object = id3.merging(feed) { a, _ in a }
        let podcastMs = Chapter.milliseconds(frames: Int64(podcast.count / 2), sampleRate: Self.rate)
        #expect(object["tlen"] as? Int == podcastMs)
        #expect(object["bozo"] as? Int == 0)
        #expect(object["duration"] as? String == String(Int((Double(podcast.count / 2) / Double(Self.rate)).rounded())))
        let joinMs = Chapter.milliseconds(frames: song.start, sampleRate: Self.rate)
        let chap = try #require(object["chap"] as? [[Any]])
        #expect(chap.map { $0[2] as? String } == ["Opening", "Music: Snowfall — The Demo Band (on air only)", "Interview", "Free Song — Commons Choir"])
        #expect(chap.map { $0[0] as? Int } == [0, joinMs, joinMs, chap[3][0] as? Int])
        #expect(chap.last?[1] as? Int == podcastMs)
        let json = try #require(object["json"] as? [[Any]])
        #expect(json.map { $0[1] as? String } == chap.map { $0[2] as? String }, "the published chapters are the copy's")
        let page = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(page.contains("Music: Snowfall — The Demo Band (on air only)"))

        // The station's whole programme is refused as the podcast, with the way out named.
        let refused = try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not cleared for the podcast (Snowfall — The Demo Band)"), "\(refused.stderr)")
        #expect(refused.stderr.contains(podcastMP3.lastPathComponent), "\(refused.stderr)")
    }

    /// A track at the very end, longer than the render's ring (12 s): the copy ends with the talk,
    /// faded, and the render still finishes (it once waited for ever on the copy's full ring).
    @Test func aTrackAtTheEndLeavesTheCopyEndingWithTheTalk() throws {
        let show = try TestShow()
        try show.writeAudio("audio/talk.wav", samples: CutTones.tone(CutTones.talkBefore, seconds: 3), sampleRate: Self.rate)
        try show.writeAudio("audio/song.wav", samples: CutTones.tone(CutTones.song, seconds: 15), sampleRate: Self.rate)
        let rundown = try show.writeRundown("""
            title: Closing song
            air: 2026-12-03T18:00:00+01:00
            slot: 20
            items:
              - segment: audio/talk.wav
                title: Talk
              - music: audio/song.wav
                title: Long Goodbye
                artist: The Demo Band
                podcast: false
            """)
        let mp3 = show.root.appendingPathComponent("renders/closing.mp3")
        let render = try RunningProgram(TestSupport.regie.path, ["render", rundown.path, "-o", mp3.path, "--quality", "7"])
            .result(timeout: 120)
        #expect(render.status == 0, "\(render.stderr)")
        let podcast = try decodeWithFFmpeg(EpisodeRender.podcastURL(for: mp3))
        #expect(podcast.count / 2 == 3 * Self.rate, "the talk only")
        #expect(try decodedFrameCount(mp3) == 18 * Self.rate, "the station's copy whole")
        #expect(CutTones.power(podcast, CutTones.song, start: 0, frames: podcast.count / 2) < 1e-6)
    }
}
