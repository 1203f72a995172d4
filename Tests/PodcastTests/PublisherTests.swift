import Foundation
@testable import Podcast
import Testing
import TestSupport

/// Parses a feed file with Python's xml.etree and returns, per item, a dictionary of fields.
private func itemsInFeed(_ feed: URL) throws -> [[String: String]] {
    let r = try python("""
        import sys, json, xml.etree.ElementTree as ET
        ns = {'itunes': 'http://www.itunes.com/dtds/podcast-1.0.dtd', 'podcast': 'https://podcastindex.org/namespace/1.0'}
        root = ET.parse(sys.argv[1]).getroot()
        out = []
        for it in root.iter('item'):
            enc = it.find('enclosure')
            ch = it.find('podcast:chapters', ns)
            out.append({'title': it.findtext('title'), 'guid': it.findtext('guid'),
                        'url': enc.get('url'), 'length': enc.get('length'), 'type': enc.get('type'),
                        'episode': it.findtext('itunes:episode', namespaces=ns),
                        'chapters': ch.get('url') if ch is not None else ''})
        print(json.dumps(out))
        """, [feed.path])
    return try JSONDecoder().decode([[String: String]].self, from: r.stdoutData)
}

private func fileSize(_ url: URL) throws -> Int {
    try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
}

@Suite struct PublisherTests {
    let tmp: TempDir
    let art: URL
    let mp3a: URL
    let mp3b: URL
    let out: URL
    let channel: PodcastChannel

    init() throws {
        tmp = try TempDir("regie-publisher")
        art = tmp.url.appendingPathComponent("cover.jpeg")  // a PNG whatever the name says
        mp3a = tmp.url.appendingPathComponent("a.mp3")
        mp3b = tmp.url.appendingPathComponent("b.mp3")
        let png = tmp.url.appendingPathComponent("cover.png")
        try Media.png(png, size: 64)
        try FileManager.default.moveItem(at: png, to: art)
        try Media.mp3(mp3a, seconds: 2, frequency: 440)
        try Media.mp3(mp3b, seconds: 3, frequency: 660)
        out = tmp.url.appendingPathComponent("public/campus-magazine")
        channel = testChannel(baseURL: "https://radio.example.org/podcasts/campus-magazine", artwork: art)
    }

    @Test func publishesTheFolderLayout() throws {
        defer { tmp.cleanup() }
        let p = Publisher()
        let e12 = try p.publish(channel: channel, episode: testEpisode(12, title: "Winter on campus", mp3: mp3a), to: out)
        try p.publish(channel: channel, episode: testEpisode(13, title: "Spring", mp3: mp3b, day: 30), to: out)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        #expect(names == ["feed.xml", "index.html", "artwork.png", "episodes.json", ".publish.lock",
                          "012-winter-on-campus.mp3", "012-winter-on-campus.chapters.json",
                          "013-spring.mp3", "013-spring.chapters.json"])
        #expect(try Data(contentsOf: out.appendingPathComponent("012-winter-on-campus.mp3")) == Data(contentsOf: mp3a))
        #expect(e12.guid == Publisher.defaultGUID(channel: channel, number: 12))

        let items = try itemsInFeed(out.appendingPathComponent("feed.xml"))
        #expect(items.map { $0["title"] } == ["Spring", "Winter on campus"])  // newest first
        let winter = items[1]
        #expect(winter["url"] == "https://radio.example.org/podcasts/campus-magazine/012-winter-on-campus.mp3")
        #expect(winter["length"] == String(try fileSize(mp3a)))
        #expect(winter["type"] == "audio/mpeg")
        #expect(winter["episode"] == "12")
        #expect(winter["guid"] == e12.guid)
        #expect(winter["chapters"] == "https://radio.example.org/podcasts/campus-magazine/012-winter-on-campus.chapters.json")
        // The state file lists both, with their GUIDs, and no local paths (it is served too).
        #expect(try p.episodes(in: out).map(\.number) == [13, 12])
        let state = try String(contentsOf: out.appendingPathComponent("episodes.json"), encoding: .utf8)
        #expect(!state.contains(tmp.url.path))
        #expect(state.contains(e12.guid))
    }

    @Test func republishKeepsGUIDAndRemovesStaleFiles() throws {
        defer { tmp.cleanup() }
        let p = Publisher()
        let first = try p.publish(channel: channel, episode: testEpisode(12, title: "Winter", mp3: mp3a), to: out)
        let other = try p.publish(channel: channel, episode: {
            var e = testEpisode(13, title: "Spring", mp3: mp3b, day: 30)
            e.guid = "my-own-guid-13"
            return e
        }(), to: out)
        #expect(other.guid == "my-own-guid-13")

        // New title, new audio: the file name changes, the GUID does not.
        var again = testEpisode(12, title: "Winter on campus (fixed)", mp3: mp3b)
        again.guid = "ignored-because-12-already-has-one"
        let second = try p.publish(channel: channel, episode: again, to: out)
        #expect(second.guid == first.guid)
        #expect(second.mp3File == "012-winter-on-campus-fixed.mp3")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("012-winter.mp3").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("012-winter.chapters.json").path))

        let items = try itemsInFeed(out.appendingPathComponent("feed.xml"))
        #expect(items.count == 2)
        #expect(Dictionary(uniqueKeysWithValues: items.map { ($0["episode"]!, $0["guid"]!) })
                == ["12": first.guid, "13": "my-own-guid-13"])
        #expect(items.first { $0["episode"] == "12" }?["length"] == String(try fileSize(mp3b)))
        // Nothing half-written left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.hasPrefix(".tmp-") })
    }

    /// Re-publishing the same audio (a new description, a corrected title that keeps the slug)
    /// leaves the episode's file as it was: same inode, same modification time, so the server's
    /// ETag holds (apps do not download it again) and a mirror sends nothing for it. Audio that
    /// changed, even to the same size, replaces it.
    @Test func republishingTheSameAudioLeavesItsFileUntouched() throws {
        defer { tmp.cleanup() }
        let p = Publisher()
        let published = try p.publish(channel: channel, episode: testEpisode(12, title: "Winter", mp3: mp3a), to: out)
        let file = out.appendingPathComponent(published.mp3File).path
        func identity() throws -> (inode: UInt64, modified: Date) {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            return ((attributes[.systemFileNumber] as! NSNumber).uint64Value, attributes[.modificationDate] as! Date)
        }
        let before = try identity()
        Thread.sleep(forTimeInterval: 0.05)
        var again = testEpisode(12, title: "Winter", mp3: mp3a)
        again.description = .plain("A new description.")
        try p.publish(channel: channel, episode: again, to: out)
        let after = try identity()
        #expect(after.inode == before.inode && after.modified == before.modified)
        #expect(try String(contentsOf: out.appendingPathComponent("feed.xml"), encoding: .utf8).contains("A new description."))

        // The same size, one byte changed: replaced.
        var bytes = try Data(contentsOf: mp3a)
        bytes[bytes.count - 1] ^= 0xFF
        let changed = tmp.url.appendingPathComponent("changed.mp3")
        try bytes.write(to: changed)
        try p.publish(channel: channel, episode: testEpisode(12, title: "Winter", mp3: changed), to: out)
        #expect(try identity().inode != before.inode)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes)
    }

    @Test func unpublishByNumberAndSlug() throws {
        defer { tmp.cleanup() }
        let p = Publisher()
        let guids = try [1, 2, 3].map { n in
            try p.publish(channel: channel, episode: testEpisode(n, title: "Part \(n)", mp3: mp3a, day: n), to: out).guid
        }
        try p.unpublish(number: 2, from: out)
        #expect(try itemsInFeed(out.appendingPathComponent("feed.xml")).map { $0["guid"]! } == [guids[2], guids[0]])
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("002-part-2.mp3").path))
        try p.unpublish(slug: "003-part-3", from: out)
        #expect(try itemsInFeed(out.appendingPathComponent("feed.xml")).map { $0["guid"]! } == [guids[0]])
        #expect(throws: PodcastError.notFound("2")) { try p.unpublish(number: 2, from: out) }
        try p.unpublish(number: 1, from: out)
        #expect(try itemsInFeed(out.appendingPathComponent("feed.xml")).isEmpty)
        let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(page.contains("No episodes yet."))
    }

    @Test func rejectsWhatAppleWouldReject() throws {
        defer { tmp.cleanup() }
        let p = Publisher()
        let ep = testEpisode(1, title: "One", mp3: mp3a)
        var c = channel
        c.category = "Technology/Gadgets"
        #expect(throws: PodcastError.self) { try p.publish(channel: c, episode: ep, to: out) }
        c = channel
        c.artwork = mp3a
        #expect(throws: PodcastError.invalid("artwork", "\(mp3a.path) is neither PNG nor JPEG")) {
            try p.publish(channel: c, episode: ep, to: out)
        }
        c = channel
        c.ownerEmail = "nobody"
        #expect(throws: PodcastError.self) { try p.publish(channel: c, episode: ep, to: out) }
        c = channel
        c.baseURL = "ftp://x/"
        #expect(throws: PodcastError.self) { try p.publish(channel: c, episode: ep, to: out) }
        var bad = ep
        bad.number = 0
        #expect(throws: PodcastError.self) { try p.publish(channel: channel, episode: bad, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("feed.xml").path))
    }

    @Test func maliciousMetadataGivesAWellFormedFeedAndAnInertPage() throws {
        defer { tmp.cleanup() }
        let evil = "Evil ]]> <script>alert('t')</script> & \u{0}\u{7}\u{1B}[31m \"quotes\" ]]]]><![CDATA["
        let long = String(repeating: "Lorem ipsum <b>dolor</b> ]]> sit amet & ", count: 260)  // > 10,000 chars
        var c = channel
        c.title = evil
        c.description = evil
        c.author = evil
        let p = Publisher()
        try p.publish(channel: c, episode: testEpisode(1, title: evil, mp3: mp3a, description: .html(long + evil),
                                                      chapters: [PodcastChapter(startTime: 0, title: evil)]), to: out)
        try p.publish(channel: c, episode: testEpisode(2, title: evil + "2", mp3: mp3b, description: .plain(long + evil),
                                                      day: 1), to: out)
        let feed = out.appendingPathComponent("feed.xml")
        let r = try python("""
            import sys, xml.etree.ElementTree as ET, feedparser
            root = ET.parse(sys.argv[1]).getroot()
            d = feedparser.parse(sys.argv[1])
            print(int(d.bozo), len(d.entries), len(d.entries[1].content[0].value) >= 10000)
            print(d.entries[0].title)
            # feedparser sanitizes by itself: look at the raw HTML the feed hands to apps.
            html = [e.text for e in root.iter('{http://purl.org/rss/1.0/modules/content/}encoded')]
            html += [i.findtext('description') for i in root.iter('item')]
            print(any('<script' in h.lower() or 'onerror' in h.lower() for h in html))
            """, [feed.path])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "0 2 True")
        #expect(lines.dropFirst().first == "Evil ]]> <script>alert('t')</script> & [31m \"quotes\" ]]]]><![CDATA[2")
        #expect(lines.dropFirst(2).first == "False")

        // The page: no script element other than ours, no event-handler attributes, data shown as text.
        let page = try runChecked("python3", ["-c", """
            import sys
            from html.parser import HTMLParser
            class P(HTMLParser):
                def __init__(s):
                    super().__init__(); s.scripts = []; s.inscript = False; s.handlers = 0; s.titles = []
                def handle_starttag(s, tag, attrs):
                    if tag == 'script': s.scripts.append(''); s.inscript = True
                    s.handlers += sum(1 for k, v in attrs if k.startswith('on'))
                    s.tag = tag
                def handle_endtag(s, tag):
                    if tag == 'script': s.inscript = False
                def handle_data(s, data):
                    if s.inscript: s.scripts[-1] += data
                    elif getattr(s, 'tag', '') == 'h2': s.titles.append(data)
            p = P(); p.feed(sys.stdin.read())
            print(len(p.scripts), p.handlers, 'alert' in ''.join(p.scripts), p.titles[0])
            """], input: Data(contentsOf: out.appendingPathComponent("index.html")))
        #expect(page.stdout.trimmingCharacters(in: .newlines)
                == "1 0 False Evil ]]> <script>alert('t')</script> & [31m \"quotes\" ]]]]><![CDATA[2")
    }

    /// Not a pass/fail timing test: prints how long regenerating a 1,000-episode feed takes.
    @Test func measureRegeneratingAThousandEpisodes() throws {
        defer { tmp.cleanup() }
        let p = Publisher()
        try p.publish(channel: channel, episode: testEpisode(1, title: "Seed", mp3: mp3a), to: out)
        var state = try #require(try PublishedState.load(from: out))
        let seed = state.episodes[0]
        let description = String(repeating: "An episode with interviews, music and news from the campus. ", count: 30)
        state.episodes = (1...1000).map { n in
            var e = seed
            e.number = n
            e.title = "Episode \(n): Winter on campus & more"
            e.slug = Slug.episode(number: n, title: e.title)
            e.mp3File = e.slug + ".mp3"
            e.chaptersFile = e.slug + ".chapters.json"
            e.description = n.isMultiple(of: 2) ? .html("<p>\(description)</p>") : .plain(description)
            e.guid = Publisher.defaultGUID(channel: channel, number: n)
            e.chapters = (0..<8).map { PodcastChapter(startTime: Double($0) * 300, title: "Chapter \($0)") }
            e.pubDate = Date(timeIntervalSince1970: 1_600_000_000 + Double(n) * 604_800)
            return e
        }
        state.episodes = Publisher.ordered(state.episodes)
        try Publisher.write(Array(try state.encoded()), to: out, name: PublishedState.fileName)

        let clock = ContinuousClock()
        var feedBytes = 0
        let feedTime = clock.measure { feedBytes = Publisher.feed(state, lastBuildDate: Date()).count }
        let pageTime = clock.measure { _ = Publisher.page(state) }
        let total = try clock.measure { try p.regenerate(in: out) }
        print("[measure] 1,000-episode feed.xml (\(feedBytes / 1024) KiB) rendered in \(feedTime); index.html in \(pageTime); regenerate(in:) incl. reading episodes.json and 3 atomic fsynced writes: \(total)")

        let items = try itemsInFeed(out.appendingPathComponent("feed.xml"))
        #expect(items.count == 1000)
        #expect(Set(items.map { $0["guid"]! }).count == 1000)
    }
}
