import Foundation
import Podcast
import Testing
import TestSupport

/// Podcast clients and parsers, run for real against the live server.
@Suite struct ClientTests {
    @Test func feedparserAndPodcastparserFindEveryEpisode() async throws {
        try await withShow { show in
            let expected = show.episodes.sorted { $0.number > $1.number }.map { ep in
                [show.showURL + ep.mp3File, String(ep.length), String(Int(ep.duration.rounded())), ep.guid,
                 show.showURL + ep.chaptersFile!].joined(separator: " ")
            }
            let fp = try await py("""
                import sys, feedparser
                d = feedparser.parse(sys.argv[1])
                assert d.bozo == 0, d.bozo_exception
                assert d.status == 200, d.status
                for e in d.entries:
                    enc = e.enclosures[0]
                    print(enc.href, enc.length, e.itunes_duration, e.id, e.podcast_chapters['url'] if 'podcast_chapters' in e else '-')
                """, [show.feedURL])
            // feedparser does not know podcast:chapters; read it from the raw XML for this parser.
            let fpLines = fp.stdout.split(separator: "\n").map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
            #expect(fpLines == expected.map { $0.split(separator: " ").prefix(4).joined(separator: " ") })

            let pp = try await py("""
                import sys, urllib.request, podcastparser
                with urllib.request.urlopen(sys.argv[1]) as f:
                    p = podcastparser.parse(sys.argv[1], f)
                for e in p['episodes']:
                    enc = e['enclosures'][0]
                    print(enc['url'], enc['file_size'], e['total_time'], e['guid'], e.get('chapters_url', '-'))
                """, [show.feedURL])
            let ppLines = pp.stdout.split(separator: "\n").map(String.init)
            // podcastparser keeps feed order (newest first); compare all five fields where it reports them.
            #expect(ppLines.map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
                    == expected.map { $0.split(separator: " ").prefix(4).joined(separator: " ") })

            // Chapters URL straight from the XML, then the chapters themselves through the server.
            let ch = try await py("""
                import sys, json, urllib.request, xml.etree.ElementTree as ET
                ns = {'podcast': 'https://podcastindex.org/namespace/1.0'}
                root = ET.fromstring(urllib.request.urlopen(sys.argv[1]).read())
                for it in root.iter('item'):
                    c = it.find('podcast:chapters', ns)
                    with urllib.request.urlopen(c.get('url')) as r:
                        doc = json.load(r)
                        print(c.get('url'), c.get('type'), r.headers['Content-Type'], doc['version'],
                              '|'.join('%g=%s' % (x['startTime'], x['title']) for x in doc['chapters']))
                """, [show.feedURL])
            let chLines = ch.stdout.split(separator: "\n").map(String.init)
            #expect(chLines == [
                "\(show.showURL)013-fruhling-spring.chapters.json application/json+chapters application/json+chapters 1.2.0 0=Hello|2.25=Bye",
                "\(show.showURL)012-winter-on-campus.chapters.json application/json+chapters application/json+chapters 1.2.0 0=Opening|1.5=Interview with the dean",
            ])
        }
    }

    @Test func gpodderDownloadsByteIdenticalEpisodes() async throws {
        try await withShow { show in
            let home = show.tmp.url.appendingPathComponent("gpodder-home")
            let downloads = show.tmp.url.appendingPathComponent("gpodder-downloads")
            let env = ["GPODDER_HOME": home.path, "GPODDER_DOWNLOAD_DIR": downloads.path,
                       "HOME": show.tmp.url.path]
            try await sh("gpo", ["subscribe", show.feedURL], environment: env)
            try await sh("gpo", ["download"], environment: env)
            // gpo exits 0 even when a download failed: compare the files themselves.
            for (ep, source) in zip(show.episodes, show.mp3s) {
                let found = FileManager.default.enumerator(at: downloads, includingPropertiesForKeys: nil)?
                    .compactMap { $0 as? URL }.first { $0.lastPathComponent == ep.mp3File }
                let file = try #require(found, "gPodder did not download \(ep.mp3File)")
                #expect(try Data(contentsOf: file) == Data(contentsOf: source))
            }
            #expect(show.server.log.lines.contains { $0.contains("\"GET /campus-magazine/feed.xml HTTP/1.1\" 200") })
        }
    }

    @Test func podgetDownloadsByteIdenticalEpisodes() async throws {
        try await withShow { show in
            let config = show.tmp.url.appendingPathComponent("podget")
            let library = show.tmp.url.appendingPathComponent("podget-library")
            let session = show.tmp.url.appendingPathComponent("podget-session")
            for d in [config, library, session] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
            // podget's own default configuration, pointed at temporary folders; the default
            // serverlist names a public feed, so it is replaced by ours.
            try await sh("podget", ["-d", config.path, "--create-config", "podgetrc"],
                         environment: ["HOME": show.tmp.url.path])
            let rc = config.appendingPathComponent("podgetrc")
            let settings = try String(contentsOf: rc, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .map { line -> String in
                    if line.hasPrefix("DIR_LIBRARY=") { return "DIR_LIBRARY=\(library.path)" }
                    if line.hasPrefix("MIN_SPACE=") { return "MIN_SPACE=0" }
                    return String(line)
                }
            try settings.joined(separator: "\n").write(to: rc, atomically: true, encoding: .utf8)
            try "\(show.feedURL) Tests Campus\n".write(to: config.appendingPathComponent("serverlist"), atomically: true, encoding: .utf8)
            try await sh("podget", ["-d", config.path, "--dir_session", session.path, "-n"],
                         environment: ["HOME": show.tmp.url.path])
            for (ep, source) in zip(show.episodes, show.mp3s) {
                let file = library.appendingPathComponent("Tests/Campus/\(ep.mp3File)")
                #expect(FileManager.default.fileExists(atPath: file.path), "podget did not download \(ep.mp3File)")
                #expect(try Data(contentsOf: file) == Data(contentsOf: source))
            }
        }
    }

    @Test func interruptedDownloadResumesWithARangeRequest() async throws {
        try await withShow { show in
            let ep = show.episodes[0]
            let url = show.showURL + ep.mp3File
            let part = show.tmp.url.appendingPathComponent("partial.mp3")
            // The first attempt stops after 10,000 bytes (as a dropped connection would leave it)...
            let first = try await sh("curl", ["-sS", "-r", "0-9999", "-o", part.path, "-w", "%{http_code}", url])
            #expect(first.stdout == "206")
            #expect(try Data(contentsOf: part).count == 10_000)
            // ...and `curl -C -` continues from the size of the file on disk.
            let second = try await sh("curl", ["-sS", "-C", "-", "-o", part.path, "-w", "%{http_code}", url])
            #expect(second.stdout == "206")
            #expect(try Data(contentsOf: part) == Data(contentsOf: show.mp3s[0]))
            #expect(show.server.log.lines.contains { $0.contains("\"GET /campus-magazine/\(ep.mp3File) HTTP/1.1\" 206 \(ep.length - 10_000)") })

            // A download cut off by the client (rate limit + timeout) also resumes to the same bytes.
            let cut = show.tmp.url.appendingPathComponent("cut.mp3")
            _ = try await sh("curl", ["-sS", "--limit-rate", "20k", "--max-time", "1", "-o", cut.path, url], check: false)
            try await sh("curl", ["-sS", "-C", "-", "-o", cut.path, url])
            #expect(try Data(contentsOf: cut) == Data(contentsOf: show.mp3s[0]))
        }
    }
}
