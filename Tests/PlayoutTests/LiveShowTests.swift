import AudioIO
import Console
import Engine
import Foundation
import Logging
@testable import Playout
import Production
import RegieModel
import Testing
import TestSupport

/// Keeps what a library logs, for the tests (swift-log's way: the library takes a `Logger`).
final class LogRecorder: @unchecked Sendable {
    let lines = LockedBox<[(Logger.Level, String)]>([])

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorder.lines.value.append((event.level, "\(event.message)")) }
    }

    var logger: Logger { Logger(label: "test") { [self] _ in Handler(recorder: self) } }
    func messages(_ level: Logger.Level) -> [String] { lines.value.filter { $0.0 == level }.map(\.1) }
}

/// A console screen that plays a script of keys and keeps what was drawn.
final class ScriptedScreen: ConsoleScreen, @unchecked Sendable {
    /// (milliseconds after the previous key, key code).
    private var script: [(Int, Int32)]
    private var due: Int64
    private(set) var drawn: [ConsoleScreenModel] = []
    private(set) var closed = false

    /// `giveUpAfterSeconds`: how long after it was made a show still running is quit.
    init(_ script: [(afterMilliseconds: Int, key: Int32)], giveUpAfterSeconds: Int = 120) {
        self.script = script.map { ($0.afterMilliseconds, $0.key) }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        due = now + Int64(script.first?.afterMilliseconds ?? 0)
        giveUpAt = now + Int64(giveUpAfterSeconds) * 1000
    }

    var size: (width: Int, height: Int) { (100, 30) }
    var receivedSignal: Int32 { 0 }
    func draw(_ model: ConsoleScreenModel) { drawn.append(model) }
    func invalidate() {}
    func close() { closed = true }

    /// A show that should have ended long ago is quit (so a broken test fails, not hangs).
    private let giveUpAt: Int64
    private var gaveUp = 0

    func readKey(timeoutMilliseconds milliseconds: Int32) -> Int32? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if script.isEmpty, now > giveUpAt {
            gaveUp += 1
            return gaveUp % 2 == 1 ? Int32(UInt8(ascii: "q")) : Int32(UInt8(ascii: "y"))
        }
        guard let (_, key) = script.first, now >= due else {
            usleep(useconds_t(milliseconds) * 1000)
            return nil
        }
        script.removeFirst()
        due = now + Int64(script.first?.0 ?? 0)
        return key
    }
}

/// The live show in-process: devices, clock and console are the test's; what went out, what was
/// recorded, logged and published is read back.
@Suite(.serialized) struct LiveShowTests {
    /// The demo rundowns' air time, 2026-12-03T18:00:00+01:00, in nanoseconds since 1970.
    static let air: Int64 = 1_796_317_200 * 1_000_000_000

    /// A wall clock that reads `at` now and runs from there: the show airs in its slot.
    static func clock(at start: Int64) -> @Sendable () -> Int64 {
        let origin = WallClockProbe.now()
        return { start + (WallClockProbe.now() - origin) }
    }

    /// A 4-second show: a jingle, a segment, a live item over a bed (unless `live` is false), a
    /// closer.
    static func makeShow(live: Bool = true, extraItems: String = "") throws -> (show: TestShow, plan: Plan) {
        let show = try TestShow()
        let rate = 44100
        let tone = (0..<(rate * 1)).map { Float(0.2 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let voice = (0..<(48000 * 2)).map { Float(0.3 * sin(2 * Double.pi * 210 * Double($0) / 48000) * sin(Double($0) / 3000)) }
        try show.writeAudio("jingles/sting.wav", samples: tone, sampleRate: rate)
        try show.writeAudio("jingles/bed.wav", samples: Array(tone.prefix(20000)), sampleRate: rate)
        try show.writeAudio("audio/voice.flac", samples: voice, sampleRate: 48000)
        try show.writeAudio("audio/doomed.flac", samples: Array(voice.prefix(48000)), sampleRate: 48000)
        let rundown = try show.writeRundown("""
            episode: 3
            title: In process
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: \(live ? 5 : 4)
            items:
              - jingle: sting
              - segment: audio/voice.flac
                title: Voice
            \(live ? "  - live: Desk\n    planned: 1\n    bed: bed" : "")
            \(extraItems)
              - jingle: sting
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        return (show, try #require(workspace.plans.first, "\(workspace.diagnostics)"))
    }

    /// An ALSA `file` device in front of `null` writing what goes out to `raw`, under `name`.
    static func tap(_ raw: URL, rate: Int, name: String = "regie_tap", behindPlug: Bool = false) throws -> ALSAPlaybackDevice {
        let file = "{ type file slave { pcm { type null } } file \"\(raw.path)\" format \"raw\" }"
        let text = behindPlug ? "pcm.\(name) { type plug slave { pcm \(file) } }" : "pcm.\(name) \(file)"
        let config = try ALSAConfiguration(text: text)
        return try ALSAPlaybackDevice(name: name, configuration: config, sampleRate: rate, periodFrames: 441, periods: 4)
    }

    @Test("automation on the air date: what went out is the offline render; recorded, logged and published")
    func automation() throws {
        let (show, plan) = try Self.makeShow(live: false)
        let raw = show.root.appendingPathComponent("out.raw")
        let device = try Self.tap(raw, rate: plan.sampleRate)
        let recordings = show.root.appendingPathComponent("recordings")
        let published = show.root.appendingPathComponent("public")
        let log = LogRecorder()
        let live = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                      recordingsFolder: recordings, publishFolder: published,
                                      wallClock: Self.clock(at: Self.air)), logger: log.logger)
        let summary = try live.run()
        device.close()   // the file plugin writes its last buffer when it closes
        #expect(summary.ranToTheEnd && !summary.isRehearsal)
        #expect(summary.airedFrames == plan.total && summary.plannedFrames == plan.total)
        #expect(summary.latePrefetchFrames == 0 && summary.xruns == 0 && summary.deviceFailures == 0)
        #expect(summary.lostFrames.isEmpty && !summary.recordingLostAudio)
        #expect(log.messages(.info).contains { $0.hasPrefix("Playing In process on regie_tap") })
        #expect(log.messages(.warning).isEmpty, "\(log.messages(.warning))")

        let offline = try OfflineRendererOutput.render(plan)
        let played = try Data(contentsOf: raw)
        #expect(played.count == offline.count * 4)
        #expect(played.withUnsafeBytes { bytes in offline.withUnsafeBytes { bytes.elementsEqual($0) } },
                "the samples that went out are the offline render")
        let recording = try #require(summary.recordings.first)
        #expect(try decodedFrameCount(recording.url) == Int(plan.total))
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        #expect(entries.filter { $0.kind == .itemStarted }.map(\.position) == plan.entries.map(\.start))
        #expect(summary.published && summary.notPublishedBecause.isEmpty, "\(summary.notPublishedBecause)")
        #expect(summary.episodeSource == .program)
        #expect(FileManager.default.fileExists(atPath: published.appendingPathComponent("feed.xml").path))
        #expect(summary.finished?.result.frames == plan.total)
    }

    @Test("a rehearsal (not the air date) is finished under the recordings folder, never published")
    func rehearsal() throws {
        let (show, plan) = try Self.makeShow(live: false)
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        let recordings = show.root.appendingPathComponent("recordings")
        let published = show.root.appendingPathComponent("public")
        // The machine's own clock: the air date (2026-12-03) is not today.
        let summary = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                         recordingsFolder: recordings, publishFolder: published),
                                   logger: LogRecorder().logger).run()
        #expect(summary.isRehearsal && !summary.published)
        #expect(summary.notPublishedBecause.first?.hasPrefix("a rehearsal") == true, "\(summary.notPublishedBecause)")
        #expect(!FileManager.default.fileExists(atPath: published.path), "nothing reaches the public feed")
        let finished = try #require(summary.finished?.result.url)
        #expect(finished.lastPathComponent == "003-in-process-program-rehearsal.mp3")
        #expect(finished.deletingLastPathComponent().path == recordings.path)
        #expect(try decodedFrameCount(finished) == Int(plan.total), "normalised and tagged, whole")
        #expect(summary.publishCommand == "regie publish \(plan.rundown.file) \(finished.path) --to \(published.path)")
    }

    @Test("live items and no capture: said before air, the programme recording finished but not published")
    func liveItemsWithoutTheDesk() throws {
        let (show, plan) = try Self.makeShow(live: true)
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        let log = LogRecorder()
        let live = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                      recordingsFolder: show.root.appendingPathComponent("recordings"),
                                      publishFolder: show.root.appendingPathComponent("public"),
                                      wallClock: Self.clock(at: Self.air)), logger: log.logger)
        // Before air: one sentence naming the missing option.
        let warnings = log.messages(.warning)
        #expect(warnings.count == 1 && warnings[0].contains("--capture DEVICE"), "\(warnings)")
        let summary = try live.run()
        #expect(!summary.published && summary.episodeSource == .program)
        #expect(summary.notPublishedBecause.contains { $0.contains("live items") }, "\(summary.notPublishedBecause)")
        #expect(summary.publishCommand != nil)
    }

    @Test("a file deleted after the check: the alarm on standard error and in the as-run log, the air goes on, nothing published")
    func deletedFile() throws {
        let (show, plan) = try Self.makeShow(live: false, extraItems: "  - segment: audio/doomed.flac\n    title: Doomed")
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        let log = LogRecorder()
        let live = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                      recordingsFolder: show.root.appendingPathComponent("recordings"),
                                      publishFolder: show.root.appendingPathComponent("public"),
                                      wallClock: Self.clock(at: Self.air)), logger: log.logger)
        // Checked and planned, then gone before it airs (an open file would still read).
        try FileManager.default.removeItem(at: show.directory.appendingPathComponent("audio/doomed.flac"))
        let summary = try live.run()
        #expect(summary.ranToTheEnd, "the air reached the end")
        #expect(log.messages(.error).contains { $0.contains("unreadable audio played as silence") && $0.contains("doomed.flac") },
                "\(log.lines.value)")
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        #expect(entries.contains { $0.kind == .alarm && $0.alarm == .missingFile })
        #expect(!summary.published)
        #expect(summary.notPublishedBecause.contains { $0.contains("could not be read on air") }, "\(summary.notPublishedBecause)")
    }

    @Test("a device that takes audio faster than real time behind another name: paced by the clock, said once, whole and published")
    func fastDeviceBehindAPlug() throws {
        let (show, plan) = try Self.makeShow(live: false)
        let raw = show.root.appendingPathComponent("out.raw")
        let device = try Self.tap(raw, rate: plan.sampleRate, name: "studio", behindPlug: true)
        let log = LogRecorder()
        let start = Date()
        let summary = try LiveShow(.init(plan: plan, playout: .automation, playback: device,
                                         paceByClock: LiveShow.devicePacesByClock(name: "studio"),
                                         recordingsFolder: show.root.appendingPathComponent("recordings"),
                                         publishFolder: show.root.appendingPathComponent("public"),
                                         wallClock: Self.clock(at: Self.air)), logger: log.logger).run()
        let elapsed = Date().timeIntervalSince(start)
        device.close()
        #expect(summary.pacedByClockBecauseTheDeviceWasFast)
        #expect(log.messages(.notice).filter { $0.contains("faster than real time") }.count == 1)
        #expect(elapsed >= Double(plan.total) / Double(plan.sampleRate) - 1.5, "played in real time, \(elapsed) s")
        #expect(summary.latePrefetchFrames == 0 && summary.lostFrames.isEmpty)
        let offline = try OfflineRendererOutput.render(plan)
        let played = try Data(contentsOf: raw)
        #expect(played.count == offline.count * 4 && played.withUnsafeBytes { bytes in offline.withUnsafeBytes { bytes.elementsEqual($0) } },
                "what went out is the offline render")
        #expect(summary.published, "\(summary.notPublishedBecause)")
    }

    @Test("interactive: the show waits for GO from the console's screen; q then y stops it")
    func consoleDrivesTheShow() throws {
        let (show, plan) = try Self.makeShow()
        let raw = show.root.appendingPathComponent("out.raw")
        let device = try Self.tap(raw, rate: plan.sampleRate)
        defer { device.close() }
        let space: Int32 = 32, q: Int32 = 113, y: Int32 = 121
        let screen = ScriptedScreen([(afterMilliseconds: 400, key: space), (afterMilliseconds: 1200, key: q),
                                     (afterMilliseconds: 100, key: y)])
        let recordings = show.root.appendingPathComponent("recordings")
        let live = try LiveShow(.init(plan: plan, playout: .interactive, playback: device, paceByClock: true,
                                      recordingsFolder: recordings, publish: true,
                                      publishFolder: show.root.appendingPathComponent("public"),
                                      console: { screen }, wallClock: Self.clock(at: Self.air)), logger: LogRecorder().logger)
        let summary = try live.run()
        #expect(!summary.ranToTheEnd, "stopped by the technician")
        #expect(!summary.published, "a show stopped before its end is not published")
        #expect(summary.notPublishedBecause.contains("stopped before its end"))
        #expect(screen.closed)
        #expect(summary.commandDelays.count == 1, "the GO key was measured")
        let text = screen.drawn.flatMap { $0.lines.map(\.text) }
        #expect(text.contains { $0.contains("Voice") })
        #expect(text.contains { $0.contains("--capture DEVICE") }, "the console says the desk's return is missing")
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        let start = try #require(entries.first { $0.kind == .itemStarted }?.position)
        // GO came 400 ms after the console opened: the wait is not part of the show.
        #expect(start >= Int64(plan.sampleRate) * 3 / 10, "the first item started at GO, \(start)")
        #expect(summary.airedFrames > 0 && summary.airedFrames < plan.total)
        #expect(FileManager.default.fileExists(atPath: show.root.appendingPathComponent("public").path) == false)
    }

    @Test("automation on the air date waits for the air time, the console counting down; the first item starts on it")
    func automationWaitsForTheAirTime() throws {
        let (show, plan) = try Self.makeShow(live: false)
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        let clock = Self.clock(at: Self.air - 1_500_000_000)
        #expect(LiveShow.Configuration.waitForAir(plan.rundown.air, now: clock()) == Self.air)
        #expect(LiveShow.Configuration.waitForAir(plan.rundown.air, now: Self.air + 1) == nil, "late: at once")
        #expect(LiveShow.Configuration.waitForAir(plan.rundown.air, now: Self.air - 86_400_000_000_000) == nil, "the day before: at once")
        let screen = ScriptedScreen([])
        var configuration = LiveShow.Configuration(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                                   recordingsFolder: show.root.appendingPathComponent("recordings"),
                                                   publish: false, console: { screen }, wallClock: clock)
        configuration.startAt = Self.air
        let summary = try LiveShow(configuration, logger: LogRecorder().logger).run()
        #expect(summary.ranToTheEnd && summary.airedFrames == plan.total)
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        let first = try #require(entries.first { $0.kind == .itemStarted })
        let late = first.unixMilliseconds - Self.air / 1_000_000
        #expect(abs(late) <= 30, "started \(late) ms from the air time")
        #expect(!entries.contains { $0.alarm == .lateStart }, "on time")
        let text = screen.drawn.flatMap { $0.lines.map(\.text) }
        #expect(text.contains { $0.contains("standby · on air in 0:01") })
        #expect(text.contains { $0.contains("automation starts the show at 18:00:00 by itself") })
    }

    @Test("a late start: an alarm, the hard end stays, the live item is squeezed and the closer ends at the hard end")
    func lateStartKeepsTheHardEnd() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        let rate = 44100
        let tone = (0..<rate).map { Float(0.2 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        try show.writeAudio("jingles/sting.wav", samples: tone, sampleRate: rate)
        try show.writeAudio("jingles/closer.wav", samples: tone + tone.prefix(rate / 2), sampleRate: rate)
        let rundown = try show.writeRundown("""
            episode: 6
            title: Late
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 16
            items:
              - jingle: sting
              - live: Talk
                planned: 13
              - jingle: closer
                backtime: true
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first, "\(workspace.diagnostics)")
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: rate)
        defer { device.close() }
        // Eleven seconds late: five are left of the slot.
        let clock = Self.clock(at: Self.air + 11_000_000_000)
        let summary = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                         recordingsFolder: show.root.appendingPathComponent("recordings"), publish: false,
                                         wallClock: clock), logger: LogRecorder().logger).run()
        #expect(summary.ranToTheEnd)
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        let alarm = try #require(entries.first { $0.alarm == .lateStart })
        #expect(alarm.message?.contains("started 0:11") == true, "\(alarm.message ?? "")")
        let end = try #require(entries.last { $0.kind == .itemEnded && $0.item == 2 })
        let hardEnd = Self.air / 1_000_000 + 16_000
        #expect(abs(end.unixMilliseconds - hardEnd) <= 50, "the closer ended \(end.unixMilliseconds - hardEnd) ms from the hard end")
        let talk = try #require(entries.first { $0.kind == .itemEnded && $0.item == 1 })
        let talkStart = try #require(entries.first { $0.kind == .itemStarted && $0.item == 1 })
        let talked = Double(talk.position - talkStart.position) / Double(rate)
        #expect(talked > 2 && talked < 3, "the live item squeezed from 13 s to \(talked) s: \(entries.map { "\($0.kind) \($0.item ?? -1) \($0.position) \($0.wall)" })")
    }

    @Test("automation waiting for the air time: space starts it now")
    func spaceStartsAutomationNow() throws {
        let (show, plan) = try Self.makeShow(live: false)
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        let clock = Self.clock(at: Self.air - 600_000_000_000)   // ten minutes before air
        let screen = ScriptedScreen([(afterMilliseconds: 300, key: 32)])
        var configuration = LiveShow.Configuration(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                                   recordingsFolder: show.root.appendingPathComponent("recordings"),
                                                   publish: false, console: { screen }, wallClock: clock)
        configuration.startAt = Self.air
        let started = WallClockProbe.now()
        let summary = try LiveShow(configuration, logger: LogRecorder().logger).run()
        #expect(summary.ranToTheEnd)
        #expect(WallClockProbe.now() - started < 60_000_000_000, "did not wait ten minutes")
    }

    @Test("q before the first GO quits at once: no question, nothing aired")
    func quitBeforeTheShow() throws {
        let (show, plan) = try Self.makeShow()
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        let screen = ScriptedScreen([(afterMilliseconds: 300, key: 113)])
        let summary = try LiveShow(.init(plan: plan, playout: .interactive, playback: device, paceByClock: true,
                                         recordingsFolder: show.root.appendingPathComponent("recordings"), publish: false,
                                         console: { screen }, wallClock: Self.clock(at: Self.air - 60_000_000_000)),
                                   logger: LogRecorder().logger).run()
        #expect(screen.closed && !summary.ranToTheEnd && summary.airedFrames == 0)
        #expect(!screen.drawn.contains { $0.lines.contains { $0.text.contains("Quit while on air?") } })
    }

    @Test("held past the hard end: an alarm on the status line")
    func pastTheHardEnd() throws {
        let (show, plan) = try Self.makeShow()
        let device = try Self.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        defer { device.close() }
        // GO once: the live item holds; the 5 s slot ends while it does.
        let screen = ScriptedScreen([(afterMilliseconds: 100, key: 32), (afterMilliseconds: 6500, key: 113), (afterMilliseconds: 100, key: 121)])
        let summary = try LiveShow(.init(plan: plan, playout: .interactive, playback: device, paceByClock: true,
                                         recordingsFolder: show.root.appendingPathComponent("recordings"), publish: false,
                                         console: { screen }, wallClock: Self.clock(at: Self.air)),
                                   logger: LogRecorder().logger).run()
        #expect(!summary.ranToTheEnd)
        let status = screen.drawn.compactMap { $0.lines.first { $0.text.hasPrefix("Status ") } }
        let alarm = try #require(status.last { $0.text.contains("past the hard end by") }, "\(status.suffix(3).map(\.text))")
        #expect(alarm.style(of: "past the hard end by") == .alarm)
        #expect(!status.prefix(10).contains { $0.text.contains("past the hard end") }, "not before the end")
    }
}

/// The wall clock, read the way the library reads it.
enum WallClockProbe {
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
}

/// The offline render of a plan (the reference the live output must equal).
enum OfflineRendererOutput {
    static func render(_ plan: Plan) throws -> [Float] {
        let program = CompiledProgram(plan: plan)
        let renderer = OfflineRenderer(program: program, cache: LoudnessCache(showDirectory: plan.rundown.show.directory))
        var output: [Float] = []
        output.reserveCapacity(Int(program.totalFrames) * 2)
        try renderer.run { output.append(contentsOf: $0) }
        return output
    }
}
