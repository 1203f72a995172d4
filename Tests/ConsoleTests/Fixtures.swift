import Console
import RegieModel
import Testing

/// Plans built in code (no files): the planner only needs the facts of each audio file.
enum Fixtures {
    static let rate = 44100
    static let here = SourceLocation(file: "test.yaml", line: 1, column: 1)
    static let air = AirTime(iso8601: "2026-12-03T18:00:00+01:00")!
    static let longTitle = "Café des étudiants : 日本語のインタビュー, a conversation on winter nights"

    static func show(carts: [Show.Cart] = []) -> Show {
        Show(directory: "/shows/test", file: "/shows/test/show.yaml", title: "Campus Magazine", description: "d",
             author: "a", language: "en", category: "News", explicit: false, artwork: "artwork.png",
             link: "https://example.org", baseURL: "https://example.org/p/", owner: .init(name: "n", email: "e@example.org"),
             jinglesDirectory: "/jingles", carts: carts)
    }

    static func item(_ index: Int, _ kind: Item.Kind, _ value: String, title: String? = nil, artist: String? = nil,
                     planned: Int64? = nil, notes: String? = nil, backtime: Bool = false) -> Item {
        var item = Item(index: index, kind: kind, value: value, location: here)
        item.title = title; item.artist = artist; item.notes = notes; item.backtime = backtime
        if kind != .live { item.audioPath = "/audio/\(value)" }
        if let planned { item.planned = Timecode(seconds: planned) }
        return item
    }

    static func plan(_ items: [(Item, seconds: Int64)], slot: Int64, carts: [Show.Cart] = []) -> Plan {
        let rundown = Rundown(file: "/shows/test/2026-12-03.yaml", show: show(carts: carts), episode: 12,
                              title: "Winter on campus", description: "d", air: air, slot: Timecode(seconds: slot),
                              crossfade: nil, items: items.map(\.0), locations: [:])
        var audio: [String: AudioSourceInfo] = [:]
        for (item, seconds) in items where item.kind != .live {
            audio[item.audioPath!] = AudioSourceInfo(frames: seconds * Int64(rate), sampleRate: rate, channels: 2, format: "WAV")
        }
        let result = Planner.plan(rundown, audio: audio)
        return result.plan!
    }

    /// Opener 5 s, live 2:00, interview 3:00, music 2:00, a long-titled segment 1:00, back-timed closer 10 s in a
    /// 10-minute slot.
    static let show6 = plan([
        (item(0, .jingle, "opener.wav", title: "Opener"), 5),
        (item(1, .live, "Welcome and headlines", planned: 120, notes: "Bed under the first minute"), 0),
        (item(2, .segment, "dean.wav", title: "Interview with the dean", notes: "Cut if we are running late"), 180),
        (item(3, .music, "snow.wav", title: "Snowfall", artist: "The Demo Band"), 120),
        (item(4, .segment, "cafe.wav", title: longTitle), 60),
        (item(5, .jingle, "closer.wav", backtime: true), 10),
    ], slot: 600, carts: [Show.Cart(key: "1", jingle: "/jingles/id.wav", title: "Station ID", location: here),
                          Show.Cart(key: "F2", jingle: "/jingles/sting.wav", title: "Sting", location: here)])

    static func frames(_ seconds: Double) -> Int64 { Int64((seconds * Double(rate)).rounded()) }

    /// Nanoseconds since the epoch `seconds` after the air time.
    static func wall(_ seconds: Double) -> Int64 { air.epochSeconds * 1_000_000_000 + Int64(seconds * 1e9) }

    /// On air: opener and welcome done (welcome ran 1:58.5), the interview on air for 1:00.
    static func onAirSnapshot(interviewElapsed: Double = 60) -> ConsoleSnapshot {
        let plan = show6
        var snapshot = ConsoleSnapshot.standby(plan: plan, wallClock: wall(0), utcOffsetSeconds: 3600)
        snapshot.items[0] = .init(state: .done, actualStart: 0, actualLength: frames(5))
        snapshot.items[1] = .init(state: .done, actualStart: frames(5), actualLength: frames(118.5))
        snapshot.items[2] = .init(state: .onAir, actualStart: frames(123.5))
        snapshot.position = frames(123.5 + interviewElapsed)
        snapshot.wallClock = wall(123.5 + interviewElapsed)
        snapshot.currentIndex = 2
        snapshot.nextIndex = 3
        snapshot.onAir = true
        snapshot.overUnder = -frames(105)
        return snapshot
    }
}

extension ConsoleScreenModel {
    /// Row `row` without its trailing spaces.
    func row(_ row: Int) -> String {
        var text = lines[row].text
        while text.last == " " { text.removeLast() }
        return text
    }

    /// Every row, as `row` gives it.
    var rows: [String] { lines.indices.map(row) }

    /// The first line whose text contains `text`.
    func line(containing text: String) -> ConsoleLine? { lines.first { $0.text.contains(text) } }
}
