import Foundation
import Testing
import TestSupport

/// `regie publish` and `regie unpublish` to a web host over SSH (issue 17): Debian's OpenSSH
/// server on a loopback port with the test's own keys, rsync over ssh, the far folder compared
/// with the local one byte for byte, the public copy fetched back through `regie serve` on the
/// far folder.
@Suite(.serialized) struct RemotePublishTests {
    /// A show with two episodes' rundowns and a rendered MP3 each.
    struct Fixture {
        let show: TestShow
        let rundowns: [URL]
        let mp3s: [URL]
        var local: URL { show.root.appendingPathComponent("public/test-show") }
    }

    static func fixture(baseURL: String = "https://radio.example.org/podcasts/test/") throws -> Fixture {
        let show = try TestShow(baseURL: baseURL)
        let tone = (0..<(44100 * 6)).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 44100)) }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: 44100)
        try show.writeAudio("jingles/sting.wav", samples: Array(tone.prefix(44100)), sampleRate: 44100)
        var rundowns: [URL] = [], mp3s: [URL] = []
        for (n, day) in [(1, "2026-12-03"), (2, "2026-12-10")] {
            let rundown = try show.writeRundown("""
                episode: \(n)
                title: Episode \(n)
                description: A short episode for the remote publishing test.
                air: \(day)T18:00:00+01:00
                slot: 7
                items:
                  - jingle: sting
                  - segment: audio/talk.wav
                    title: Talk
                """, name: "\(day).yaml")
            let mp3 = show.root.appendingPathComponent("ep\(n).mp3")
            let render = try TestSupport.regie(["render", rundown.path, "-o", mp3.path])
            #expect(render.status == 0, "\(render.stderr)")
            rundowns.append(rundown)
            mp3s.append(mp3)
        }
        return Fixture(show: show, rundowns: rundowns, mp3s: mp3s)
    }

    /// `regie serve` on the far folder, as the web host serves it: the server and its port, once it listens.
    static func serve(_ far: URL) throws -> (RunningProgram, Int) {
        let port = try TestSupport.freePort()
        let web = try RunningProgram(TestSupport.regie.path, ["serve", far.path, "--port", "\(port)"])
        #expect(web.waitFor("Serving ", timeout: 30))
        return (web, port)
    }

    /// `regie` with the test server's ssh settings, from the show's root folder.
    static func regie(_ arguments: [String], _ ssh: SSHServer, in root: URL) throws -> ProcessResult {
        try run(TestSupport.regie.path, arguments, in: root, environment: ssh.environment)
    }

    @Test func publishRepublishAndUnpublishLeaveTheFarFolderEqualToTheLocalOne() throws {
        let ssh = try SSHServer()
        let f = try Self.fixture()
        let far = try TempDir("regie-far").url
        defer { try? FileManager.default.removeItem(at: far) }
        // The far folder served as a web host would, for the check after each publish.
        let (web, port) = try Self.serve(far)
        defer { web.send(SIGTERM); _ = web.wait() }
        let baseURL = "http://127.0.0.1:\(port)/test-show/"

        let first = try Self.regie(["publish", f.rundowns[0].path, f.mp3s[0].path, "--to", ssh.url(far.path),
                                    "--base-url", baseURL], ssh, in: f.show.root)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("mirrored to \(ssh.url(far.path))/test-show/"), "\(first.stdout)")
        #expect(first.stdout.contains("checked at \(baseURL)feed.xml"), "\(first.stdout)")
        let local = filesByPath(under: f.local)
        #expect(local.keys.contains("feed.xml") && local.keys.contains { $0.hasSuffix(".mp3") })
        #expect(filesByPath(under: far.appendingPathComponent("test-show")) == local)

        // The same episode again: only what changed goes over the wire (not the MP3 again).
        let mp3Size = try #require(local.first { $0.key.hasSuffix(".mp3") }?.value.count)
        let again = try Self.regie(["publish", f.rundowns[0].path, f.mp3s[0].path, "--to", ssh.url(far.path),
                                    "--base-url", baseURL], ssh, in: f.show.root)
        #expect(again.status == 0, "\(again.stderr)")
        let sent = try #require(again.stdout.firstMatch(of: /(\d+) bytes sent/).flatMap { Int($0.1) }, "\(again.stdout)")
        #expect(sent < mp3Size / 4, "a re-publish sent \(sent) bytes for a \(mp3Size)-byte episode that did not change")
        print("[measure] re-publish of an unchanged episode: \(sent) bytes sent (episode \(mp3Size) bytes)")

        let second = try Self.regie(["publish", f.rundowns[1].path, f.mp3s[1].path, "--to", ssh.url(far.path),
                                     "--base-url", baseURL], ssh, in: f.show.root)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(filesByPath(under: far.appendingPathComponent("test-show")) == filesByPath(under: f.local))

        // Unpublishing the first: gone on the far side too, the feed no longer names it.
        let removed = try Self.regie(["unpublish", f.rundowns[0].path, "--to", ssh.url(far.path)], ssh, in: f.show.root)
        #expect(removed.status == 0, "\(removed.stderr)")
        let farFiles = filesByPath(under: far.appendingPathComponent("test-show"))
        #expect(farFiles == filesByPath(under: f.local))
        #expect(farFiles.keys.filter { $0.hasSuffix(".mp3") }.count == 1)
        // Dot-files (the publisher's lock, a pending mark) never leave the studio.
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: far.appendingPathComponent("test-show").path)) ?? [])
            .contains { $0.hasPrefix(".") })
    }

    @Test func anUnreachableHostLeavesThePublishPendingAndRetrySendsIt() throws {
        let ssh = try SSHServer()
        let f = try Self.fixture()
        let far = try TempDir("regie-far").url
        defer { try? FileManager.default.removeItem(at: far) }
        ssh.stop()
        let started = Date()
        let down = try Self.regie(["publish", f.rundowns[0].path, f.mp3s[0].path, "--to", ssh.url(far.path), "--retry-for", "2"],
                                  ssh, in: f.show.root)
        let seconds = Date().timeIntervalSince(started)
        // The local publish is whole; the remote one is said to be pending, after a bounded wait.
        #expect(down.status == 1)
        #expect(FileManager.default.fileExists(atPath: f.local.appendingPathComponent("feed.xml").path))
        #expect(down.stdout.contains("remote publish PENDING"), "\(down.stdout)")
        #expect(down.stderr.contains("trying again in 1 s"), "\(down.stderr)")
        #expect(seconds < 30, "gave up after \(seconds) s")
        #expect(FileManager.default.fileExists(atPath: f.local.appendingPathComponent(".publish-pending").path))
        #expect(!FileManager.default.fileExists(atPath: far.appendingPathComponent("test-show/feed.xml").path))

        try ssh.start()
        let retry = try Self.regie(["publish", "--retry"], ssh, in: f.show.root)
        #expect(retry.status == 0, "\(retry.stdout)\n\(retry.stderr)")
        #expect(filesByPath(under: far.appendingPathComponent("test-show")) == filesByPath(under: f.local))
        #expect(!FileManager.default.fileExists(atPath: f.local.appendingPathComponent(".publish-pending").path))
        let nothing = try Self.regie(["publish", "--retry"], ssh, in: f.show.root)
        #expect(nothing.status == 0 && nothing.stdout.contains("Nothing pending"), "\(nothing.stdout)")
    }

    @Test func aDestinationThatIsNotOneIsRefusedBeforeAnything() throws {
        let f = try Self.fixture()
        for (bad, why) in [("ssh://root:secret@host/x", "a password does not go in the address"),
                           ("ssh://host", "it names no folder"), ("ssh://host:99999/x", "the port must be a number"),
                           ("ssh://a;touch${IFS}pwned@host/x", "is not a user name")] {
            let result = try TestSupport.regie(["publish", f.rundowns[0].path, f.mp3s[0].path, "--to", bad], in: f.show.root)
            #expect(result.status == 2, "\(bad)")
            #expect(result.stderr.contains(why), "\(bad): \(result.stderr)")
            #expect(!result.stderr.contains("secret"), "a password repeated: \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: f.local.path), "nothing published for \(bad)")
        }
    }

    /// The end of a live show: the episode published locally, then mirrored to the station's
    /// `remote:` — and the SSH server stopped in the middle of that transfer (its sessions cut),
    /// back 3 s later: the air and the local publish are whole, the mirror tries again by itself,
    /// resumes from what had arrived, and the public copy is fetched back through the show's
    /// `base_url` (`regie serve` on the far folder).
    @Test func aLiveShowIsMirroredAfterItsLocalPublishThroughTheHostGoingDownMidTransfer() throws {
        let ssh = try SSHServer()
        let far = try TempDir("regie-far").url
        defer { try? FileManager.default.removeItem(at: far) }
        let (web, port) = try Self.serve(far)
        defer { web.send(SIGTERM); _ = web.wait() }
        let f = try Self.fixture(baseURL: "http://127.0.0.1:\(port)/test-show/")
        // 160 kbit/s: the episode (about 110 KB) and its artwork take about 14 s to send.
        try """
            publish: public
            remote: \(ssh.url(far.path))
            remote_limit_kbps: 160
            """.write(to: f.show.root.appendingPathComponent("station.yaml"), atomically: true, encoding: .utf8)
        // On air now, in its slot (a rehearsal is never published).
        let air = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withInternetDateTime])
        let rundown = try f.show.writeRundown("""
            episode: 3
            title: Episode 3
            description: On air now.
            air: \(air)
            slot: 7
            items:
              - jingle: sting
              - segment: audio/talk.wav
                title: Talk
            """, name: String(air.prefix(10)) + ".yaml")
        let play = try RunningProgram(TestSupport.regie.path,
                                      ["play", "--auto", "--now", rundown.path, "--device", "null", "--record", "program"],
                                      in: f.show.root, environment: ssh.environment)
        // The episode arriving on the far side under rsync's temporary name: cut the host off
        // 3 s into it (rsync's receiver writes in 32 KB blocks, so the name is what shows).
        let farShow = far.appendingPathComponent("test-show")
        let deadline = Date().addingTimeInterval(90)
        var arriving: String?
        while arriving == nil && play.isRunning && Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: farShow.path)) ?? []
            arriving = names.first { $0.hasPrefix(".") && $0.contains(".mp3.") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(arriving != nil, "the transfer was never seen under way: \(play.stdout) \(play.stderr)")
        Thread.sleep(forTimeInterval: 3)
        ssh.stop()
        // What had arrived is kept on the host for the next attempt.
        let partial = farShow.appendingPathComponent(".regie-partial")
        var kept = 0
        let keptDeadline = Date().addingTimeInterval(10)
        while kept == 0 && Date() < keptDeadline {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: partial.path)) ?? [] where name.hasSuffix(".mp3") {
                kept = (try? FileManager.default.attributesOfItem(atPath: partial.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(kept > 0, "nothing of the episode kept in .regie-partial after the cut")
        Thread.sleep(forTimeInterval: 3)
        try ssh.start()
        let played = play.result(timeout: 180)
        #expect(played.status == 0, "\(played.stdout)\n\(played.stderr)\nthe host's log:\n\(ssh.log)")
        #expect(played.stdout.contains("published "), "\(played.stdout)")
        #expect(played.stderr.contains("not reached"), "the outage is said: \(played.stderr)")
        let mirrored = try #require(played.stdout.firstMatch(of: /mirrored to (\S+)\/test-show\/: (\d+) bytes sent in [\d.]+ s \(attempt (\d+)\)/),
                                    "\(played.stdout)")
        #expect(mirrored.1 == ssh.url(far.path))
        #expect(Int(mirrored.3)! >= 2)
        #expect(played.stdout.contains("checked at http://127.0.0.1:\(port)/test-show/feed.xml"), "\(played.stdout)")
        let local = filesByPath(under: f.local)
        let episode = try #require(local.first { $0.key.hasSuffix(".mp3") })
        #expect(local.keys.contains("feed.xml"))
        #expect(filesByPath(under: farShow) == local)
        print("[measure] host cut off \(kept) bytes into a \(episode.value.count)-byte episode; attempt \(mirrored.3) sent \(mirrored.2) bytes")
        // Nothing half-sent or of the studio's left on the host.
        let hidden = ((try? FileManager.default.contentsOfDirectory(atPath: farShow.path)) ?? []).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
        #expect(!FileManager.default.fileExists(atPath: f.local.appendingPathComponent(".publish-pending").path))
    }

    /// While a listener's app fetches the feed and every enclosure it names in a loop from the
    /// far folder (served by `regie serve`), 50 publishes and unpublishes go over SSH: the app
    /// never sees a torn feed, nor a feed naming a file that is missing or short.
    @Test func aListenerNeverSeesATornFeedOrAMissingEnclosureDuringFiftyChanges() throws {
        let ssh = try SSHServer()
        let f = try Self.fixture()
        let far = try TempDir("regie-far").url
        defer { try? FileManager.default.removeItem(at: far) }
        let (web, port) = try Self.serve(far)
        defer { web.send(SIGTERM); _ = web.wait() }
        let base = "http://127.0.0.1:\(port)/test-show/"
        let first = try Self.regie(["publish", f.rundowns[0].path, f.mp3s[0].path, "--to", ssh.url(far.path), "--base-url", base],
                                   ssh, in: f.show.root)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let stop = far.deletingLastPathComponent().appendingPathComponent("stop-\(port)")
        let listener = try RunningProgram("python3", ["-c", """
            import os, re, sys, time, urllib.request, xml.etree.ElementTree as ET
            base, stop = sys.argv[1], sys.argv[2]
            checks = bad = 0
            while not os.path.exists(stop):
                feed = urllib.request.urlopen(base + "feed.xml", timeout=10).read()
                try:
                    ET.fromstring(feed)
                except ET.ParseError as e:
                    bad += 1; print("torn feed:", e, flush=True); continue
                for url, length in re.findall(rb'<enclosure url="([^"]+)" length="(\\d+)"', feed):
                    req = urllib.request.Request(url.decode(), method="HEAD")
                    try:
                        got = urllib.request.urlopen(req, timeout=10).headers["Content-Length"]
                        if int(got) != int(length): bad += 1; print("short:", url, got, length, flush=True)
                    except Exception as e:
                        bad += 1; print("missing:", url, e, flush=True)
                    checks += 1
                time.sleep(0.01)
            print("checks", checks, "bad", bad)
            """, base, stop.path])
        for cycle in 0..<25 {
            let up = try Self.regie(["publish", f.rundowns[1].path, f.mp3s[1].path, "--to", ssh.url(far.path), "--base-url", base],
                                    ssh, in: f.show.root)
            let down = try Self.regie(["unpublish", f.rundowns[1].path, "--to", ssh.url(far.path)], ssh, in: f.show.root)
            #expect(up.status == 0 && down.status == 0, "cycle \(cycle): \(up.stderr) \(down.stderr)")
        }
        #expect(FileManager.default.createFile(atPath: stop.path, contents: nil))
        let result = listener.result(timeout: 60)
        try? FileManager.default.removeItem(at: stop)
        let numbers = result.stdout.firstMatch(of: /checks (\d+) bad (\d+)/).map { (Int($0.1)!, Int($0.2)!) }
        let (checks, bad) = try #require(numbers, "\(result.stdout)\n\(result.stderr)")
        print("[measure] 50 remote publishes and unpublishes: the listener checked \(checks) enclosures, \(bad) wrong")
        #expect(checks > 50, "the listener ran throughout")
        #expect(bad == 0, "\(result.stdout)")
        #expect(filesByPath(under: far.appendingPathComponent("test-show")) == filesByPath(under: f.local))
    }
}
