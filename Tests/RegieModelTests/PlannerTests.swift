import Testing
@testable import RegieModel

/// Planner cases worked out by hand (frames at 44.1 kHz unless stated).
@Suite struct PlannerTests {
    static let rate = 44100
    static let s = Int64(44100)   // one second in frames

    func show(crossfade: String = "0") -> Show {
        Show(directory: "/shows/t", file: "/shows/t/show.yaml", title: "T", description: "d", author: "a",
             language: "en", category: "News", explicit: false, artwork: "/a.png", link: "https://x.org",
             baseURL: "https://x.org/", owner: .init(name: "n", email: "e@x.org"),
             crossfade: Timecode(parsing: crossfade)!, jinglesDirectory: "/jingles")
    }

    func audio(_ index: Int, _ kind: Item.Kind, _ path: String, _ configure: (inout Item) -> Void = { _ in }) -> Item {
        var item = Item(index: index, kind: kind, value: path, location: SourceLocation(file: "r.yaml", line: index + 8, column: 5))
        item.audioPath = path
        item.title = path
        configure(&item)
        return item
    }

    func live(_ index: Int, planned: String, min: String? = nil, max: String? = nil, optional: Bool = false) -> Item {
        var item = Item(index: index, kind: .live, value: "talk \(index)", location: SourceLocation(file: "r.yaml", line: index + 8, column: 5))
        item.planned = Timecode(parsing: planned)
        item.min = min.flatMap(Timecode.init(parsing:))
        item.max = max.flatMap(Timecode.init(parsing:))
        item.optional = optional
        return item
    }

    func rundown(_ items: [Item], slot: String, crossfade: String? = nil, show: Show? = nil) -> Rundown {
        Rundown(file: "r.yaml", show: show ?? self.show(), episode: 1, title: "t", description: "d",
                air: AirTime(iso8601: "2026-12-03T18:00:00+01:00")!, slot: Timecode(parsing: slot)!,
                crossfade: crossfade.flatMap(Timecode.init(parsing:)), items: items,
                locations: ["slot": SourceLocation(file: "r.yaml", line: 5, column: 7)])
    }

    let files: [String: AudioSourceInfo] = [
        "/j2": AudioSourceInfo(frames: 2 * 44100, sampleRate: 44100, channels: 1, format: "FLAC"),
        "/t10": AudioSourceInfo(frames: 10 * 44100, sampleRate: 44100, channels: 1, format: "FLAC"),
        "/m20": AudioSourceInfo(frames: 20 * 44100, sampleRate: 44100, channels: 2, format: "OGG"),
        "/s48": AudioSourceInfo(frames: 288_000, sampleRate: 48000, channels: 1, format: "FLAC"),
        "/odd48": AudioSourceInfo(frames: 100_001, sampleRate: 48000, channels: 1, format: "FLAC"),
    ]

    func plan(_ rundown: Rundown) throws -> (Plan, [Diagnostic]) {
        let result = Planner.plan(rundown, audio: files)
        return (try #require(result.plan, "\(result.diagnostics)"), result.diagnostics)
    }

    @Test func itemsFollowEachOtherWithoutCrossfade() throws {
        let (plan, _) = try plan(rundown([audio(0, .jingle, "/j2"), audio(1, .segment, "/t10")], slot: "12"))
        #expect(plan.entries.map(\.start) == [0, 88_200])
        #expect(plan.entries.map(\.length) == [88_200, 441_000])
        #expect(plan.total == 529_200)
        #expect(plan.overUnder == 0)
    }

    @Test func crossfadesOverlapConsecutiveAudioItems() throws {
        // 0.5 s = 22050 frames of overlap: the segment starts at 88200 − 22050.
        let (plan, _) = try plan(rundown([audio(0, .jingle, "/j2"), audio(1, .segment, "/t10")], slot: "12", crossfade: "0.5"))
        #expect(plan.entries[1].start == 66_150)
        #expect(plan.entries[1].overlap == 22_050)
        #expect(plan.total == 507_150)
        #expect(plan.overUnder == -22_050)
    }

    @Test func anItemsCrossfadeOverridesTheRundownsAndTheShows() throws {
        let items = [audio(0, .jingle, "/j2"), audio(1, .segment, "/t10") { $0.crossfade = Timecode(parsing: "1.5") },
                     audio(2, .music, "/m20")]
        let (plan, _) = try plan(rundown(items, slot: "30", show: show(crossfade: "0.25")))
        #expect(plan.entries.map(\.overlap) == [0, 66_150, 11_025])
        #expect(plan.total == 88_200 - 66_150 + 441_000 - 11_025 + 882_000)
    }

    @Test func noCrossfadeIntoOrOutOfALiveItem() throws {
        let items = [audio(0, .jingle, "/j2"), live(1, planned: "30"), audio(2, .segment, "/t10")]
        let (plan, _) = try plan(rundown(items, slot: "42", crossfade: "1"))
        #expect(plan.entries.map(\.overlap) == [0, 0, 0])
        #expect(plan.entries.map(\.start) == [0, 88_200, 88_200 + 1_323_000])
        #expect(plan.total == 42 * Self.s)
    }

    @Test func cuePointsTrimTheFile() throws {
        // in 1 s, out 9.5 s of a 10 s file: frames 44100..<418950.
        let item = audio(0, .segment, "/t10") { $0.cueIn = Timecode(parsing: "1"); $0.cueOut = Timecode(parsing: "9.5") }
        let (plan, _) = try plan(rundown([item], slot: "8.5"))
        #expect(plan.entries[0].source?.firstFrame == 44_100)
        #expect(plan.entries[0].source?.endFrame == 418_950)
        #expect(plan.entries[0].length == 374_850)
    }

    @Test func filesAtAnotherRateAreConvertedAndWarned() throws {
        // 288000 frames at 48 kHz = 6 s = 264600 at 44.1 kHz; 100001 → 91875.92 → 91876.
        // With in = 0.5 s (24000 frames at 48 kHz): 264000 × 44100/48000 = 242550.
        let items = [audio(0, .segment, "/s48"), audio(1, .segment, "/odd48"),
                     audio(2, .segment, "/s48") { $0.cueIn = Timecode(parsing: "0.5") }]
        let (plan, diagnostics) = try plan(rundown(items, slot: "20"))
        #expect(plan.entries.map(\.length) == [264_600, 91_876, 242_550])
        #expect(plan.entries[2].source?.firstFrame == 24_000)
        #expect(diagnostics.filter { $0.message.contains("48000 Hz") }.count == 3)
    }

    @Test func cuePointsOutsideTheFileAreErrors() {
        let items = [audio(0, .segment, "/t10") { $0.cueIn = Timecode(parsing: "11") },
                     audio(1, .segment, "/t10") { $0.cueOut = Timecode(parsing: "10.5") }]
        let result = Planner.plan(rundown(items, slot: "20"), audio: files)
        #expect(result.plan == nil)
        #expect(result.diagnostics.map(\.message) == [
            "cue point 'in' (0:11) is outside the file, which lasts 0:10.000",
            "cue point 'out' (0:10.5) is outside the file, which lasts 0:10.000",
        ])
    }

    @Test func aCrossfadeLongerThanAnItemIsAnError() {
        let items = [audio(0, .jingle, "/j2"), audio(1, .segment, "/t10") { $0.crossfade = Timecode(parsing: "3") }]
        let result = Planner.plan(rundown(items, slot: "20"), audio: files)
        #expect(result.plan == nil)
        #expect(result.diagnostics.map(\.message) == ["crossfade into item 2 (0:03.000) is longer than the previous item (0:02.000)"])
    }

    @Test func theBacktimedItemEndsAtTheHardEndAndLiveItemsStretchToFill() throws {
        // Slot 60 s; written: jingle 2 + live 20 + closer 2 = 24 s, gap +36 s.
        // The live item may stretch to 50 s (room 30 s): fitted 54 s, still 6 s short → warning.
        var closer = audio(2, .jingle, "/j2")
        closer.backtime = true
        let items = [audio(0, .jingle, "/j2"), live(1, planned: "20", min: "10", max: "50"), closer]
        let (plan, diagnostics) = try plan(rundown(items, slot: "1:00"))
        #expect(plan.backtimeIndex == 2)
        #expect(plan.entries[2].writtenStart == 58 * Self.s, "back-timed from the hard end")
        #expect(plan.writtenGap == 36 * Self.s)
        #expect(plan.entries[1].length == 50 * Self.s)
        #expect(plan.total == 54 * Self.s)
        #expect(plan.overUnder == -6 * Self.s)
        #expect(diagnostics.map(\.message) == ["the show cannot fill its slot: 0:06.0 short even with every live item at its 'max'"])
        #expect(diagnostics.first?.location?.line == 5)
    }

    @Test func liveItemsSqueezeInProportionToTheirRoom() throws {
        // Slot 30 s; two live items of 20 s: over by 10 s. Rooms 10 s (min 10) and 5 s (min 15):
        // the first gives 10×10/15 = 6.667 s (294000 frames), the second 3.333 s (147000 frames).
        let items = [live(0, planned: "20", min: "10"), live(1, planned: "20", min: "15")]
        let (plan, diagnostics) = try plan(rundown(items, slot: "30"))
        #expect(plan.writtenOverUnder == 10 * Self.s)
        #expect(plan.entries.map(\.length) == [588_000, 735_000])
        #expect(plan.entries.map(\.adjustment) == [-294_000, -147_000])
        #expect(plan.total == 30 * Self.s)
        #expect(plan.droppedEntries.isEmpty)
        #expect(diagnostics.isEmpty)
    }

    @Test func optionalItemsAreDroppedFromTheEndThenLiveItemsAbsorbTheRest() throws {
        // Slot 30 s. Written: jingle 2, music 20 (optional), live 20 (min 15, max 30), segment 10 (optional), jingle 2 = 54 s.
        // With live at min: 49 s > 30 → drop the segment (last optional): 39 s > 30 → drop the music: 19 s ≤ 30.
        // Left: 2 + 20 + 2 = 24 s at planned: the live item stretches by 6 s to 26 s: on time.
        var music = audio(1, .music, "/m20"); music.optional = true
        var segment = audio(3, .segment, "/t10"); segment.optional = true
        let items = [audio(0, .jingle, "/j2"), music, live(2, planned: "20", min: "15", max: "30"), segment, audio(4, .jingle, "/j2")]
        let (plan, diagnostics) = try plan(rundown(items, slot: "30"))
        #expect(plan.writtenTotal == 54 * Self.s)
        #expect(plan.droppedEntries.map(\.item.index) == [1, 3])
        #expect(plan.entries[2].length == 26 * Self.s)
        #expect(plan.entries.filter { !$0.dropped }.map(\.start) == [0, 2 * Self.s, 28 * Self.s])
        #expect(plan.total == 30 * Self.s)
        #expect(diagnostics.isEmpty)
    }

    @Test func droppingAnItemJoinsItsNeighboursWithACrossfade() throws {
        // 1 s default crossfade: jingle, optional music, segment. Dropping the music makes the
        // jingle and the segment consecutive audio items: they overlap by 1 s.
        var music = audio(1, .music, "/m20"); music.optional = true
        let items = [audio(0, .jingle, "/j2"), music, audio(2, .segment, "/t10")]
        let (plan, _) = try plan(rundown(items, slot: "11", crossfade: "1"))
        #expect(plan.writtenTotal == (2 + 20 + 10 - 2) * Self.s)
        #expect(plan.entries[1].dropped)
        #expect(plan.entries[2].overlap == Self.s)
        #expect(plan.entries[2].start == Self.s)
        #expect(plan.total == 11 * Self.s)
    }

    @Test func anOverrunThatCannotBeClosedIsWarned() throws {
        let items = [live(0, planned: "40", min: "35"), audio(1, .segment, "/t10")]
        let (plan, diagnostics) = try plan(rundown(items, slot: "30"))
        #expect(plan.total == 45 * Self.s)
        #expect(diagnostics.map(\.message) == ["the show overruns its slot by 0:15.0 even with every live item at its 'min'"])
    }

    @Test func remaindersGoToTheEarliestItems() {
        #expect(Planner.distribute(10, rooms: [1, 1, 1]) == [1, 1, 1])
        #expect(Planner.distribute(10, rooms: [5, 5, 5]) == [4, 3, 3])
        #expect(Planner.distribute(7, rooms: [0, 10]) == [0, 7])
        #expect(Planner.distribute(0, rooms: [3]) == [0])
    }

    @Test func fadesLongerThanTheItemAreErrors() {
        let items = [audio(0, .jingle, "/j2") { $0.fadeOut = Timecode(parsing: "3") }]
        let result = Planner.plan(rundown(items, slot: "2"), audio: files)
        #expect(result.diagnostics.map(\.message) == ["'fade_out' (0:03.000) is longer than the item (0:02.000)"])
    }
}
