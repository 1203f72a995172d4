import Foundation
import Podcast
import Server
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FeedTests {
    @Test func feedMeetsApplesRequirements() async throws {
        try await withShow { show in
            let r = try await py("""
                import sys, urllib.request, email.utils, xml.etree.ElementTree as ET
                IT = '{http://www.itunes.com/dtds/podcast-1.0.dtd}'
                APPLE = {  # Apple Podcasts categories (parent: children), as Apple publishes them
                  'Arts': {'Books','Design','Fashion & Beauty','Food','Performing Arts','Visual Arts'},
                  'Society & Culture': {'Documentary','Personal Journals','Philosophy','Places & Travel','Relationships'},
                  'Technology': set(), 'News': {'Daily News','Politics','Tech News','Business News','Entertainment News','News Commentary','Sports News'},
                }
                with urllib.request.urlopen(sys.argv[1]) as f:
                    assert f.headers['Content-Type'].startswith('application/rss+xml'), f.headers['Content-Type']
                    root = ET.fromstring(f.read())
                ch = root.find('channel')
                problems = []
                for tag in ['title', 'link', 'description', 'language', IT + 'author', IT + 'explicit', IT + 'image',
                            IT + 'category', IT + 'owner']:
                    if ch.find(tag) is None: problems.append('channel lacks ' + tag)
                if ch.find(IT + 'owner/' + IT + 'email') is None: problems.append('no owner email')
                if ch.findtext(IT + 'explicit') not in ('true', 'false'): problems.append('explicit')
                cat = ch.find(IT + 'category')
                sub = cat.find(IT + 'category')
                if cat.get('text') not in APPLE or (sub is not None and sub.get('text') not in APPLE[cat.get('text')]):
                    problems.append('category %s' % cat.get('text'))
                email.utils.parsedate_to_datetime(ch.findtext('lastBuildDate'))
                art = ch.find(IT + 'image').get('href')
                req = urllib.request.Request(art, method='HEAD')
                with urllib.request.urlopen(req) as a:
                    if a.status != 200 or not a.headers['Content-Type'].startswith('image/'): problems.append('artwork')
                for it in root.iter('item'):
                    for tag in ['title', 'enclosure', 'guid', 'pubDate', IT + 'duration', IT + 'episodeType']:
                        if it.find(tag) is None: problems.append('item lacks ' + tag)
                    d = email.utils.parsedate_to_datetime(it.findtext('pubDate'))
                    if d.tzinfo is None: problems.append('pubDate without zone')
                    if not it.findtext(IT + 'duration').isdigit(): problems.append('duration')
                    enc = it.find('enclosure')
                    if enc.get('type') != 'audio/mpeg': problems.append('enclosure type')
                    with urllib.request.urlopen(urllib.request.Request(enc.get('url'), method='HEAD')) as e:
                        if e.headers['Content-Length'] != enc.get('length'): problems.append('enclosure length')
                print(problems, cat.get('text'), sub.get('text'))
                """, [show.feedURL])
            #expect(r.stdout == "[] Society & Culture Documentary\n")
            // The podcast:guid is the UUIDv5 Python computes from the feed URL without its scheme.
            let g = try await py("""
                import sys, uuid, urllib.request, xml.etree.ElementTree as ET
                root = ET.fromstring(urllib.request.urlopen(sys.argv[1]).read())
                got = root.find('channel/{https://podcastindex.org/namespace/1.0}guid').text
                want = uuid.uuid5(uuid.UUID('ead4c236-bf58-58c6-a2c6-a6b28d128cb6'), sys.argv[1].split('://', 1)[1].rstrip('/'))
                print(got == str(want))
                """, [show.feedURL])
            #expect(g.stdout == "True\n")
        }
    }

    @Test func maliciousMetadataIsServedInert() async throws {
        try await withShow { show in
            let evil = "]]> <script>alert(1)</script>\u{1}\u{1B} & \"x\" <img src=x onerror=alert(2)>"
            var channel = show.channel
            channel.title = "Show " + evil
            let long = String(repeating: "<p>Ten thousand characters ]]> & more</p>", count: 250) + evil
            try Publisher().publish(channel: channel, episode: testEpisode(14, title: "Ep " + evil, mp3: show.mp3s[0],
                                                                          description: .html(long), day: 60,
                                                                          chapters: [PodcastChapter(startTime: 0, title: evil)]),
                                    to: show.showDir)
            let r = try await py("""
                import sys, urllib.request, feedparser, xml.etree.ElementTree as ET
                from html.parser import HTMLParser
                raw = urllib.request.urlopen(sys.argv[1] + 'feed.xml').read()
                ET.fromstring(raw)
                d = feedparser.parse(raw)
                print(int(d.bozo), len(d.entries), d.entries[0].title == 'Ep ]]> <script>alert(1)</script> & "x" <img src=x onerror=alert(2)>')
                class P(HTMLParser):
                    scripts = 0; handlers = 0; imgs = []
                    def handle_starttag(s, tag, attrs):
                        if tag == 'script': s.scripts += 1
                        if tag == 'img': s.imgs.append(dict(attrs).get('src'))
                        s.handlers += sum(1 for k, v in attrs if k.startswith('on'))
                p = P(); p.feed(urllib.request.urlopen(sys.argv[1]).read().decode())
                print(p.scripts, p.handlers, sorted(set(p.imgs)))
                """, [show.showURL])
            #expect(r.stdout == "0 3 True\n1 0 ['artwork.png']\n")
        }
    }

    @Test func republishKeepsGUIDsAndUnpublishKeepsTheFeedValid() async throws {
        try await withShow { show in
            let guids = """
                import sys, feedparser
                d = feedparser.parse(sys.argv[1])
                assert d.bozo == 0, d.bozo_exception
                print(' '.join('%s=%s' % (e.itunes_episode, e.id) for e in d.entries))
                """
            let before = try await py(guids, [show.feedURL]).stdout
            var again = testEpisode(12, title: "Winter on campus, remastered", mp3: show.mp3s[1])
            again.guid = "would-be-new"
            try Publisher().publish(channel: show.channel, episode: again, to: show.showDir)
            let after = try await py(guids, [show.feedURL]).stdout
            #expect(Set(after.split(whereSeparator: \.isWhitespace)) == Set(before.split(whereSeparator: \.isWhitespace)))
            let enclosure = try await curl(show.showURL + "012-winter-on-campus-remastered.mp3")
            let remastered = try Data(contentsOf: show.mp3s[1])
            #expect(enclosure.body == remastered)
            #expect(try await curl(show.showURL + "012-winter-on-campus.mp3").status == 404)

            try Publisher().unpublish(number: 13, from: show.showDir)
            let left = try await py(guids, [show.feedURL]).stdout
            #expect(left == "12=\(show.episodes[0].guid)\n")
            #expect(try await curl(show.showURL + show.episodes[1].mp3File).status == 404)
        }
    }
}

extension FeedTests {
    /// A listener downloading while the episode is re-published gets one whole file, old or new,
    /// never a mix: the MP3 is renamed into place and the server streams from the descriptor it
    /// opened. (Which of the two it gets depends on timing; either is right.)
    @Test func downloadDuringRepublishIsNeverTorn() async throws {
        try await withShow { show in
            let long = show.tmp.url.appendingPathComponent("long.mp3")
            let other = show.tmp.url.appendingPathComponent("other.mp3")
            try Media.mp3(long, seconds: 20, frequency: 330)
            try Media.mp3(other, seconds: 25, frequency: 550)
            let p = Publisher()
            let ep = try p.publish(channel: show.channel, episode: testEpisode(20, title: "Long", mp3: long), to: show.showDir)
            let target = show.tmp.url.appendingPathComponent("download.mp3")
            async let download = sh("curl", ["-sS", "--limit-rate", "100k", "-o", target.path, show.showURL + ep.mp3File])
            var feeds: [Data] = []
            for i in 0..<5 {
                try p.publish(channel: show.channel, episode: testEpisode(20, title: "Long", mp3: i.isMultiple(of: 2) ? other : long),
                              to: show.showDir)
                feeds.append(try await curl(show.feedURL).body)
            }
            _ = try await download
            let got = try Data(contentsOf: target)
            #expect(try got == Data(contentsOf: long) || got == Data(contentsOf: other))
            // Every feed fetched meanwhile was complete.
            for f in feeds { #expect(String(decoding: f, as: UTF8.self).hasSuffix("</rss>\n")) }
        }
    }
}

/// SIGTERM stops `run()`: the service group's graceful shutdown, as a deployed `regie serve` gets it.
@Suite(.serialized) struct ShutdownTests {
    @Test func sigtermShutsTheServerDownCleanly() async throws {
        let tmp = try TempDir("regie-shutdown")
        defer { tmp.cleanup() }
        try "hello\n".write(to: tmp.url.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = PublishedFolderServer(root: tmp.url, port: 0, logger: LogCapture().logger(),
                                           onServerRunning: { continuation.yield($0) })
        let task = Task { try await server.run() }
        var it = ports.makeAsyncIterator()
        let port = try #require(await it.next())
        let ok = try await curl("http://127.0.0.1:\(port)/")
        #expect(ok.status == 200 && ok.body == Data("hello\n".utf8))
        kill(getpid(), SIGTERM)
        try await task.value  // returns (does not throw) once shut down
        let refused = try await sh("curl", ["-sS", "http://127.0.0.1:\(port)/"], check: false)
        #expect(refused.status == 7)  // curl: failed to connect
    }
}
