import Foundation
import Testing
import TestSupport

/// `regie play` streaming to Debian's icecast2 (started by the test on loopback), as the
/// technician runs it: the station's `streams:` with a password file, the feed announcing the
/// show before, during and after air, a wrong password, and bad stream options.
@Suite(.serialized) struct StreamCommandTests {
    /// A show airing now (so that it is the show, not a rehearsal) with one 10-second segment.
    static func show(station: String, passwordFile: String? = nil) throws -> (show: TestShow, rundown: URL) {
        let show = try TestShow()
        let tone = (0..<(44100 * 10)).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 44100)) }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: 44100)
        try station.write(to: show.root.appendingPathComponent("station.yaml"), atomically: true, encoding: .utf8)
        if let passwordFile { try passwordFile.write(to: show.root.appendingPathComponent("icecast.pass"), atomically: true, encoding: .utf8) }
        let air = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withInternetDateTime])
        let rundown = try show.writeRundown("""
            episode: 6
            title: Streamed live
            description: On air now.
            air: \(air)
            slot: 10
            items:
              - segment: audio/talk.wav
                title: Talk of the town
            """, name: String(air.prefix(10)) + ".yaml")
        return (show, rundown)
    }

    static func liveStatus(_ feed: URL) throws -> String? {
        let result = try python("""
            import sys, xml.etree.ElementTree as ET, feedparser
            assert not feedparser.parse(sys.argv[1]).bozo
            live = ET.parse(sys.argv[1]).getroot().find('channel/{https://podcastindex.org/namespace/1.0}liveItem')
            print(live.get('status') + ' ' + live.find('enclosure').get('url') if live is not None else 'none')
            """, [feed.path])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("announced pending, streamed and live during the show with the item's title, then the episode")
    func aShowAnnouncedStreamedAndPublished() throws {
        let icecast = try IcecastServer()
        let (show, rundown) = try Self.show(station: """
            publish: public
            streams:
              - url: \(icecast.sourceURL("/campus.mp3"))
                password_file: icecast.pass
                name: Campus Radio live
                genre: Talk
            """, passwordFile: icecast.sourcePassword + "\n")
        let feed = show.root.appendingPathComponent("public/test-show/feed.xml")
        let announced = try TestSupport.regie(["publish", rundown.path], in: show.root)
        #expect(announced.status == 0, "\(announced.stderr)")
        #expect(try Self.liveStatus(feed) == "pending \(icecast.listenURL("/campus.mp3"))")

        let play = try RunningProgram(TestSupport.regie.path, ["play", "--auto", "--now", rundown.path, "--device", "null",
                                                               "--record", "program"], in: show.root)
        var during: String?, title: String?
        let deadline = Date().addingTimeInterval(30)
        while play.isRunning && Date() < deadline && (during != "live \(icecast.listenURL("/campus.mp3"))" || title == nil) {
            during = try? Self.liveStatus(feed)
            title = icecast.sources()["/campus.mp3"]?.title
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(during == "live \(icecast.listenURL("/campus.mp3"))")
        #expect(title == "Talk of the town", "\(icecast.sources())")
        let page = try String(contentsOf: show.root.appendingPathComponent("public/test-show/index.html"), encoding: .utf8)
        #expect(page.contains("On air now: Streamed live"))
        let played = play.result(timeout: 120)
        #expect(played.status == 0, "\(played.stdout)\n\(played.stderr)")
        #expect(played.stdout.contains("streamed to \(icecast.sourceURL("/campus.mp3")): "), "\(played.stdout)")
        #expect(try Self.liveStatus(feed) == "none", "the episode replaced the announcement")
        #expect(try String(contentsOf: feed, encoding: .utf8).contains("<title>Streamed live</title>"))
        // The password never shows.
        #expect(!played.stdout.contains(icecast.sourcePassword) && !played.stderr.contains(icecast.sourcePassword))
    }

    @Test("a wrong password: one clear alarm, the show and its recording untouched")
    func aWrongPasswordIsAnAlarmNotACrash() throws {
        let icecast = try IcecastServer()
        let (show, rundown) = try Self.show(station: "publish: public\n")
        let played = try run(TestSupport.regie.path, ["play", "--auto", "--now", rundown.path, "--device", "null",
                                                     "--record", "program", "--no-publish", "--stream", icecast.sourceURL("/x.mp3")],
                             in: show.root, environment: ["REGIE_ICECAST_PASSWORD": "wrong"])
        #expect(played.status == 0, "\(played.stdout)\n\(played.stderr)")
        let said = played.stderr.components(separatedBy: "\n").filter { $0.contains("Icecast refused the login") }
        #expect(said.count == 1, "said once: \(played.stderr)")
        #expect(said.first?.contains("check the password") == true)
        #expect(played.stdout.contains("DOWN at the end"), "\(played.stdout)")
        #expect(played.stdout.contains("recorded "), "\(played.stdout)")
    }

    @Test("bad stream options are refused before anything plays")
    func badStreamOptions() throws {
        let (show, rundown) = try Self.show(station: "publish: public\n")
        for (arguments, environment, why) in [
            (["--stream", "icecast://source:pw@127.0.0.1:8000/x.mp3"], ["REGIE_ICECAST_PASSWORD": "p"], "a password does not go in the address"),
            (["--stream", "http://127.0.0.1:8000/x.mp3"], ["REGIE_ICECAST_PASSWORD": "p"], "it must start with icecast://"),
            (["--stream", "icecast://127.0.0.1:8000/x.mp3"], ["REGIE_ICECAST_PASSWORD": ""], "REGIE_ICECAST_PASSWORD"),
        ] {
            let played = try run(TestSupport.regie.path, ["play", "--auto", "--now", rundown.path, "--device", "null"] + arguments,
                                 in: show.root, environment: environment)
            #expect(played.status == 2, "\(arguments): \(played.stderr)")
            #expect(played.stderr.contains(why), "\(arguments): \(played.stderr)")
            #expect(!played.stdout.contains("Played"), "nothing played")
            #expect(!played.stderr.contains(":pw@"), "the password repeated")
        }
    }
}
