import Foundation
import Realtime
import MP3
import Production
import Support
import Playout
import RegieModel
import Testing
import TestSupport

/// Every line of a JSONL file parsed by Python's json module (a torn line fails the script).
private let pyReadLines = #"""
import sys, json
raw = open(sys.argv[1], "rb").read()
print(json.dumps({"ends_with_newline": raw.endswith(b"\n"),
                  "lines": [json.loads(l) for l in raw.decode("utf-8").split("\n") if l]}))
"""#

@Suite("As-run log (read back by Python's json)")
struct AsRunLogTests {
    static let items = [
        TestItem(kind: .jingle, title: "opener", seconds: 5),
        TestItem(kind: .segment, title: "Interview with the dean", seconds: 20),
        TestItem(kind: .music, title: "Snowfall", artist: "The Demo Band", seconds: 20),
        TestItem(kind: .live, title: "Welcome and “headlines”", seconds: 20),
        TestItem(kind: .music, title: "Café \"Noir\"", artist: "Été Trio", seconds: 20),
        TestItem(kind: .jingle, title: "closer", seconds: 5),
    ]

    @Test("lines logged from several threads, as the live show logs them, parse back with every field")
    func linesParseBack() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, items: Self.items, carts: [("1", "station-id")])
        let url = dir.appendingPathComponent("012.asrun.jsonl")
        let zone = try #require(TimeZone(secondsFromGMT: 3600))
        let writer = try AsRunLogWriter(url: url, catalog: AsRunCatalog(plan: plan), timeZone: zone)
        writer.start(interval: 0.005)
        let rate = Int64(plan.sampleRate)
        let stamped = WallClock.nanoseconds()
        let events: [AsRunEvent] = [
            AsRunEvent(.showStarted, position: 0, wallNanoseconds: stamped),
            AsRunEvent(.itemStarted, position: 0, item: 0, wallNanoseconds: stamped),
            AsRunEvent(.itemStarted, position: 5 * rate, item: 1),
            AsRunEvent(.cartFired, position: 7 * rate, cart: 0),
            AsRunEvent(.cartStopped, position: 8 * rate, cart: 0),
            AsRunEvent(.itemEnded, position: 25 * rate, item: 1),
            AsRunEvent(.itemStarted, position: 25 * rate, item: 2),
            AsRunEvent(.itemFaded, position: 30 * rate, item: 2, detail: 2 * rate),
            AsRunEvent(.paused, position: 33 * rate),
            AsRunEvent(.resumed, position: 34 * rate),
            AsRunEvent(.itemSkipped, position: 34 * rate, item: 4),
            .alarm(.silence, position: 40 * rate),
        ]
        // The tracker's side: another control thread logging while the writer thread drains.
        let producer = Thread { for e in events { writer.log(e) } }
        producer.start()
        while writer.linesWritten < events.count + 1 { usleep(1000) }
        writer.log(.alarm(.recorderDiskError, position: 41 * rate), file: "/full/disk.mp3", message: "No space left on device")
        writer.log(AsRunEvent(.recordingStopped, position: 42 * rate, source: .capture))
        writer.stop()
        #expect(writer.writeErrors == 0)

        let py = try #require(pythonJSON(pyReadLines, [url.path], interpreter: systemPython) as? [String: Any])
        #expect(py["ends_with_newline"] as? Bool == true)
        let lines = try #require(py["lines"] as? [[String: Any]])
        #expect(lines.count == events.count + 3)
        #expect(lines.map { $0["seq"] as? Int } == Array(1...(events.count + 3)))
        #expect(lines.map { $0["event"] as? String } == [
            "log_opened", "show_started", "item_started", "item_started", "cart_fired", "cart_stopped", "item_ended",
            "item_started", "item_faded", "paused", "resumed", "item_skipped", "alarm", "alarm", "recording_stopped"])
        for line in lines {
            #expect(line["sample_rate"] as? Int == 44100)
            let wall = try #require(line["wall"] as? String)
            #expect(wall.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+01:00/) != nil, "wall \(wall)")
            // The written time is the unix_ms instant in +01:00.
            let ms = try #require(line["unix_ms"] as? Int)
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSxxx"
            let parsed = try #require(f.date(from: wall))
            #expect(abs(parsed.timeIntervalSince1970 * 1000 - Double(ms)) < 1.5)
            let position = try #require(line["position"] as? Int)
            #expect(abs((line["seconds"] as? Double ?? -1) - Double(position) / 44100) < 0.001)
        }
        #expect(lines[0]["show"] as? String == "Campus Magazine")
        #expect(lines[0]["episode"] as? Int == 12)
        #expect(lines[1]["unix_ms"] as? Int == Int(stamped / 1_000_000), "a stamped event keeps its time")
        // Items: 1-based number, kind, title; music carries the artist.
        #expect(lines[2]["item"] as? Int == 1 && lines[2]["kind"] as? String == "jingle" && lines[2]["title"] as? String == "opener")
        #expect(lines[3]["title"] as? String == "Interview with the dean" && lines[3]["kind"] as? String == "segment")
        #expect(lines[3]["artist"] == nil)
        #expect(lines[3]["position"] as? Int == 5 * 44100)
        #expect(lines[4]["kind"] as? String == "cart" && lines[4]["key"] as? String == "1"
                && lines[4]["title"] as? String == "station-id" && lines[4]["cart"] as? Int == 1)
        #expect(lines[7]["kind"] as? String == "music" && lines[7]["title"] as? String == "Snowfall"
                && lines[7]["artist"] as? String == "The Demo Band" && lines[7]["item"] as? Int == 3)
        #expect(lines[8]["fade_frames"] as? Int == 2 * 44100)
        #expect(lines[11]["title"] as? String == "Café \"Noir\"" && lines[11]["artist"] as? String == "Été Trio")
        #expect(lines[12]["alarm"] as? String == "silence")
        #expect(lines[13]["alarm"] as? String == "recorder_disk_error" && lines[13]["file"] as? String == "/full/disk.mp3"
                && lines[13]["message"] as? String == "No space left on device")
        #expect(lines[14]["source"] as? String == "capture")

        // Our reader agrees with Python.
        let entries = try AsRunLog.read(url)
        #expect(entries.count == lines.count)
        #expect(entries[7].item == 2 && entries[7].artist == "The Demo Band" && entries[7].chapterTitle == "Snowfall — The Demo Band")
        #expect(entries[8].fadeFrames == Optional(Int64(2 * 44100)))
        #expect(entries[13].alarm == .recorderDiskError)
        #expect(entries[14].source == .capture)
    }

    @Test("kill -9 after N events leaves exactly N complete lines (fsync line by line)")
    func killedChildLeavesCompleteLines() throws {
        let probe = TestSupport.productsDirectory.appendingPathComponent("recorder-crash-probe")
        try #require(FileManager.default.isExecutableFile(atPath: probe.path), "missing \(probe.path)")
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("7.asrun.jsonl")
        let n = 57
        let p = try RunningProgram(probe.path, ["asrun", url.path, "\(n)"])
        let text = p.waitForOutput { $0.contains("logged \(n)") }
        p.send(SIGKILL)
        let ended = p.wait()
        #expect(ended.signalled && ended.status == SIGKILL)
        #expect(text.contains("logged \(n)"), "probe said: \(text)")

        let py = try #require(pythonJSON(pyReadLines, [url.path], interpreter: systemPython) as? [String: Any])
        #expect(py["ends_with_newline"] as? Bool == true)
        let lines = try #require(py["lines"] as? [[String: Any]])
        #expect(lines.count == n + 1, "log_opened + \(n) events")
        let events = lines.dropFirst()
        #expect(events.map { $0["position"] as? Int } == (0..<n).map { $0 * 48000 })
        #expect(events.filter { $0["event"] as? String == "item_started" }.allSatisfy {
            $0["title"] as? String == "Song \"one\"" && $0["artist"] as? String == "Band"
        })
    }

    @Test("chapters come from what aired: jingles, carts, skipped and dropped items excluded; fades cut")
    func chaptersFromAsRun() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, items: Self.items, carts: [("1", "station-id")])
        let url = dir.appendingPathComponent("012.asrun.jsonl")
        let r = Int64(plan.sampleRate)

        // An earlier session in the same log (a log of an earlier version, when runs appended to
        // one file) must not count.
        do {
            let w = try AsRunLogWriter(url: url, catalog: AsRunCatalog(plan: plan))
            w.log(AsRunEvent(.itemStarted, position: 0, item: 2))
            w.log(AsRunEvent(.showEnded, position: 100 * r))
            w.stop()
        }
        let earlier = try Data(contentsOf: url)
        try FileManager.default.removeItem(at: url)
        let w = try AsRunLogWriter(url: url, catalog: AsRunCatalog(plan: plan))
        w.drain()
        let handle = try FileHandle(forUpdating: url)
        let opened = handle.readDataToEndOfFile()
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: earlier + opened)
        try handle.close()
        for e in [
            AsRunEvent(.recordingStarted, position: 1 * r, source: .program),
            AsRunEvent(.itemStarted, position: 2 * r, item: 0),          // jingle: no chapter
            AsRunEvent(.itemStarted, position: 6 * r, item: 1),          // segment
            AsRunEvent(.cartFired, position: 10 * r, cart: 0),           // cart: no chapter
            AsRunEvent(.itemEnded, position: 26 * r, item: 1),
            AsRunEvent(.itemDropped, position: 26 * r, item: 4),         // dropped: no chapter
            AsRunEvent(.itemStarted, position: 26 * r, item: 2),         // music, faded at 30 s over 2 s
            AsRunEvent(.itemFaded, position: 30 * r, item: 2, detail: 2 * r),
            AsRunEvent(.itemEnded, position: 32 * r, item: 2),
            AsRunEvent(.itemStarted, position: 33 * r, item: 5),         // jingle between: belongs to no chapter
            AsRunEvent(.itemSkipped, position: 35 * r, item: 4),         // skipped before it started
            AsRunEvent(.itemStarted, position: 38 * r, item: 3),         // live
            AsRunEvent(.itemSkipped, position: 50 * r, item: 3),         // skipped while on air: ends there
            AsRunEvent(.itemStarted, position: 52 * r, item: 4),         // music, runs to the end
            AsRunEvent(.recordingStopped, position: 60 * r, source: .program),
            AsRunEvent(.showEnded, position: 61 * r),
        ] { w.log(e) }
        w.stop()

        let chapters = AsRunLog.chapters(fromAsRun: try AsRunLog.read(url))
        // Relative to the recording's first frame (programme position 1 s).
        #expect(chapters == [
            Chapter(title: "Interview with the dean", startMs: 5000, endMs: 25000),
            Chapter(title: "Snowfall — The Demo Band", startMs: 25000, endMs: 31000),
            Chapter(title: "Welcome and “headlines”", startMs: 37000, endMs: 49000),
            Chapter(title: "Café \"Noir\" — Été Trio", startMs: 51000, endMs: 59000),
        ])
        // With an explicit window: the recording started late, mid-segment, and ended early.
        let clipped = AsRunLog.chapters(fromAsRun: try AsRunLog.read(url), recordingStart: 10 * r, recordingEnd: 40 * r)
        #expect(clipped == [
            Chapter(title: "Interview with the dean", startMs: 0, endMs: 16000),
            Chapter(title: "Snowfall — The Demo Band", startMs: 16000, endMs: 22000),
            Chapter(title: "Welcome and “headlines”", startMs: 28000, endMs: 30000),
        ])
    }
}
