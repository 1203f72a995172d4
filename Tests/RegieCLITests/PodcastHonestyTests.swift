import Foundation
import Testing
import TestSupport

/// What the podcast needs is asked only when publishing, and publishing takes only what it can
/// stand behind: an MP3 that decodes whole, a feed whose `podcast:guid` never changes, a rundown
/// whose live items were really aired. Through the real binary; feeds read back by feedparser.
@Suite struct PodcastHonestyTests {
    /// Four seconds of a 330 Hz tone in `audio/talk.wav` of `show`.
    static func writeTalk(_ show: TestShow, seconds: Int = 4) throws {
        let tone = (0..<(44100 * seconds)).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 44100)) }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: 44100)
    }

    /// `itunes:duration`, `podcast:guid` and the number of entries of a feed file, by feedparser.
    static func readFeed(_ feed: URL) throws -> (entries: Int, guid: String?, duration: String?, bozo: Int) {
        let script = """
        import feedparser, json, sys
        f = feedparser.parse(sys.argv[1])
        print(json.dumps({'bozo': int(f.bozo), 'n': len(f.entries), 'guid': f.feed.get('podcast_guid'),
                          'duration': f.entries[0].get('itunes_duration') if f.entries else None}))
        """
        let result = try run("python3", ["-c", script, feed.path])
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any], "\(result.stderr)")
        return (object["n"] as? Int ?? -1, object["guid"] as? String, object["duration"] as? String, object["bozo"] as? Int ?? -1)
    }

    @Test("a show.yaml with only its title and sound, a rundown with no number or description: checked clean with warnings, timed, rendered; publishing names what is missing, where")
    func podcastMetadataNeverBlocksTheAir() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        try "title: Minimal Show\nloudness: -18\nbitrate: 96\n"
            .write(to: show.directory.appendingPathComponent("show.yaml"), atomically: true, encoding: .utf8)
        try Self.writeTalk(show)
        let rundown = try show.writeRundown("""
            title: Not numbered yet
            air: 2026-12-03T18:00:00+01:00
            slot: 7
            items:
              - segment: audio/talk.wav
                title: Talk
              - live: Goodbye
                planned: 3
            """)
        let showFile = show.directory.appendingPathComponent("show.yaml").path

        let check = try TestSupport.regie(["check", rundown.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let said = check.stdout + check.stderr
        #expect(said.contains("\(rundown.path):1:1: warning: the rundown has no 'episode' and 'description'"), "\(said)")
        #expect(said.contains("\(showFile):1:1: warning: the podcast needs 'description', 'author'"), "\(said)")
        #expect(!said.contains("error:"))

        let plan = try TestSupport.regie(["plan", rundown.path])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("Minimal Show — episode (no number): Not numbered yet"), "\(plan.stdout)")

        let mp3 = show.root.appendingPathComponent("ep.mp3")
        let render = try TestSupport.regie(["render", rundown.path, "-o", mp3.path])
        #expect(render.status == 0, "\(render.stderr)")
        #expect(try decodedFrameCount(mp3) == 7 * 44100, "the render holds the plan: 4 s of talk, 3 s of live placeholder")
        #expect(try ffmpegLoudness(mp3).integrated < -16.5, "the show's own target (−18 LUFS), not the default")

        // On air (a rehearsal: not the air date): played whole and recorded, named without a number.
        let recordings = show.root.appendingPathComponent("recordings")
        let play = try TestSupport.regie(["play", "--auto", rundown.path, "--device", "null", "--out", recordings.path])
        #expect(play.status == 0, "\(play.stderr)")
        let recorded = recordings.appendingPathComponent("not-numbered-yet-program.mp3")
        #expect(play.stdout.contains("recorded \(recorded.path)"), "\(play.stdout)")
        #expect(abs(try decodedFrameCount(recorded) - 7 * 44100) < 4410)
        #expect(play.stderr.contains("regie: warning: the podcast needs 'description', 'author', 'language', 'category', 'explicit', 'artwork', 'link', 'base_url', 'owner' in \(showFile); 'episode' and 'description' in \(rundown.path): the episode will be finished, not published"), "\(play.stderr)")

        let folder = show.root.appendingPathComponent("public")
        let publish = try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path])
        #expect(publish.status == 1)
        #expect(publish.stderr.contains("\(showFile):1:1: error: publishing needs 'description', 'author', 'language', 'category', 'explicit', 'artwork', 'link', 'base_url', 'owner' in the show"), "\(publish.stderr)")
        #expect(publish.stderr.contains("\(rundown.path):1:1: error: publishing needs the episode's 'episode' and 'description' in the rundown"), "\(publish.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("feed.xml").path), "nothing published")
    }

    @Test("regie publish takes an MP3 that decodes whole: a FLAC (under any name) and a cut-off MP3 are refused, the whole one published with its decoded duration")
    func publishTakesOnlyWholeMP3s() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        try Self.writeTalk(show, seconds: 12)
        let rundown = try show.writeRundown("""
            episode: 3
            title: Whole
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 12
            items:
              - segment: audio/talk.wav
                title: Talk
            """)
        let mp3 = show.root.appendingPathComponent("ep.mp3")
        #expect(try TestSupport.regie(["render", rundown.path, "-o", mp3.path]).status == 0)
        let folder = show.root.appendingPathComponent("public")
        let feed = folder.appendingPathComponent("feed.xml")

        let flac = show.root.appendingPathComponent("ep.flac")
        #expect(try run("sox", [show.directory.appendingPathComponent("audio/talk.wav").path, flac.path]).status == 0)
        let disguised = show.root.appendingPathComponent("disguised.mp3")
        try FileManager.default.copyItem(at: flac, to: disguised)
        for file in [flac, disguised] {
            let refused = try TestSupport.regie(["publish", rundown.path, file.path, "--to", folder.path])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("\(file.path) is FLAC"), "\(refused.stderr)")
            #expect(refused.stderr.contains("not an MP3"))
        }
        // The last fifth cut off (the ID3 tag and artwork in front are whole).
        let bytes = try Data(contentsOf: mp3)
        let cut = show.root.appendingPathComponent("cut.mp3")
        try bytes.prefix(bytes.count * 4 / 5).write(to: cut)
        let truncated = try TestSupport.regie(["publish", rundown.path, cut.path, "--to", folder.path])
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("\(cut.path) is damaged or truncated: its header says 0:12.0 but only"), "\(truncated.stderr)")
        #expect(!FileManager.default.fileExists(atPath: feed.path), "nothing published by the refusals")

        let published = try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("Published episode 3 to"))
        let read = try Self.readFeed(feed)
        #expect(read.bozo == 0 && read.entries == 1)
        #expect(read.duration == "12", "the duration decoded from the file")
    }

    @Test("a published folder keeps its base_url and podcast:guid: another address into the same folder is refused, a separate folder has its own")
    func podcastGUIDNeverChanges() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        try Self.writeTalk(show)
        let rundown = try show.writeRundown("""
            episode: 1
            title: First
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 4
            items:
              - segment: audio/talk.wav
                title: Talk
            """)
        let mp3 = show.root.appendingPathComponent("ep.mp3")
        #expect(try TestSupport.regie(["render", rundown.path, "-o", mp3.path]).status == 0)
        let folder = show.root.appendingPathComponent("public")
        let feed = folder.appendingPathComponent("feed.xml")
        #expect(try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path]).status == 0)
        let first = try Self.readFeed(feed)
        let guid = try #require(first.guid)
        let before = try Data(contentsOf: feed)

        let moved = try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path,
                                           "--base-url", "http://127.0.0.1:9/elsewhere/"])
        #expect(moved.status == 1)
        #expect(moved.stderr.contains("holds the podcast served at https://radio.example.org/podcasts/test/"), "\(moved.stderr)")
        #expect(moved.stderr.contains("podcast:guid"))
        #expect(try Data(contentsOf: feed) == before, "the feed is as it was")

        // Publishing again at the same address keeps the guid; a staging folder gets its own.
        #expect(try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path]).status == 0)
        #expect(try Self.readFeed(feed).guid == guid)
        let staging = show.root.appendingPathComponent("staging")
        #expect(try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", staging.path,
                                       "--base-url", "http://127.0.0.1:9/staging/"]).status == 0)
        let other = try Self.readFeed(staging.appendingPathComponent("feed.xml")).guid
        #expect(other != nil && other != guid)
    }

    @Test("render --publish refuses a rundown with live items (their podcast is the desk's return), unless asked to publish the placeholders")
    func renderPublishRefusesLiveItems() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        try Self.writeTalk(show)
        let rundown = try show.writeRundown("""
            episode: 2
            title: With a live item
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 7
            items:
              - segment: audio/talk.wav
                title: Talk
              - live: Phone-in
                planned: 3
            """)
        let folder = show.root.appendingPathComponent("public")
        let mp3 = show.root.appendingPathComponent("ep.mp3")
        let refused = try TestSupport.regie(["render", rundown.path, "-o", mp3.path, "--publish", "--to", folder.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("1 live item"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--publish-placeholders"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("feed.xml").path))
        #expect(!FileManager.default.fileExists(atPath: mp3.path), "refused before rendering")

        let placeholder = try TestSupport.regie(["render", rundown.path, "-o", mp3.path, "--publish", "--to", folder.path,
                                                 "--publish-placeholders"])
        #expect(placeholder.status == 0, "\(placeholder.stderr)")
        #expect(try Self.readFeed(folder.appendingPathComponent("feed.xml")).entries == 1)
    }

    @Test("regie serve warns at start about a feed whose enclosures point elsewhere, and not about one that points at it")
    func serveWarnsAboutFeedsPointingElsewhere() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        try Self.writeTalk(show)
        let rundown = try show.writeRundown("""
            episode: 1
            title: First
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 4
            items:
              - segment: audio/talk.wav
                title: Talk
            """)
        let mp3 = show.root.appendingPathComponent("ep.mp3")
        #expect(try TestSupport.regie(["render", rundown.path, "-o", mp3.path]).status == 0)
        let root = show.root.appendingPathComponent("public")
        let port = try TestSupport.freePort()
        // One feed for the show's real address, one for this server.
        #expect(try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", root.appendingPathComponent("away").path]).status == 0)
        #expect(try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", root.appendingPathComponent("here").path,
                                       "--base-url", "http://127.0.0.1:\(port)/here/"]).status == 0)
        let server = try RunningProgram(TestSupport.regie.path, ["serve", root.path, "--port", "\(port)"])
        defer { if server.isRunning { server.send(SIGTERM) } }
        #expect(server.waitFor("Serving \(root.path) at http://127.0.0.1:\(port)/", timeout: 30), "\(server.stderr)")
        server.send(SIGTERM)
        #expect(server.wait(timeout: 30).status == 0)
        let said = server.stderr
        #expect(said.contains("regie: warning: away/feed.xml sends podcast apps to https://radio.example.org/podcasts/test/"), "\(said)")
        #expect(said.contains("not to this server (http://127.0.0.1:\(port)/away/)"))
        #expect(!said.contains("here/feed.xml"), "the feed served where it says is not warned about")
    }
}
