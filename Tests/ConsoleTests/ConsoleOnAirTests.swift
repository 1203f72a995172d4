import Console
import RegieModel
import Testing

/// What a technician trying the console found wrong (issue 13), each checked on the screen the
/// view model draws: the loudness floor, "on time", items below the fold, the cart wall, the
/// countdown to the next post and what it will cut, the item clock through a pause.
@Suite struct ConsoleOnAirTests {
    let model = ConsoleViewModel(plan: Fixtures.show6)

    @Test("near silence the loudness reads <-70, not -226.4; no signal at all reads -inf")
    func loudnessFloor() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.meters = .init(peakLeft: -90, peakRight: -.infinity, shortTerm: -983.2, momentary: -226.4)
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(17).hasSuffix(" <-70 dBFS  Short-term  <-70 LUFS"))
        #expect(screen.row(18).hasSuffix("  -inf dBFS  Momentary   <-70 LUFS"))
        #expect(!screen.text.contains("226") && !screen.text.contains("983"))
    }

    @Test("at the start the over/under reads on time, not +0:00.0 over")
    func onTimeAtTheStart() {
        var snapshot = Fixtures.onAirSnapshot()
        for over in [Int64(0), 1, Fixtures.frames(0.04), -Fixtures.frames(0.04)] {
            snapshot.overUnder = over
            let screen = model.screen(for: snapshot, width: 80, height: 24)
            #expect(screen.row(16).hasSuffix("over/under on time"), "\(over) frames")
        }
        snapshot.overUnder = Fixtures.frames(0.06)
        #expect(model.screen(for: snapshot, width: 80, height: 24).row(16).hasSuffix("over/under +0:00.1 over"))
    }

    @Test("17 items at 80×24: the last row says how many more follow and what ends the show")
    func moreItemsBelowTheFold() {
        let items = (0..<17).map { (Fixtures.item($0, .jingle, "j\($0).wav", title: "Jingle \($0 + 1)"), Int64(10)) }
        let plan = Fixtures.plan(items, slot: 170)
        let snapshot = ConsoleSnapshot.standby(plan: plan, wallClock: Fixtures.wall(0), utcOffsetSeconds: 3600)
        let screen = ConsoleViewModel(plan: plan).screen(for: snapshot, width: 80, height: 24)
        // Twelve rows of running order: eleven items, then the note.
        #expect(screen.row(12).hasPrefix("  11  18:01:40"))
        #expect(screen.row(13) == "   ↓ 6 more items (to 17 Jingle 17 · last 18:02:40)")
        #expect(screen.lines[13].runs.allSatisfy { $0.style == .dim })
        // At 120×40 all of them fit: no note.
        let tall = ConsoleViewModel(plan: plan).screen(for: snapshot, width: 120, height: 40)
        #expect(!tall.text.contains("more item"))
        #expect(tall.row(18).hasPrefix("  17  18:02:40"))
    }

    @Test("the cart wall: every cart, its key and its state at 80×24 (22 carts)")
    func cartWallShowsEveryCart() {
        let keys = (1...9).map(String.init) + ["0"] + (1...12).map { "F\($0)" }
        let carts = keys.map { Show.Cart(key: $0, jingle: "/jingles/\($0).wav", title: "Cart \($0)", location: Fixtures.here) }
        let plan = Fixtures.plan([(Fixtures.item(0, .live, "Talk", planned: 60), 0)], slot: 60, carts: carts)
        var snapshot = ConsoleSnapshot.standby(plan: plan, wallClock: Fixtures.wall(0), utcOffsetSeconds: 3600)
        snapshot.carts[12].playing = true   // F3
        snapshot.carts[12].remainingFrames = Fixtures.frames(2)
        let model = ConsoleViewModel(plan: plan)
        // The running order's view: the carts line cannot hold them all.
        let normal = model.screen(for: snapshot, width: 80, height: 24)
        #expect(!normal.text.contains("Cart F12"))
        snapshot.showsCartWall = true
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.lines.allSatisfy { $0.width <= 80 })
        #expect(screen.row(2).hasPrefix("Cart wall"))
        for key in keys {
            #expect(screen.lines.contains { $0.text.contains(" \(key)  Cart \(key)") }, "cart \(key)")
        }
        let playing = screen.line(containing: "F3  Cart F3 ▶ 0:02.0")
        #expect(playing?.style(of: "F3  Cart F3 ▶ 0:02.0") == .onAir)
        #expect(screen.line(containing: "F4  Cart F4")?.style(of: "F4  Cart F4") == .normal)
    }

    @Test("the countdown to the next post: highlighted, then warning in the last 30 s, alarm in the last 10, then due")
    func countdownToThePost() {
        var snapshot = Fixtures.onAirSnapshot()
        let closerWall = Fixtures.wall(590)
        snapshot.nextPost = .init(id: 5, wall: closerWall, soft: false)
        func row(at seconds: Double) -> ConsoleLine {
            snapshot.wallClock = Fixtures.wall(seconds)
            snapshot.position = Fixtures.frames(seconds)
            return model.screen(for: snapshot, width: 100, height: 30).line(containing: "End    ")!
        }
        var line = row(at: 548)
        #expect(line.text.contains("closer 18:09:50 in 0:42"))
        #expect(line.style(of: "0:42") == .highlight)
        line = row(at: 565)
        #expect(line.text.contains(" in 0:25") && line.style(of: "0:25") == .warning)
        line = row(at: 582)
        #expect(line.text.contains(" in 0:08") && line.style(of: "0:08") == .alarm)
        line = row(at: 591)
        #expect(line.text.contains(" in due") && line.style(of: "due") == .alarm)
        // A news join at a fixed time is named.
        snapshot.nextPost = .init(id: 3, wall: Fixtures.wall(400), soft: false)
        line = row(at: 380)
        #expect(line.text.contains("Snowfall — … 18:06:40 in 0:20"))
    }

    @Test("the status line says what the next post will cut: the live item held past it")
    func whatThePostCuts() {
        // The live item on air, 30 s past its plan, the closer's post at 18:09:50.
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.items[1] = .init(state: .onAir, actualStart: Fixtures.frames(5))
        snapshot.items[2] = .init(state: .pending)
        snapshot.currentIndex = 1
        snapshot.nextIndex = 2
        snapshot.itemElapsed = Fixtures.frames(150)
        snapshot.position = Fixtures.frames(155)
        snapshot.wallClock = Fixtures.wall(155)
        snapshot.nextPost = .init(id: 5, wall: Fixtures.wall(590), soft: false)
        var screen = model.screen(for: snapshot, width: 200, height: 30)
        // Not yet: what follows would fit if GO came now (interview 3:00, music 2:00, segment 1:00 from 18:02:35).
        #expect(screen.row(28) == "Status OK")
        // Now 18:08:00: the interview ends 18:11:00, past the post.
        snapshot.itemElapsed = Fixtures.frames(475)
        snapshot.position = Fixtures.frames(480)
        snapshot.wallClock = Fixtures.wall(480)
        screen = model.screen(for: snapshot, width: 200, height: 30)
        #expect(screen.row(28).hasPrefix("Status at 18:09:50 the post cuts Interview with the dean, drops Snowfall — The Demo Band, drops Café"))
        #expect(screen.lines[28].style(of: "the post cuts") == .warning)
    }

    @Test("after a pause the item's clock counts what it has played, not the time paused")
    func itemClockThroughAPause() {
        // 60 s since the interview started, 10 of them paused: 50 s played.
        var snapshot = Fixtures.onAirSnapshot(interviewElapsed: 60)
        snapshot.itemElapsed = Fixtures.frames(50)
        snapshot.paused = true
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(15) == "Item   Interview with the dean elapsed 0:50.0  remaining 2:10.0  PAUSED")
        // The next item is projected from what remains: 18:03:03.5 + 2:10.
        #expect(screen.row(5).hasPrefix("»  4  18:05:13"))
    }

    @Test("before the show on its air date: the countdown to air, then how late it is; nothing on another day")
    func countdownToAir() {
        let plan = Fixtures.show6
        let model = ConsoleViewModel(plan: plan)
        func itemLine(at seconds: Double) -> ConsoleLine {
            let snapshot = ConsoleSnapshot.standby(plan: plan, wallClock: Fixtures.wall(seconds), utcOffsetSeconds: 3600)
            return model.screen(for: snapshot, width: 80, height: 24).lines[15]
        }
        var line = itemLine(at: -754)
        #expect(line.text.hasPrefix("Item   standby · on air in 12:34 · space starts 1 Opener"))
        #expect(line.style(of: "12:34") == .highlight)
        line = itemLine(at: 42)
        #expect(line.text.hasPrefix("Item   standby · air time 18:00:00 passed 0:42 ago · space starts 1 Opener"))
        #expect(line.style(of: "passed 0:42 ago") == .alarm)
        // The day before (a rehearsal): no countdown.
        line = itemLine(at: -86_400)
        #expect(line.text.hasPrefix("Item   standby · space starts 1 Opener"))
    }
}
