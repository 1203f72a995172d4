import Foundation
@testable import Podcast
import Testing
import TestSupport

/// The live show in the feed (Podcasting 2.0 `podcast:liveItem`) through its life: pending,
/// live, ended, then replaced by the episode's `<item>`; read at each step by Python's XML
/// parser, and by feedparser and podcastparser (which do not know the tag and must still parse).
@Suite struct LiveItemTests {
    static let read = """
        import sys, json, xml.etree.ElementTree as ET, feedparser, podcastparser
        ns = {'podcast': 'https://podcastindex.org/namespace/1.0'}
        root = ET.parse(sys.argv[1]).getroot()
        live = root.find('channel/podcast:liveItem', ns)
        out = {'items': [i.findtext('title') for i in root.iter('item')]}
        if live is not None:
            enc = live.find('enclosure')
            link = live.find('podcast:contentLink', ns)
            out['live'] = {'status': live.get('status'), 'start': live.get('start'), 'end': live.get('end'),
                           'title': live.findtext('title'), 'guid': live.findtext('guid'),
                           'url': enc.get('url'), 'type': enc.get('type'), 'link': link.get('href')}
        d = feedparser.parse(sys.argv[1])
        out['feedparser'] = {'bozo': bool(d.bozo), 'entries': [e.title for e in d.entries]}
        with open(sys.argv[1], 'rb') as f:
            p = podcastparser.parse('https://radio.example.org/podcasts/campus-magazine/feed.xml', f)
        out['podcastparser'] = [e['title'] for e in p['episodes']]
        print(json.dumps(out))
        """

    static func feed(_ folder: URL) throws -> [String: Any] {
        let result = try python(read, [folder.appendingPathComponent("feed.xml").path])
        return try JSONSerialization.jsonObject(with: result.stdoutData) as! [String: Any]
    }

    @Test func pendingLiveEndedThenTheEpisode() throws {
        let tmp = try TempDir("regie-live-item")
        defer { tmp.cleanup() }
        let art = tmp.url.appendingPathComponent("cover.png")
        try Media.png(art, size: 64)
        let mp3 = tmp.url.appendingPathComponent("ep.mp3")
        try Media.mp3(mp3, seconds: 2, frequency: 440)
        let out = tmp.url.appendingPathComponent("public/campus-magazine")
        let channel = testChannel(baseURL: "https://radio.example.org/podcasts/campus-magazine", artwork: art)
        let publisher = Publisher()
        try publisher.publish(channel: channel, episode: testEpisode(11, title: "Autumn", mp3: mp3), to: out)
        // 2026-12-03 18:00 to 19:00, Paris time.
        var live = PodcastLiveItem(status: .pending, number: 12, title: "Winter on campus", start: 1_796_317_200,
                                   end: 1_796_320_800, utcOffsetSeconds: 3600,
                                   streamURL: "https://stream.campus-radio.org/live.mp3",
                                   guid: Publisher.liveGUID(channel: channel, number: 12))
        for status in [PodcastLiveItem.Status.pending, .live, .ended] {
            live.status = status
            try publisher.announceLive(live, channel: channel, in: out)
            let feed = try Self.feed(out)
            let item = try #require(feed["live"] as? [String: String], "\(status): \(feed)")
            #expect(item["status"] == status.rawValue)
            #expect(item["start"] == "2026-12-03T18:00:00+01:00" && item["end"] == "2026-12-03T19:00:00+01:00")
            #expect(item["title"] == "Winter on campus" && item["guid"] == live.guid)
            #expect(item["url"] == "https://stream.campus-radio.org/live.mp3" && item["type"] == "audio/mpeg")
            #expect(item["link"] == "https://radio.example.org/podcasts/campus-magazine/")
            // Parsers that do not know the tag still read the feed, and see only the episodes.
            let parsed = try #require(feed["feedparser"] as? [String: Any])
            #expect(parsed["bozo"] as? Bool == false && parsed["entries"] as? [String] == ["Autumn"], "\(parsed)")
            #expect(feed["podcastparser"] as? [String] == ["Autumn"])
            // The page: a player while live (the stream's origin allowed), a date while pending.
            let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
            switch status {
            case .live:
                #expect(page.contains("On air now: Winter on campus"))
                #expect(page.contains("<audio controls preload=\"none\" src=\"https://stream.campus-radio.org/live.mp3\">"))
                #expect(page.contains("media-src 'self' https://stream.campus-radio.org"))
            case .pending:
                #expect(page.contains("Live on ") && page.contains("Winter on campus") && !page.contains("On air now"))
                #expect(!page.contains("media-src 'self' https://stream"))
            case .ended:
                #expect(!page.contains("id=\"live\""))
            }
        }
        // The episode published: the live item gives way to it.
        try publisher.publish(channel: channel, episode: testEpisode(12, title: "Winter on campus", mp3: mp3, day: 30), to: out)
        let after = try Self.feed(out)
        #expect(after["live"] == nil)
        #expect(after["items"] as? [String] == ["Winter on campus", "Autumn"])
        #expect(after["podcastparser"] as? [String] == ["Winter on campus", "Autumn"])
    }
}
