import Console
import RegieModel
import Testing

/// The console's screen as text and styles, for a plan and a snapshot, without a terminal.
@Suite struct ConsoleViewModelTests {
    let model = ConsoleViewModel(plan: Fixtures.show6)

    @Test func onAirScreenAt80x24() {
        let screen = model.screen(for: Fixtures.onAirSnapshot(), width: 80, height: 24)
        #expect(screen.lines.count == 24)
        #expect(screen.lines.allSatisfy { $0.width <= 80 })
        #expect(screen.row(0).hasPrefix("Régie · Campus Magazine #12 Winter on campus "))
        #expect(screen.row(0).hasSuffix(" 18:03:03  ON AIR"))
        #expect(screen.lines[0].width == 80)
        #expect(screen.lines[0].style(of: "ON AIR") == .onAir)
        #expect(screen.row(1) == "    #  start     length kind item")
        // Done items: dimmed, with their actual start and actual length.
        #expect(screen.row(2) == "✓  1  18:00:00  0:05.0 JNG  Opener")
        #expect(screen.row(3) == "✓  2  18:00:05  1:58.5 LIVE Welcome and headlines")
        #expect(screen.lines[2].runs.allSatisfy { $0.style == .dim })
        #expect(screen.lines[3].runs.allSatisfy { $0.style == .dim })
        // On air: highlighted across the whole width.
        #expect(screen.row(4) == "▶  3  18:02:03  3:00.0 SEG  Interview with the dean")
        #expect(screen.lines[4].style(atColumn: 0) == .onAir && screen.lines[4].style(atColumn: 79) == .onAir)
        // Next: marked, projected to start when the interview ends.
        #expect(screen.row(5) == "»  4  18:05:03  2:00.0 MUS  Snowfall — The Demo Band")
        #expect(screen.lines[5].style(atColumn: 0) == .next)
        // Pending, truncated by display width (the Japanese characters take two columns each).
        #expect(screen.row(6) == "   5  18:07:03  1:00.0 SEG  Café des étudiants : 日本語のインタビュー, a conver…")
        #expect(screen.lines[6].width == 80)
        #expect(screen.lines[6].style(atColumn: 0) == .normal)
        // The back-timed closer at its planned start.
        #expect(screen.row(7) == "   6  18:09:50  0:10.0 JNG  closer.wav ⇥ back-timed")
        #expect((8...13).allSatisfy { screen.row($0).isEmpty })
        #expect(screen.row(14) == "Notes  Cut if we are running late")
        // The item line names what is on air.
        #expect(screen.row(15) == "Item   Interview with the dean elapsed 1:00.0  remaining 2:00.0")
        #expect(screen.lines[15].style(of: "Interview with the dean") == .onAir)
        #expect(screen.lines[15].style(of: "2:00.0") == .highlight)
        #expect(screen.row(16) == "End    18:10:00 in 6:57  closer 18:09:50  over/under -1:45.0 under")
        #expect(screen.row(17).hasPrefix("L ····") && screen.row(17).hasSuffix(" -inf dBFS  Short-term  -inf LUFS"))
        #expect(screen.row(18).hasPrefix("R ····") && screen.row(18).hasSuffix(" -inf dBFS  Momentary   -inf LUFS"))
        #expect(screen.row(19) == "REC    off")
        #expect(screen.row(20) == "Audio  xruns 0  late 0  ducking on  position 3:03.5")
        #expect(screen.row(21) == "Carts  [1 Station ID] [F2 Sting]")
        #expect(screen.row(22) == "Status OK")
        // The keys that fit 80 columns, least needed left out, q always there.
        #expect(screen.row(23) == "space GO  Esc fade  b bed  p pause  s skip  c carts  ↑↓ edit  i insert  q quit")
    }

    /// After the air: the show's last screen stays, OFF AIR; the recorder, counters and carts
    /// give way to the last three steps (the earliest dropped), the latest at the bottom in its
    /// severity's style; the help line says what q does now.
    @Test func afterTheAirTheStepsReplaceTheRecorderCountersAndCarts() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.afterAir = [.init(.info, "recordings closed: a.mp3"), .init(.info, "published a.mp3 to public/x in 1.2 s"),
                             .init(.info, "mirrored to ssh://h/p/x/: 300 bytes sent in 0.4 s"),
                             .init(.warning, "web host not reached, trying again in 4 s: rsync failed (exit 255): ssh: connect to host h port 22: Connection refused")]
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.lines.count == 24 && screen.lines.allSatisfy { $0.width <= 80 })
        #expect(screen.row(0).hasSuffix(" OFF AIR"))
        #expect(!screen.rows.contains { $0.hasPrefix("REC") || $0.hasPrefix("Audio") || $0.hasPrefix("Carts") })
        #expect(screen.row(19) == "After  published a.mp3 to public/x in 1.2 s")
        #expect(screen.row(20) == "       mirrored to ssh://h/p/x/: 300 bytes sent in 0.4 s")
        #expect(screen.row(21).hasPrefix("       web host not reached, trying again in 4 s: rsync failed"))
        #expect(screen.lines[21].style(of: "web host not reached") == .warning)
        #expect(screen.row(23).hasPrefix("The show is over  q stop waiting for the web host"))
        // Without steps it is the show's screen as before.
        snapshot.afterAir = nil
        let onAir = model.screen(for: snapshot, width: 80, height: 24)
        #expect(onAir.rows.contains { $0.hasPrefix("REC") } && onAir.row(0).hasSuffix(" ON AIR"))
    }

    /// The stream on the counters line, before the position: live with its listeners and the
    /// bytes sent, DOWN in
    /// the alarm style, several mounts as "n/m up", reconnections counted.
    @Test func theStreamOnTheCountersLine() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.stream = .init(mounts: 1, connected: 1, listeners: 12, bytesSent: 1_000_000)
        var screen = model.screen(for: snapshot, width: 100, height: 24)
        #expect(screen.row(20) == "Audio  xruns 0  late 0  ducking on  stream live 12 listeners 1.0 MB  position 3:03.5")
        #expect(screen.lines[20].style(of: "stream live") == .normal)
        snapshot.stream = .init(mounts: 1, connected: 0, reconnects: 1)
        screen = model.screen(for: snapshot, width: 100, height: 24)
        #expect(screen.row(20) == "Audio  xruns 0  late 0  ducking on  stream DOWN 1 reconnect  position 3:03.5")
        #expect(screen.lines[20].style(of: "stream DOWN") == .alarm)
        snapshot.stream = .init(mounts: 2, connected: 1, listeners: 1, reconnects: 3)
        screen = model.screen(for: snapshot, width: 100, height: 24)
        #expect(screen.row(20).contains("stream 1/2 up 1 listener 3 reconnects"))
        // At 80 columns the line is cut at the width, never wider.
        #expect(model.screen(for: snapshot, width: 80, height: 24).lines.allSatisfy { $0.width <= 80 })
    }

    @Test func onAirScreenAt120x40() {
        let screen = model.screen(for: Fixtures.onAirSnapshot(), width: 120, height: 40)
        #expect(screen.lines.count == 40)
        #expect(screen.lines.allSatisfy { $0.width <= 120 })
        #expect(screen.row(0).hasSuffix(" 18:03:03  ON AIR") && screen.lines[0].width == 120)
        #expect(screen.row(4) == "▶  3  18:02:03  3:00.0 SEG  Interview with the dean")
        #expect(screen.lines[4].width == 120)
        // Wide enough for the whole title.
        #expect(screen.row(6) == "   5  18:07:03  1:00.0 SEG  \(Fixtures.longTitle)")
        // 28 rundown rows, then the same ten footer rows.
        #expect(screen.row(30) == "Notes  Cut if we are running late")
        #expect(screen.row(32) == "End    18:10:00 in 6:57  closer 18:09:50  over/under -1:45.0 under")
        #expect(screen.row(39) == "space GO  Esc fade  b bed  p pause  s skip  c carts  ↑↓ edit  i insert  r reload  d duck  1-0 F1-F12 carts  q quit")
    }

    @Test func outroStyleInTheLastTenSecondsOfASegment() {
        let before = model.screen(for: Fixtures.onAirSnapshot(interviewElapsed: 169.5), width: 80, height: 24)
        #expect(before.row(15) == "Item   Interview with the dean elapsed 2:49.5  remaining 0:10.5")
        #expect(before.lines[15].style(of: "0:10.5") == .highlight)
        let exactly = model.screen(for: Fixtures.onAirSnapshot(interviewElapsed: 170), width: 80, height: 24)
        #expect(exactly.lines[15].style(of: "0:10.0") == .outro)
        let outro = model.screen(for: Fixtures.onAirSnapshot(interviewElapsed: 170.5), width: 80, height: 24)
        #expect(outro.row(15) == "Item   Interview with the dean elapsed 2:50.5  remaining 0:09.5")
        #expect(outro.lines[15].style(of: "0:09.5") == .outro)
    }

    @Test func liveItemHasNoOutroAndShowsItsOverrun() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.items[1] = .init(state: .onAir, actualStart: Fixtures.frames(5))
        snapshot.items[2] = .init()
        snapshot.currentIndex = 1
        snapshot.nextIndex = 2
        snapshot.itemElapsed = Fixtures.frames(115)
        snapshot.position = Fixtures.frames(120)
        var screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(15) == "Item   Welcome and headlin… elapsed 1:55.0  remaining 0:05.0  live, planned 2:00")
        #expect(screen.lines[15].style(of: "0:05.0") == .highlight)
        #expect(screen.row(14) == "Notes  Bed under the first minute")
        snapshot.itemElapsed = Fixtures.frames(125)
        screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(15) == "Item   Welcome and h… elapsed 2:05.0  remaining +0:05.0 over  live, planned 2:00")
        #expect(screen.lines[15].style(of: "+0:05.0 over") == .warning)
    }

    @Test func overUnderSign() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.overUnder = Fixtures.frames(12.3)
        var screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(16).hasSuffix("over/under +0:12.3 over"))
        #expect(screen.lines[16].style(of: "+0:12.3 over") == .warning)
        snapshot.overUnder = -Fixtures.frames(4.5)
        screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(16).hasSuffix("over/under -0:04.5 under"))
        #expect(screen.lines[16].style(of: "-0:04.5 under") == .next)
        snapshot.overUnder = 0
        screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(16).hasSuffix("over/under on time"))
    }

    @Test func alarmsNewestFirstInTheStatusLine() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.alarms = [.init(.info, "Skipped 4 Snowfall — The Demo Band"), .init(.alarm, "Recorder: disk full")]
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(22) == "Status ! Recorder: disk full · Skipped 4 Snowfall — The Demo Band")
        #expect(screen.lines[22].style(of: "Recorder: disk full") == .alarm)
        #expect(screen.lines[22].style(of: "Skipped 4") == .normal)
        var narrow = snapshot
        narrow.alarms.append(.init(.warning, "Silence on the programme for more than 10 s"))
        let cut = model.screen(for: narrow, width: 80, height: 24)
        #expect(cut.row(22).hasPrefix("Status Silence on the programme for more than 10 s · ! Recorder: disk full · "))
        #expect(cut.row(22).hasSuffix("…") && cut.lines[22].width == 80)
        #expect(cut.lines[22].style(of: "Silence") == .warning)
    }

    @Test func quitQuestionReplacesTheStatusLine() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.quitPending = true
        snapshot.alarms = [.init(.alarm, "Recorder: disk full")]
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(22) == "Quit while on air? y = quit, n = carry on")
        #expect(screen.lines[22].runs.allSatisfy { $0.style == .alarm })
    }

    @Test func recorderCountersCartsAndMeters() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.recorder = .init(path: "/srv/radio/recordings/campus-magazine/2026-12-03/12.mp3", bytes: 12_345_678,
                                  elapsedFrames: Fixtures.frames(3723), overruns: 2)
        snapshot.xruns = 3
        snapshot.latePrefetch = 1
        snapshot.ducking = false
        snapshot.carts[1].playing = true
        snapshot.carts[1].remainingFrames = Fixtures.frames(3)
        snapshot.meters = .init(peakLeft: -6, peakRight: -0.5, shortTerm: -16, momentary: -14.96)
        var screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(19) == "REC    ● …rdings/campus-magazine/2026-12-03/12.mp3  12.3 MB  1:02:03  overruns 2")
        #expect(screen.lines[19].style(of: "overruns 2") == .warning)
        #expect(screen.row(20) == "Audio  xruns 3  late 1  ducking off  position 3:03.5")
        #expect(screen.lines[20].style(of: "xruns 3") == .warning)
        #expect(screen.row(21) == "Carts  [1 Station ID] [F2 Sting ▶ 0:03.0]")
        #expect(screen.lines[21].style(of: "F2 Sting") == .onAir)
        #expect(screen.lines[21].style(of: "1 Station ID") == .normal)
        // -60..0 dBFS over a 44-column bar at 80 columns: -6 dBFS fills 39 columns, -0.5 fills 43.
        let left = screen.row(17), right = screen.row(18)
        #expect(left.filter { $0 == "█" }.count == 39 && left.filter { $0 == "·" }.count == 5)
        #expect(left.hasSuffix("  -6.0 dBFS  Short-term -16.0 LUFS"))
        #expect(screen.lines[17].style(atColumn: 2) == .highlight)
        #expect(screen.lines[17].style(atColumn: 2 + 38) == .warning)
        #expect(right.filter { $0 == "█" }.count == 43)
        #expect(right.hasSuffix("  -0.5 dBFS  Momentary  -15.0 LUFS"))
        #expect(screen.lines[18].style(atColumn: 2 + 42) == .alarm)
        #expect(screen.lines[18].style(of: "-0.5 dBFS") == .alarm)
        snapshot.recorder?.error = "cannot write /srv/radio/recordings: No space left on device"
        screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(19) == "REC    ERROR cannot write /srv/radio/recordings: No space left on device")
        #expect(screen.lines[19].style(of: "ERROR") == .alarm)
    }

    @Test func standbyBeforeTheShow() {
        let plan = Fixtures.show6
        let snapshot = ConsoleSnapshot.standby(plan: plan, wallClock: Fixtures.wall(-30), utcOffsetSeconds: 3600)
        let screen = ConsoleViewModel(plan: plan).screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(0).hasSuffix(" 17:59:30  READY"))
        // Nothing aired: every start is projected from now.
        #expect(screen.row(2) == "»  1  17:59:30  0:05.0 JNG  Opener")
        #expect(screen.row(3) == "   2  17:59:35  2:00.0 LIVE Welcome and headlines")
        #expect(screen.row(14) == "Next   —")
        // On the air date, 30 s before air: the countdown.
        #expect(screen.row(15) == "Item   standby · on air in 0:30 · space starts 1 Opener")
        #expect(screen.lines[15].style(of: "standby") == .next)
        #expect(screen.lines[15].style(of: "0:30") == .warning)
    }

    @Test func skippedAndDroppedAreDimmedAndSaySo() {
        var snapshot = Fixtures.onAirSnapshot()
        snapshot.items[3].state = .skipped
        snapshot.items[4].state = .dropped
        snapshot.nextIndex = 5
        let screen = model.screen(for: snapshot, width: 80, height: 24)
        // No start or length for an item that never aired; a dropped one keeps its planned length.
        let blank = String(repeating: " ", count: 2 + 8 + 1)
        #expect(screen.row(5) == "✗  4" + blank + String(repeating: " ", count: 7) + " MUS  Snowfall — The Demo Band (skipped)")
        #expect(screen.row(6).hasPrefix("–  5" + blank + " 1:00.0 SEG  Café des étudiants") && screen.row(6).hasSuffix("…"))
        #expect(screen.lines[5].style(atColumn: 0) == .dim && screen.lines[6].style(atColumn: 0) == .dim)
        // The closer is next, at its back-timed start.
        #expect(screen.row(7) == "»  6  18:09:50  0:10.0 JNG  closer.wav ⇥ back-timed")
    }

    @Test func rundownScrollsToKeepTheItemOnAirVisible() {
        let items = (0..<30).map { (Fixtures.item($0, .jingle, "j\($0).wav", title: "Jingle \($0 + 1)"), Int64(10)) }
        let plan = Fixtures.plan(items, slot: 400)
        let model = ConsoleViewModel(plan: plan)
        var snapshot = ConsoleSnapshot.standby(plan: plan, wallClock: Fixtures.wall(200), utcOffsetSeconds: 3600)
        for index in 0..<20 { snapshot.items[index] = .init(state: .done, actualStart: Fixtures.frames(Double(index) * 10), actualLength: Fixtures.frames(10)) }
        snapshot.items[20] = .init(state: .onAir, actualStart: Fixtures.frames(200))
        snapshot.position = Fixtures.frames(200)
        snapshot.currentIndex = 20
        snapshot.nextIndex = 21
        snapshot.onAir = true
        var screen = model.screen(for: snapshot, width: 80, height: 24)
        // Two done items above the one on air, then the following ones.
        #expect(screen.row(2).hasPrefix("✓ 19  18:03:00"))
        #expect(screen.row(4).hasPrefix("▶ 21  18:03:20"))
        #expect(screen.row(5).hasPrefix("» 22  18:03:30"))
        #expect(screen.row(13).hasPrefix("  30  18:04:50"))
        #expect(!screen.text.contains("Jingle 18 ") && !screen.text.contains("Jingle 1 "))
        // At the end of the rundown the list does not scroll past the last item.
        for index in 20..<29 { snapshot.items[index] = .init(state: .done, actualStart: Fixtures.frames(Double(index) * 10), actualLength: Fixtures.frames(10)) }
        snapshot.items[29] = .init(state: .onAir, actualStart: Fixtures.frames(290))
        snapshot.currentIndex = 29
        snapshot.nextIndex = nil
        snapshot.position = Fixtures.frames(290)
        snapshot.wallClock = Fixtures.wall(290)
        screen = model.screen(for: snapshot, width: 80, height: 24)
        #expect(screen.row(2).hasPrefix("✓ 19  "))
        #expect(screen.row(13).hasPrefix("▶ 30  18:04:50"))
        // A taller terminal shows more of the rundown.
        screen = model.screen(for: snapshot, width: 120, height: 40)
        #expect(screen.row(2).hasPrefix("✓  3  "))
        #expect(screen.row(29).hasPrefix("▶ 30  "))
    }

    @Test func tinyTerminalStillGivesExactlyItsSize() {
        let screen = model.screen(for: Fixtures.onAirSnapshot(), width: 20, height: 5)
        #expect(screen.lines.count == 5)
        #expect(screen.lines.allSatisfy { $0.width <= 20 })
        #expect(screen.row(0) == "R… 18:03:03  ON AIR")
    }
}

/// Display width and truncation of UTF-8 titles.
@Suite struct DisplayWidthTests {
    @Test func widths() {
        #expect(DisplayWidth.of("Snowfall") == 8)
        #expect(DisplayWidth.of("Café") == 4)
        #expect(DisplayWidth.of("Cafe\u{301}") == 4)          // e + combining acute
        #expect(DisplayWidth.of("日本") == 4)
        #expect(DisplayWidth.of("インタビュー") == 12)
        #expect(DisplayWidth.of("한국어") == 6)
        #expect(DisplayWidth.of("ＡＢ") == 4)                  // fullwidth Latin
        #expect(DisplayWidth.of("— ▶ ✓ …") == 7)
    }

    @Test func truncationByDisplayWidthNeverSplitsAWideCharacter() {
        #expect(DisplayWidth.truncate("日本語", to: 6) == "日本語")
        #expect(DisplayWidth.truncate("日本語x", to: 6) == "日本…")
        #expect(DisplayWidth.truncate("日本語のインタビュー", to: 7) == "日本語…")
        #expect(DisplayWidth.of(DisplayWidth.truncate("日本語のインタビュー", to: 8)) == 8 - 1)
        #expect(DisplayWidth.truncate("Café des étudiants", to: 6) == "Café …")
        #expect(DisplayWidth.truncate("Cafe\u{301} noir", to: 5) == "Cafe\u{301}…")
        #expect(DisplayWidth.fit("日本", to: 6) == "日本  ")
        #expect(DisplayWidth.truncateLeading("/a/b/c/12.mp3", to: 8) == "…/12.mp3")
        #expect(DisplayWidth.truncate("anything", to: 0) == "")
    }
}
