import Console
import Foundation
import Testing
import TestSupport

/// The real console (ncursesw, `regie-console-demo` on a simulated show) in a tmux pane: keys
/// typed with `send-keys`, the screen read with `capture-pane`. Waits poll the screen with a
/// generous deadline, so a slow machine makes the test slower, not red.
@Suite(.serialized) struct ConsoleTmuxTests {
    /// A tmux server of its own (private socket, no user configuration), killed at the end.
    final class Tmux {
        let socket = "regie-test-\(UUID().uuidString.prefix(8))"

        @discardableResult
        func tmux(_ arguments: [String]) throws -> ProcessResult {
            try run("tmux", ["-L", socket, "-f", "/dev/null"] + arguments)
        }

        /// The visible screen, one string per row.
        func capture() throws -> [String] {
            try tmux(["capture-pane", "-p", "-t", "console"]).stdout.components(separatedBy: "\n")
        }

        /// Polls until `condition` holds on the screen; the last screen either way.
        @discardableResult
        func wait(_ what: String, timeout: Double = 60, until condition: ([String]) -> Bool) throws -> [String] {
            let deadline = Date().addingTimeInterval(timeout)
            var screen = try capture()
            while !condition(screen) {
                if Date() > deadline {
                    Issue.record("Timed out waiting for \(what). Screen:\n\(screen.joined(separator: "\n"))")
                    return screen
                }
                Thread.sleep(forTimeInterval: 0.1)
                screen = try capture()
            }
            return screen
        }

        /// The server, in the foreground (`-D`) as a child of the test: a daemonised server would
        /// keep the pipes of the client that started it open (and leave that client unreaped), so
        /// the client commands run against an already running server instead. It inherits the
        /// test runner's blocked signals, so it is ended with SIGKILL after `kill-server`.
        let server: RunningProgram

        init() throws {
            server = try RunningProgram("tmux", ["-L", socket, "-f", "/dev/null", "-D"])
            // Connect only once it listens, or `new-session` would start a daemon of its own.
            let directory = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
            let path = "\(directory)/tmux-\(getuid())/\(socket)"
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            Thread.sleep(forTimeInterval: 0.1)
        }

        /// A detached session running `command` in a `width`×`height` window.
        func start(_ command: String, width: Int = 80, height: Int = 24) throws {
            // The server needs a moment to listen on its socket.
            var result = try tmux(["new-session", "-d", "-s", "console", "-x", "\(width)", "-y", "\(height)", command])
            let deadline = Date().addingTimeInterval(30)
            while result.status != 0 && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
                result = try tmux(["new-session", "-d", "-s", "console", "-x", "\(width)", "-y", "\(height)", command])
            }
            try #require(result.status == 0, "tmux new-session failed: \(result.stderr)")
        }

        func keys(_ keys: String...) throws { try tmux(["send-keys", "-t", "console"] + keys) }

        deinit {
            _ = try? tmux(["kill-server"])
            if server.isRunning { server.send(SIGKILL) }
        }
    }

    /// A show with a jingle, a live item with notes, a segment with a Unicode title, a back-timed
    /// closer, and two carts long enough to be seen playing.
    static func makeShow() throws -> URL {
        let show = try TestShow(extra: """
            carts:
              - {key: "1", jingle: cart-one, title: Station ID}
              - {key: F1, jingle: sting, title: Sting}
            """)
        let rate = 8000
        func silence(_ seconds: Int) -> [Float] { [Float](repeating: 0, count: seconds * rate) }
        try show.writeAudio("jingles/opener.wav", samples: silence(1), sampleRate: rate)
        try show.writeAudio("jingles/closer.wav", samples: silence(2), sampleRate: rate)
        try show.writeAudio("jingles/cart-one.wav", samples: silence(60), sampleRate: rate)
        try show.writeAudio("jingles/sting.wav", samples: silence(60), sampleRate: rate)
        try show.writeAudio("audio/talk.wav", samples: silence(300), sampleRate: rate)
        return try show.writeRundown("""
            episode: 3
            title: Console under tmux
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 10:00
            items:
              - jingle: opener
              - live: Welcome and headlines
                planned: 2:00
                notes: Guest on mic 3
              - segment: audio/talk.wav
                title: Café talk 日本
              - jingle: closer
                backtime: true
            """)
    }

    static func row(_ screen: [String], startingWith prefix: String) -> String? { screen.first { $0.hasPrefix(prefix) } }

    @Test func goCartsResizeAndQuitOnTheRealTerminal() throws {
        try #require(TestSupport.hasProgram("tmux"), "tmux is needed (apt install tmux)")
        let rundown = try Self.makeShow()
        let demo = TestSupport.productsDirectory.appendingPathComponent("regie-console-demo").path
        let tmux = try Tmux()
        // The shell stays after the demo exits (until its terminal closes), so the exit status can be read on the screen.
        let command = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen '\(demo)' '\(rundown.path)' --air-clock; echo \"exit status $?\"; read -r line"
        try tmux.start(command)

        // Standby: the rundown, the first item marked next, the help line.
        var screen = try tmux.wait("the rundown") { $0.contains { $0.hasSuffix("READY") } && $0.contains { $0.hasPrefix("space GO") } }
        #expect(screen.count >= 24)
        #expect(Self.row(screen, startingWith: "»  1  ")?.contains("JNG  opener") == true)
        #expect(Self.row(screen, startingWith: "   2  ")?.contains("LIVE Welcome and headlines") == true)
        #expect(Self.row(screen, startingWith: "   3  ")?.contains("SEG  Café talk 日本") == true)
        #expect(screen.contains { $0.hasPrefix("space GO  Esc fade  b bed  p pause  s skip  c carts  ↑↓ edit  i insert") && $0.hasSuffix("q quit") })

        // GO: the opener airs, ends by itself, and the live item goes on air; the opener is done.
        try tmux.keys("Space")
        screen = try tmux.wait("the live item on air") {
            Self.row($0, startingWith: "▶  2  ") != nil && Self.row($0, startingWith: "✓  1  ") != nil
        }
        #expect(screen[0].contains("ON AIR"))
        #expect(Self.row(screen, startingWith: "✓  1  ")?.contains("JNG  opener") == true)
        #expect(Self.row(screen, startingWith: "»  3  ")?.contains("Café talk 日本") == true)
        #expect(screen.contains { $0.hasPrefix("Notes  Guest on mic 3") })

        // Carts: "1" and F1 fire; "1" again stops.
        try tmux.keys("1")
        try tmux.wait("cart 1 playing") { $0.contains { $0.contains("[1 Station ID ▶ ") } }
        try tmux.keys("F1")
        screen = try tmux.wait("cart F1 playing") { $0.contains { $0.contains("[F1 Sting ▶ ") } }
        #expect(screen.contains { $0.contains("[1 Station ID ▶ ") })
        try tmux.keys("1")
        screen = try tmux.wait("cart 1 stopped") { $0.contains { $0.contains("[1 Station ID] [F1 Sting ▶ ") } }

        // GO ends the live item and starts the segment.
        try tmux.keys("Space")
        screen = try tmux.wait("the segment on air") { Self.row($0, startingWith: "▶  3  ") != nil }
        #expect(Self.row(screen, startingWith: "▶  3  ")?.contains("SEG  Café talk 日本") == true)
        #expect(Self.row(screen, startingWith: "✓  2  ")?.contains("LIVE Welcome and headlines") == true)

        // Resize: the screen is drawn again at the new size.
        try tmux.tmux(["resize-window", "-t", "console", "-x", "120", "-y", "40"])
        screen = try tmux.wait("the 120×40 layout") { rows in
            rows.count >= 40 && rows.contains { $0.hasPrefix("space GO") } && rows[0].hasSuffix("ON AIR") && rows[0].count > 100
        }
        #expect(screen.firstIndex { $0.hasPrefix("space GO") } == 39)
        try tmux.tmux(["resize-window", "-t", "console", "-x", "80", "-y", "24"])
        screen = try tmux.wait("the 80×24 layout again") { rows in
            rows.firstIndex { $0.hasPrefix("space GO") } == 23 && rows[0].hasSuffix("ON AIR") && rows[0].count <= 80
        }

        // q asks while on air; n carries on; q then y quits and restores the terminal.
        try tmux.keys("q")
        try tmux.wait("the quit question") { $0.contains("Quit while on air? y = quit, n = carry on") }
        try tmux.keys("n")
        screen = try tmux.wait("the question gone") { !$0.contains("Quit while on air? y = quit, n = carry on") }
        #expect(Self.row(screen, startingWith: "▶  3  ") != nil)
        try tmux.keys("q")
        try tmux.wait("the quit question again") { $0.contains("Quit while on air? y = quit, n = carry on") }
        try tmux.keys("y")
        screen = try tmux.wait("a clean exit") { $0.contains("exit status 0") }
        #expect(screen.contains("regie-console-demo: quit cleanly"))
        // endwin restored the normal screen: none of the console is left on it.
        #expect(!screen.contains { $0.hasPrefix("space GO") })
    }

    @Test func sigtermRestoresTheTerminal() throws {
        try #require(TestSupport.hasProgram("tmux"), "tmux is needed (apt install tmux)")
        let rundown = try Self.makeShow()
        let demo = TestSupport.productsDirectory.appendingPathComponent("regie-console-demo").path
        let tmux = try Tmux()
        let command = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen '\(demo)' '\(rundown.path)'; echo \"exit status $?\"; read -r line"
        try tmux.start(command)
        try tmux.wait("the rundown") { $0.contains { $0.hasPrefix("space GO") } }
        let pid = try #require(try demoPid(in: tmux))
        kill(pid, SIGTERM)
        let screen = try tmux.wait("the exit after SIGTERM") { $0.contains { $0.hasPrefix("exit status ") } }
        #expect(screen.contains("exit status \(128 + SIGTERM)"))
        #expect(screen.contains("regie-console-demo: stopped by signal \(SIGTERM)"))
        #expect(!screen.contains { $0.hasPrefix("space GO") })
    }

    /// `regie play --auto` shows the console on a terminal: the real position moves the on-air
    /// marker, the recorder line shows the file, and `q` then `y` stops the show cleanly, leaving
    /// the recording and the as-run log of what aired.
    @Test func playShowsTheLiveConsoleAndQuitsOnConfirmation() throws {
        try #require(TestSupport.hasProgram("tmux"), "tmux is needed (apt install tmux)")
        let rundown = try Self.makeShow()
        let out = rundown.deletingLastPathComponent().appendingPathComponent("recordings")
        let tmux = try Tmux()
        let command = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen '\(TestSupport.regie.path)' play --auto '\(rundown.path)' "
            + "--device null --out '\(out.path)' --no-publish; echo \"exit status $?\"; read -r line"
        try tmux.start(command)
        try tmux.wait("the opener on air") { $0.contains { $0.hasPrefix("space GO") } && $0.contains { $0.contains("ON AIR") } }
        // The opener lasts a second: then it is done and the live item is on air.
        // (Both rows at once: a capture can catch ncurses half-way through a redraw.)
        let screen = try tmux.wait("the live item on air") {
            Self.row($0, startingWith: "▶  2") != nil && Self.row($0, startingWith: "✓  1") != nil
        }
        #expect(Self.row(screen, startingWith: "✓  1") != nil, "the opener is done")
        #expect(screen.contains { $0.hasPrefix("REC") && $0.contains("program.mp3") })
        try tmux.keys("q")
        try tmux.wait("the quit question") { $0.contains { $0.contains("y") && $0.lowercased().contains("quit") && !$0.hasPrefix("space GO") } }
        try tmux.keys("y")
        let end = try tmux.wait("the exit") { $0.contains { $0.hasPrefix("exit status ") } }
        #expect(end.contains("exit status 130"), "stopped before the end of the show")
        #expect(end.contains { $0.hasPrefix("Played ") })
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(files.contains("003-console-under-tmux-program.mp3"))
        let log = try String(contentsOf: out.appendingPathComponent("003-console-under-tmux.asrun.jsonl"), encoding: .utf8)
        #expect(log.contains("\"item_started\"") && log.contains("Welcome and headlines"))
    }

    /// After the air the console stays up while the episode is published and mirrored to the
    /// station's web host: it shows the transfer under way, the host lost in the middle of it
    /// and the retries' countdown; q stops waiting, the mirror is left pending (exit status 5,
    /// said in the summary), and `regie publish --retry` sends it once the host is back.
    @Test func theConsoleFollowsTheMirrorToTheWebHostAndQLeavesItPending() throws {
        try #require(TestSupport.hasProgram("tmux"), "tmux is needed (apt install tmux)")
        let ssh = try SSHServer()
        let far = try TempDir("regie-far").url
        defer { try? FileManager.default.removeItem(at: far) }
        let show = try TestShow()
        let tone = (0..<(44100 * 6)).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 44100)) }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: 44100)
        // 96 kbit/s to the host: the episode and its artwork take about 20 s to send.
        try """
            publish: public
            remote: \(ssh.url(far.path))
            remote_limit_kbps: 96
            """.write(to: show.root.appendingPathComponent("station.yaml"), atomically: true, encoding: .utf8)
        let air = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withInternetDateTime])
        let rundown = try show.writeRundown("""
            episode: 4
            title: Mirror under tmux
            description: On air now.
            air: \(air)
            slot: 7
            items:
              - segment: audio/talk.wav
                title: Talk
            """, name: String(air.prefix(10)) + ".yaml")
        let tmux = try Tmux()
        let command = "cd '\(show.root.path)' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen REGIE_SSH_COMMAND='\(ssh.sshCommand)' "
            + "'\(TestSupport.regie.path)' play --auto --now '\(rundown.path)' --device null --record program; "
            + "echo \"exit status $?\"; read -r line"
        try tmux.start(command, width: 120, height: 24)
        let sending = try tmux.wait("the transfer on the console", timeout: 90) { screen in
            screen.contains { $0.contains("OFF AIR") } && screen.contains { $0.contains("web host: ") && $0.contains("% sent") }
        }
        #expect(sending.contains { $0.contains("published ") }, "the local publish is shown done before the mirror")
        #expect(sending.contains { $0.hasPrefix("The show is over") })
        ssh.stop()
        try tmux.wait("the host lost and the retry's countdown", timeout: 60) { screen in
            screen.contains { $0.contains("not reached") && $0.contains("trying again in") }
        }
        try tmux.keys("q")
        let end = try tmux.wait("the exit", timeout: 60) { $0.contains { $0.hasPrefix("exit status ") } }
        #expect(end.contains("exit status 5"), "published here, not on the web host: \(end.joined(separator: "\n"))")
        #expect(end.joined().contains("PENDING"), "the summary says the mirror is pending")
        let local = show.root.appendingPathComponent("public/test-show")
        #expect(FileManager.default.fileExists(atPath: local.appendingPathComponent(".publish-pending").path))

        try ssh.start()
        let retry = try run(TestSupport.regie.path, ["publish", "--retry"], in: show.root, environment: ssh.environment)
        #expect(retry.status == 0, "\(retry.stdout)\n\(retry.stderr)")
        #expect(filesByPath(under: far.appendingPathComponent("test-show")) == filesByPath(under: local))
        #expect(!FileManager.default.fileExists(atPath: local.appendingPathComponent(".publish-pending").path))
    }

    /// The demo's process id: the child of the pane's shell.
    func demoPid(in tmux: Tmux) throws -> pid_t? {
        let shell = try tmux.tmux(["display-message", "-p", "-t", "console", "#{pane_pid}"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try run("pgrep", ["-P", shell, "-f", "regie-console-demo"]).stdout
        return children.split(separator: "\n").first.flatMap { pid_t($0) }
    }
}
