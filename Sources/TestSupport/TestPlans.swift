// Plans built through the real planner from made-up audio facts (no files opened), for tests of
// what comes after planning: the render, the recorders, the as-run log, the console.
import Foundation
import RegieModel
import Testing

/// One item of a test plan: kind, title, artist (music), seconds.
package struct TestItem {
    package var kind: Item.Kind
    package var title: String
    package var artist: String?
    package var seconds: Int
    /// Dropped first when the rundown is over its slot.
    package var optional: Bool

    package init(kind: Item.Kind, title: String, artist: String? = nil, seconds: Int = 10, optional: Bool = false) {
        self.kind = kind; self.title = title; self.artist = artist; self.seconds = seconds; self.optional = optional
    }
}

/// A plan built through the real planner from items with made-up audio facts (no files are
/// opened), for a show whose artwork is a real PNG in `dir`; the slot is the items' total unless
/// `slotSeconds` is given.
package func makePlan(in dir: URL, rate: Int = 44100, items: [TestItem], carts: [(String, String)] = [],
                      episode: Int = 12, title: String = "Winter on campus", slotSeconds: Int? = nil) throws -> Plan {
    let artwork = dir.appendingPathComponent("artwork.png")
    if !FileManager.default.fileExists(atPath: artwork.path) {
        try runChecked("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64",
                                  "-frames:v", "1", "-y", artwork.path])
    }
    let location = SourceLocation(file: dir.appendingPathComponent("2026-12-03.yaml").path, line: 1, column: 1)
    let show = Show(directory: dir.appendingPathComponent("campus-magazine").path, file: "show.yaml",
                    title: "Campus Magazine", description: "The monthly magazine.", author: "Campus Radio",
                    language: "en", category: "Society & Culture/Documentary", explicit: false,
                    artwork: artwork.path, link: "https://radio.example.org/campus",
                    baseURL: "https://radio.example.org/podcasts/campus/",
                    owner: .init(name: "Jo Producer", email: "jo@example.org"), sampleRate: rate,
                    jinglesDirectory: dir.path,
                    carts: carts.map { Show.Cart(key: $0.0, jingle: dir.appendingPathComponent("\($0.1).wav").path,
                                                 title: $0.1, location: location) })
    var audio: [String: AudioSourceInfo] = [:]
    let rundownItems: [Item] = items.enumerated().map { index, t in
        var item = Item(index: index, kind: t.kind, value: t.kind == .live ? t.title : "audio/\(index).wav",
                        location: location)
        item.optional = t.optional
        if t.kind == .live {
            item.planned = Timecode(seconds: Int64(t.seconds))
        } else {
            let path = dir.appendingPathComponent("audio/\(index).wav").path
            item.audioPath = path
            item.title = t.kind == .jingle ? nil : t.title
            if t.kind == .jingle { item.value = t.title }
            item.artist = t.artist
            audio[path] = AudioSourceInfo(frames: Int64(t.seconds * rate), sampleRate: rate, channels: 2, format: "WAV")
        }
        return item
    }
    let total = items.reduce(0) { $0 + $1.seconds }
    let rundown = Rundown(file: location.file, show: show, episode: episode, title: title,
                          description: "Interviews and music.", air: AirTime(iso8601: "2026-12-03T18:00:00+01:00")!,
                          slot: Timecode(seconds: Int64(slotSeconds ?? total)), crossfade: nil, items: rundownItems, locations: [:])
    let result = Planner.plan(rundown, audio: audio)
    return try #require(result.plan, "\(result.diagnostics)")
}

