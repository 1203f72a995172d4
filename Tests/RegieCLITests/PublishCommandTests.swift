import Foundation
import Testing
import TestSupport

/// `regie render --publish`, `regie publish`, `regie serve` and `regie unpublish` end to end: a
/// real server on loopback, read by feedparser and curl as a listener's app would.
@Suite(.serialized) struct PublishCommandTests {
    @Test func aRenderedEpisodeIsPublishedServedAndReadByAPodcastClient() throws {
        let show = try TestShow()
        let tone = (0..<(44100 * 8)).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 44100)) }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: 44100)
        try show.writeAudio("jingles/sting.wav", samples: Array(tone.prefix(44100)), sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 7
            title: "Seven: <tags> & ampersands"
            description: A short episode for the publishing test.
            air: 2026-12-03T18:00:00+01:00
            slot: 17
            items:
              - jingle: sting
              - segment: audio/talk.wav
                title: First part
              - segment: audio/talk.wav
                title: Second part
            """)
        let port = try TestSupport.freePort()
        let published = show.root.appendingPathComponent("public")
        let folder = published.appendingPathComponent("test-show")
        let mp3 = show.root.appendingPathComponent("ep7.mp3")
        let render = try TestSupport.regie(["render", rundown.path, "-o", mp3.path])
        #expect(render.status == 0, "\(render.stderr)")
        let publish = try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path,
                                             "--base-url", "http://127.0.0.1:\(port)/test-show/"])
        #expect(publish.status == 0, "\(publish.stderr)")

        let server = try RunningProgram(TestSupport.regie.path, ["serve", published.path, "--port", "\(port)"])
        defer { if server.isRunning { server.send(SIGTERM) } }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? run("curl", ["-sf", "-o", "/dev/null", "http://127.0.0.1:\(port)/test-show/feed.xml"]).status) == 0
            if !up { usleep(100_000) }
        }
        #expect(up, "the server answers")

        let script = """
        import feedparser, json, sys
        feed = feedparser.parse(sys.argv[1])
        e = feed.entries[0]
        print(json.dumps({'bozo': feed.bozo, 'title': feed.feed.title, 'count': len(feed.entries), 'entry': e.title,
          'guid': e.id, 'href': e.enclosures[0].href, 'length': int(e.enclosures[0].length),
          'type': e.enclosures[0].type, 'duration': e.itunes_duration}))
        """
        let parsed = try run("python3", ["-c", script, "http://127.0.0.1:\(port)/test-show/feed.xml"])
        let object = try #require(try JSONSerialization.jsonObject(with: parsed.stdoutData) as? [String: Any], "\(parsed.stderr)")
        #expect(object["bozo"] as? Int == 0)
        #expect(object["count"] as? Int == 1)
        #expect(object["title"] as? String == "Test Show & Friends")
        #expect(object["entry"] as? String == "Seven: <tags> & ampersands")
        #expect(object["type"] as? String == "audio/mpeg")
        #expect(object["duration"] as? String == "17")
        let href = try #require(object["href"] as? String)
        #expect(href.hasPrefix("http://127.0.0.1:\(port)/test-show/007-"))
        let size = try FileManager.default.attributesOfItem(atPath: mp3.path)[.size] as? NSNumber
        #expect(object["length"] as? Int == size?.intValue)

        // The enclosure downloads byte-identical to what was rendered.
        let downloaded = show.root.appendingPathComponent("downloaded.mp3")
        #expect(try run("curl", ["-sf", "-o", downloaded.path, href]).status == 0)
        #expect(try Data(contentsOf: downloaded) == Data(contentsOf: mp3))

        // Publishing again keeps the GUID; unpublishing empties the feed, which stays valid.
        let guid = object["guid"] as? String
        #expect(try TestSupport.regie(["publish", rundown.path, mp3.path, "--to", folder.path,
                                       "--base-url", "http://127.0.0.1:\(port)/test-show/"]).status == 0)
        let again = try run("python3", ["-c", script, "http://127.0.0.1:\(port)/test-show/feed.xml"])
        let republished = try #require(try JSONSerialization.jsonObject(with: again.stdoutData) as? [String: Any])
        #expect(republished["guid"] as? String == guid)
        #expect(try TestSupport.regie(["unpublish", rundown.path, "--from", folder.path]).status == 0)
        let empty = try run("python3", ["-c", "import feedparser,sys; f=feedparser.parse(sys.argv[1]); print(int(f.bozo), len(f.entries))",
                                                    "http://127.0.0.1:\(port)/test-show/feed.xml"])
        #expect(empty.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0 0")

        // SIGTERM stops the server cleanly, after one access-log line per request.
        server.send(SIGTERM)
        let ended = server.wait()
        #expect(ended.status == 0 && !ended.signalled)
        let lines = server.stderr
        #expect(lines.contains("\"GET /test-show/feed.xml HTTP/1.1\" 200"))
    }
}
