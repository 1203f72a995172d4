import Foundation
import MP3
import Podcast
import Production
import RegieModel
import Testing
import TestSupport

/// The chapters an episode carries beside it and into the published folder.
@Suite struct EpisodeTagTests {
    @Test("Podcasting 2.0 chapters JSON parses with numbers, not strings")
    func chaptersJSON() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let mp3 = dir.appendingPathComponent("episode.mp3")
        let chapters = [Chapter(title: "Opener", startMs: 0, endMs: 12_500),
                        Chapter(title: "日本 🎧 \"quoted\"", startMs: 12_500, endMs: 61_001,
                                url: "https://example.org/a/b")]
        let url = try EpisodeTag.writeChapters(chapters, beside: mp3)
        #expect(url.lastPathComponent == "episode.chapters.json")
        let script = #"""
import sys, json
d = json.load(open(sys.argv[1], encoding="utf-8"))
print(json.dumps({"version": d["version"],
  "types": [[type(c["startTime"]).__name__, type(c["endTime"]).__name__] for c in d["chapters"]],
  "chapters": d["chapters"]}))
"""#
        let parsed = try #require(pythonJSON(script, [url.path], interpreter: systemPython) as? [String: Any])
        #expect(parsed["version"] as? String == "1.2.0")
        let types = try #require(parsed["types"] as? [[String]])
        #expect(types.allSatisfy { $0.allSatisfy { $0 == "float" || $0 == "int" } })
        let got = try #require(parsed["chapters"] as? [[String: Any]])
        #expect(got.map { $0["title"] as? String } == chapters.map(\.title))
        #expect(got.map { $0["startTime"] as? Double } == [0, 12.5])
        #expect(got.map { $0["endTime"] as? Double } == [12.5, 61.001])
        #expect(got[1]["url"] as? String == "https://example.org/a/b")
        #expect(got[0]["url"] == nil)
    }

    @Test("published chapters keep the end times and links the render wrote")
    func publishedChaptersKeepEndTimes() throws {
        let dir = try TempDir("regie-chapters")
        defer { dir.cleanup() }
        let plan = try makePlan(in: dir.url, items: [TestItem(kind: .segment, title: "Interview", seconds: 4),
                                                     TestItem(kind: .music, title: "Snowfall", artist: "The Band", seconds: 3)])
        let mp3 = dir.url.appendingPathComponent("episode.mp3")
        try Media.mp3(mp3, seconds: 7)
        var chapters = EpisodeTag.plannedChapters(plan)
        chapters[1].url = "https://example.org/snowfall"
        try EpisodeTag.writeChapters(chapters, beside: mp3)
        let published = dir.url.appendingPathComponent("public")
        let episode = try EpisodeFinisher(plan: plan).publish(mp3: mp3, frames: plan.total, chapters: chapters, to: published)
        let file = published.appendingPathComponent(try #require(episode.chaptersFile))
        let parsed = try #require(pythonJSON("""
            import sys, json
            print(json.dumps(json.load(open(sys.argv[1]))["chapters"]))
            """, [file.path]) as? [[String: Any]])
        #expect(parsed.map { $0["startTime"] as? Double } == [0, 4])
        #expect(parsed.map { $0["endTime"] as? Double } == [4, 7])
        #expect(parsed[1]["url"] as? String == "https://example.org/snowfall")
        // And `regie publish` reads the chapters file beside an MP3 back whole.
        let read = PodcastMapping.chapters(for: mp3, plan: plan)
        #expect(read.map(\.endTime) == [4, 7])
        #expect(read[1].url == "https://example.org/snowfall")
    }
}
