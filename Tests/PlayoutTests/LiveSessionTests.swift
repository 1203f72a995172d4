import AudioIO
import Foundation
import Podcast
import Realtime
import MP3
import Production
import Playout
import RegieModel
import Testing
import TestSupport

private let mutagenTag = #"""
import sys, json
from mutagen.id3 import ID3
t = ID3(sys.argv[1], translate=False)
print(json.dumps({
  "TIT2": str(t["TIT2"].text[0]), "TALB": str(t["TALB"].text[0]), "TPE1": str(t["TPE1"].text[0]),
  "TRCK": str(t["TRCK"].text[0]), "TYER": str(t["TYER"].text[0]), "TDAT": str(t["TDAT"].text[0]),
  "APIC": len(t.getall("APIC")),
  "CHAP": [{"title": str(c.sub_frames["TIT2"].text[0]), "start": c.start_time, "end": c.end_time}
           for c in t.getall("CHAP")]}))
"""#

/// A feedparser-free check of the feed: Python's XML parser reads items and enclosures.
private let pyFeed = #"""
import sys, json
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
items = []
for it in root.iter("item"):
    enc = it.find("enclosure")
    items.append({"title": it.findtext("title"), "url": enc.get("url"), "length": int(enc.get("length")),
                  "type": enc.get("type")})
print(json.dumps(items))
"""#

@Suite("Live recording session and episode finisher")
struct LiveSessionTests {
    static let items = [
        TestItem(kind: .jingle, title: "opener", seconds: 1),
        TestItem(kind: .segment, title: "Interview", seconds: 3),
        TestItem(kind: .music, title: "Snowfall", artist: "The Demo Band", seconds: 3),
        TestItem(kind: .live, title: "Goodbye", seconds: 3),
    ]

    /// Plays a little show into `session`: events through the render queue, the same audio into
    /// every recorder, 10 ms blocks. Returns the programme frames fed.
    static func play(_ session: LiveRecordingSession, audio: [Float], rate: Int) -> Int64 {
        let r = Int64(rate)
        let events: [(Int64, AsRunEvent)] = [
            (0, AsRunEvent(.showStarted, position: 0)),
            (0, AsRunEvent(.itemStarted, position: 0, item: 0)),
            (r, AsRunEvent(.itemStarted, position: r, item: 1)),
            (2 * r, AsRunEvent(.cartFired, position: 2 * r, cart: 0)),
            (4 * r, AsRunEvent(.itemStarted, position: 4 * r, item: 2)),
            (6 * r, AsRunEvent(.itemFaded, position: 6 * r, item: 2, detail: r / 2)),
            (7 * r, AsRunEvent(.itemStarted, position: 7 * r, item: 3)),
        ]
        let done = DispatchSemaphore(value: 0)
        let frames = audio.count / 2
        let t = Thread {
            var next = 0
            audio.withUnsafeBufferPointer { buf in
                var frame = 0
                while frame < frames {
                    while next < events.count && events[next].0 <= Int64(frame) {
                        session.asRun?.log(events[next].1)
                        next += 1
                    }
                    let n = min(rate / 100, frames - frame)
                    let block = UnsafeBufferPointer(rebasing: buf[(2 * frame)..<(2 * (frame + n))])
                    for recorder in session.recorders {
                        while !recorder.feed.offer(block) { usleep(1000) }  // a test producer may wait
                    }
                    frame += n
                    usleep(1000)  // ~10x real time
                }
            }
            done.signal()
        }
        t.start()
        done.wait()
        return Int64(frames)
    }

    @Test("--record both: paired files, tags and chapters from the as-run log; a second run gets -2; none logs only")
    func bothRecordersAndNames() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, rate: 44100, items: Self.items, carts: [("1", "station-id")])
        let rate = plan.sampleRate
        let audio = sineInterleaved(frames: 10 * rate, rate: rate)
        let folder = dir.appendingPathComponent("rec")
        #expect(LiveRecordingSession.defaultFolder(for: plan, root: dir).path
                == dir.appendingPathComponent("recordings/campus-magazine/2026-12-03").path)

        for run in 1...2 {
            let session = try LiveRecordingSession(plan: plan, mode: .both, folder: folder)
            #expect(session.recorders.map(\.source) == [.program, .capture])
            let suffix = run == 1 ? "" : "-2"
            #expect(session.program?.url?.lastPathComponent == "012-winter-on-campus-program\(suffix).mp3")
            #expect(session.capture?.url?.lastPathComponent == "012-winter-on-campus-capture\(suffix).mp3")
            session.start(at: 0)
            let fed = Self.play(session, audio: audio, rate: rate)
            let summaries = try session.finish(at: fed)
            #expect(summaries.count == 2)
            let expected = [
                Chapter(title: "Interview", startMs: 1000, endMs: 4000),
                Chapter(title: "Snowfall — The Demo Band", startMs: 4000, endMs: 6500),
                Chapter(title: "Goodbye", startMs: 7000, endMs: 10000),
            ]
            for s in summaries {
                #expect(s.file.frames == fed)
                #expect(s.chapters == expected)
                #expect(try ffprobeDecodedFrames(s.url) == Int(fed))
                let m = try #require(pythonJSON(mutagenTag, [s.url.path], interpreter: systemPython) as? [String: Any])
                #expect(m["TIT2"] as? String == "Winter on campus")
                #expect(m["TALB"] as? String == "Campus Magazine")
                #expect(m["TPE1"] as? String == "Campus Radio")
                #expect(m["TRCK"] as? String == "12")
                #expect(m["TYER"] as? String == "2026" && m["TDAT"] as? String == "0312")
                #expect(m["APIC"] as? Int == 1)
                let chaps = try #require(m["CHAP"] as? [[String: Any]])
                #expect(chaps.map { $0["title"] as? String } == expected.map(\.title))
                #expect(chaps.map { $0["start"] as? Int } == expected.map(\.startMs))
                #expect(chaps.map { $0["end"] as? Int } == expected.map(\.endMs))
                let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: s.chaptersURL)) as? [String: Any])
                #expect((json["chapters"] as? [[String: Any]])?.map { $0["title"] as? String } == expected.map(\.title))
            }
        }
        // Each run has its own as-run log, with the suffix of its recordings.
        for (index, suffix) in [(1, ""), (2, "-2")] {
            let entries = try AsRunLog.read(LiveRecordingSession.asRunURL(for: plan, in: folder, index: index))
            #expect(entries.filter { $0.kind == .logOpened }.count == 1)
            #expect(entries.filter { $0.kind == .recordingStarted }.compactMap(\.file).map { ($0 as NSString).lastPathComponent } == [
                "012-winter-on-campus-program\(suffix).mp3"], "the capture's start is logged when its first frame is placed")
        }

        let none = try LiveRecordingSession(plan: plan, mode: .none, folder: folder)
        #expect(none.recorders.isEmpty)
        #expect(none.runIndex == 3)
        none.start(at: 0)
        none.asRun?.log(AsRunEvent(.itemStarted, position: 0, item: 1))
        #expect(try none.finish(at: 100).isEmpty)
        let after = try AsRunLog.read(LiveRecordingSession.asRunURL(for: plan, in: folder, index: 3))
        #expect(after.filter { $0.kind == .logOpened }.count == 1)
        #expect(after.last?.kind == .itemStarted && after.last?.title == "Interview")
        let mp3s = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mp3") }
        #expect(mp3s.count == 4)
    }

    @Test("the as-run log: a link planted in its place is not followed; two runs at once keep two logs; a run cut short is found by the next, one still on air told apart")
    func oneLogPerRunNeverThroughALink() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, items: Self.items)
        let folder = dir.appendingPathComponent("rec")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let elsewhere = dir.appendingPathComponent("elsewhere.txt")
        try "someone else's file\n".write(to: elsewhere, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: LiveRecordingSession.asRunURL(for: plan, in: folder, index: 1),
                                                   withDestinationURL: elsewhere)

        // The link keeps its name; the run logs under the next one, and the link's target is untouched.
        let first = try LiveRecordingSession(plan: plan, mode: .none, folder: folder)
        #expect(first.runIndex == 2)
        #expect(first.asRun?.url == LiveRecordingSession.asRunURL(for: plan, in: folder, index: 2))
        #expect(first.unfinishedRuns.isEmpty, "a link is not a log")
        // A second run while the first is on air: its own log, and it knows the first is running.
        let second = try LiveRecordingSession(plan: plan, mode: .none, folder: folder)
        #expect(second.runIndex == 3)
        #expect(second.unfinishedRuns.map(\.stillRunning) == [true])
        #expect(second.unfinishedRuns.first?.asRunLog.lastPathComponent == "012-winter-on-campus-2.asrun.jsonl")
        for (session, item) in [(first, 1), (second, 2), (first, 3), (second, 0)] {
            session.asRun?.log(AsRunEvent(.itemStarted, position: Int64(item) * 100, item: Int32(item)))
        }
        first.asRun?.log(AsRunEvent(.showEnded, position: 1000))
        first.closeLog()
        // The second run is killed before its end: its log stays without show_ended (closed by the kernel).
        second.closeLog()
        #expect(try String(contentsOf: elsewhere, encoding: .utf8) == "someone else's file\n")
        for (index, items) in [(2, [1, 3]), (3, [2, 0])] {
            let entries = try AsRunLog.read(LiveRecordingSession.asRunURL(for: plan, in: folder, index: index))
            #expect(entries.filter { $0.kind == .logOpened }.count == 1)
            #expect(entries.filter { $0.kind == .itemStarted }.compactMap(\.item) == items, "run \(index) holds its own lines only")
        }

        // The next run finds the one that never ended (not running any more), and only that one.
        let third = try LiveRecordingSession(plan: plan, mode: .none, folder: folder)
        #expect(third.runIndex == 4)
        let cutShort = try #require(third.unfinishedRuns.first)
        #expect(third.unfinishedRuns.count == 1)
        #expect(!cutShort.stillRunning)
        #expect(cutShort.asRunLog.lastPathComponent == "012-winter-on-campus-3.asrun.jsonl")
        #expect(cutShort.lastPosition == 0, "its last line: item 1 at position 0")
        third.closeLog()
    }

    @Test("finisher: normalised to the show's target ±1 LU with true peak under the ceiling, raw kept, published")
    func finisherNormalisesAndPublishes() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, rate: 44100, items: Self.items)
        let rate = plan.sampleRate
        // Quiet programme material: band-limited pink noise at about −28 LUFS with ten short clicks,
        // so the ~+12 dB gain drives the clicks far into the limiter (they do not set the loudness).
        let raw = dir.appendingPathComponent("material.f32")
        let sox = try run("sox", ["-n", "-r", "\(rate)", "-c", "2", "-e", "floating-point", "-b", "32", "-t", "raw", raw.path,
                                  "synth", "20", "pinknoise", "vol", "0.15", "lowpass", "8000"])
        #expect(sox.status == 0, "sox: \(sox.stderr)")
        var audio: [Float] = try Data(contentsOf: raw).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        for click in 0..<10 {
            let start = (click * 2 + 1) * rate
            for f in 0..<10 { audio[2 * (start + f)] = 0.5; audio[2 * (start + f) + 1] = -0.5 }
        }

        let session = try LiveRecordingSession(plan: plan, mode: .program, folder: dir.appendingPathComponent("rec"),
                                               measureLoudness: true)
        session.start(at: 0)
        let fed = Self.play(session, audio: audio, rate: rate)
        let summary = try #require(try session.finish(at: fed).first)
        let measured = try #require(summary.integratedLoudness)
        let rawLoudness = try ffmpegLoudness(summary.url)
        // The recorder measures the PCM; LAME drops a little under the hearing threshold at low levels.
        #expect(abs(rawLoudness.integrated - measured) < 1, "recorder measured \(measured), ffmpeg \(rawLoudness.integrated)")
        #expect(rawLoudness.integrated < -24)
        let rawBytes = try Data(contentsOf: summary.url)

        let publicDir = dir.appendingPathComponent("public/campus-magazine")
        let finisher = EpisodeFinisher(plan: plan)
        // Once measuring the file, once with the recorder's figure (the fast path).
        for given in [nil, measured] as [Double?] {
            let result = try finisher.run(recording: summary.url, chapters: summary.chapters, measuredLoudness: given,
                                          publishTo: publicDir)
            print("[finisher] \(given == nil ? "measuring" : "given loudness"): source \(String(format: "%.2f", result.sourceLoudness)) LUFS, gain \(String(format: "%+.2f", result.gainDecibels)) dB (codec \(String(format: "%+.2f", result.codecCompensation))), measure \(String(format: "%.2f", result.measureSeconds)) s, encode \(String(format: "%.2f", result.encodeSeconds)) s, publish \(String(format: "%.2f", result.publishSeconds)) s")
            #expect(result.url.lastPathComponent == "012-winter-on-campus-program-normalised.mp3")
            #expect(result.frames == fed)
            #expect(try ffprobeDecodedFrames(result.url) == Int(fed))
            let out = try ffmpegLoudness(result.url)
            print("[finisher] output \(out.integrated) LUFS, \(out.truePeak) dBTP (ffmpeg)")
            #expect(abs(out.integrated - -16) <= 1, "integrated \(out.integrated) LUFS, target −16")
            #expect(out.truePeak <= -1.0, "true peak \(out.truePeak) dBTP, ceiling −1")
            let m = try #require(pythonJSON(mutagenTag, [result.url.path], interpreter: systemPython) as? [String: Any])
            #expect((m["CHAP"] as? [[String: Any]])?.map { $0["title"] as? String } == summary.chapters.map(\.title))
            #expect(m["TIT2"] as? String == "Winter on campus")
            let published = try #require(result.published)
            #expect(published.number == 12)
            let items = try #require(pythonJSON(pyFeed, [publicDir.appendingPathComponent("feed.xml").path], interpreter: systemPython) as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["title"] as? String == "Winter on campus")
            #expect((items.first?["url"] as? String)?.hasSuffix("/012-winter-on-campus.mp3") == true)
            let publishedMP3 = publicDir.appendingPathComponent("012-winter-on-campus.mp3")
            #expect(items.first?["length"] as? Int == (try Data(contentsOf: publishedMP3)).count)
            #expect(try Data(contentsOf: publishedMP3) == (try Data(contentsOf: result.url)))
            let chapters = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: publicDir.appendingPathComponent("012-winter-on-campus.chapters.json"))) as? [String: Any])
            #expect((chapters["chapters"] as? [[String: Any]])?.map { $0["title"] as? String } == summary.chapters.map(\.title))
        }
        #expect(try Data(contentsOf: summary.url) == rawBytes, "the raw recording is kept as it was")
    }

    @Test("one-hour recording: seconds to normalise and publish (printed, not asserted)",
          .enabled(if: ProcessInfo.processInfo.environment["REGIE_BENCH"] == "1"))
    func oneHourFinisherTiming() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, rate: 44100, items: [TestItem(kind: .live, title: "The hour", seconds: 3600)])
        // One hour of broadband programme-like audio, made by sox and encoded by lame like a recording.
        let wav = dir.appendingPathComponent("hour.wav")
        let mp3 = dir.appendingPathComponent("hour-program.mp3")
        let clock = ContinuousClock()
        let makeTime = try clock.measure {
            let sox = try run("sox", ["-n", "-r", "44100", "-c", "2", "-b", "16", wav.path, "synth", "3600",
                                      "pinknoise", "sine", "440", "vol", "0.1"])
            #expect(sox.status == 0)
            let lame = try run("lame", ["--quiet", "-b", "128", "-q", "2", wav.path, mp3.path])
            #expect(lame.status == 0)
        }
        try? FileManager.default.removeItem(at: wav)
        let chapters = [Chapter(title: "The hour", startMs: 0, endMs: 3_600_000)]
        let publicDir = dir.appendingPathComponent("public")
        func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        var measured = 0.0
        let measureTime = try clock.measure { measured = try LoudnessMeter.measureFile(path: mp3.path).integrated }
        print("""
        [bench] one-hour recording (made by sox + lame in \(String(format: "%.1f", secs(makeTime))) s)
        [bench] measuring the raw MP3's loudness: \(String(format: "%.1f", secs(measureTime))) s (skipped when the recorder measured live)
        """)
        // LAME quality 2 is what the recorder and `regie render` use; 5 and 7 show the trade-off.
        for quality in [2, 5, 7] {
            var finisher = EpisodeFinisher(plan: plan, quality: quality)
            finisher.losslessPaths = false   // this one times re-encoding; scripts/bench-finish times every path
            var result: EpisodeFinisher.Result?
            let total = try clock.measure {
                result = try finisher.run(recording: mp3, chapters: chapters, measuredLoudness: measured, publishTo: publicDir)
            }
            let r = try #require(result)
            let out = try ffmpegLoudness(r.url)
            #expect(abs(out.integrated - -16) <= 1)
            #expect(try ffprobeDecodedFrames(r.url) == 3600 * 44100)
            print("""
            [bench] -q \(quality): calibrate \(String(format: "%.1f", r.measureSeconds)) s, decode + gain + limiter + LAME \(String(format: "%.1f", r.encodeSeconds)) s, publish \(String(format: "%.2f", r.publishSeconds)) s; end of show -> published \(String(format: "%.1f", secs(total))) s (+\(String(format: "%.1f", secs(measureTime))) s if the file must be measured); output \(String(format: "%.2f", out.integrated)) LUFS, \(String(format: "%.2f", out.truePeak)) dBTP
            """)
        }
    }
}
