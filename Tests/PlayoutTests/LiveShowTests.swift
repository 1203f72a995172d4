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

    init(_ script: [(afterMilliseconds: Int, key: Int32)]) {
        self.script = script.map { ($0.afterMilliseconds, $0.key) }
        due = Int64(Date().timeIntervalSince1970 * 1000) + Int64(script.first?.afterMilliseconds ?? 0)
    }

    var size: (width: Int, height: Int) { (100, 30) }
    var receivedSignal: Int32 { 0 }
    func draw(_ model: ConsoleScreenModel) { drawn.append(model) }
    func invalidate() {}
    func close() { closed = true }

    func readKey(timeoutMilliseconds milliseconds: Int32) -> Int32? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
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
    /// A 4-second show: a jingle, a segment, a live item over a bed, a closer.
    static func makeShow() throws -> (show: TestShow, plan: Plan) {
        let show = try TestShow()
        let rate = 44100
        let tone = (0..<(rate * 1)).map { Float(0.2 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let voice = (0..<(48000 * 2)).map { Float(0.3 * sin(2 * Double.pi * 210 * Double($0) / 48000) * sin(Double($0) / 3000)) }
        try show.writeAudio("jingles/sting.wav", samples: tone, sampleRate: rate)
        try show.writeAudio("jingles/bed.wav", samples: Array(tone.prefix(20000)), sampleRate: rate)
        try show.writeAudio("audio/voice.flac", samples: voice, sampleRate: 48000)
        let rundown = try show.writeRundown("""
            episode: 3
            title: In process
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 5
            items:
              - jingle: sting
              - segment: audio/voice.flac
                title: Voice
              - live: Desk
                planned: 1
                bed: bed
              - jingle: sting
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        return (show, try #require(workspace.plans.first, "\(workspace.diagnostics)"))
    }

    /// An ALSA `file` device in front of `null` writing what goes out to `raw`.
    static func tap(_ raw: URL, rate: Int) throws -> ALSAPlaybackDevice {
        let config = try ALSAConfiguration(text: """
            pcm.regie_tap { type file slave { pcm { type null } } file "\(raw.path)" format "raw" }
            """)
        return try ALSAPlaybackDevice(name: "regie_tap", configuration: config, sampleRate: rate, periodFrames: 441, periods: 4)
    }

    @Test("automation: what went out is the offline render; recorded, logged and published")
    func automation() throws {
        let (show, plan) = try Self.makeShow()
        let raw = show.root.appendingPathComponent("out.raw")
        let device = try Self.tap(raw, rate: plan.sampleRate)
        defer { device.close() }
        let recordings = show.root.appendingPathComponent("recordings")
        let published = show.root.appendingPathComponent("public")
        let log = LogRecorder()
        let live = try LiveShow(.init(plan: plan, playout: .automation, playback: device, paceByClock: true,
                                      recordingsFolder: recordings, publishFolder: published), logger: log.logger)
        let summary = try live.run()
        device.close()   // the file plugin writes its last buffer when it closes
        #expect(summary.ranToTheEnd)
        #expect(summary.airedFrames == plan.total && summary.plannedFrames == plan.total)
        #expect(summary.latePrefetchFrames == 0 && summary.xruns == 0 && summary.deviceFailures == 0)
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
        let (result, _) = try #require(summary.published)
        #expect(FileManager.default.fileExists(atPath: published.appendingPathComponent("feed.xml").path))
        #expect(result.frames == plan.total)
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
                                      console: { screen }), logger: LogRecorder().logger)
        let summary = try live.run()
        #expect(!summary.ranToTheEnd, "stopped by the technician")
        #expect(summary.published == nil, "a show stopped before its end is not published")
        #expect(screen.closed)
        #expect(summary.commandDelays.count == 1, "the GO key was measured")
        let text = screen.drawn.flatMap { $0.lines.map(\.text) }
        #expect(text.contains { $0.contains("Voice") })
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        let start = try #require(entries.first { $0.kind == .itemStarted }?.position)
        // GO came 400 ms after the console opened: the wait is not part of the show.
        #expect(start >= Int64(plan.sampleRate) * 3 / 10, "the first item started at GO, \(start)")
        #expect(summary.airedFrames > 0 && summary.airedFrames < plan.total)
        #expect(FileManager.default.fileExists(atPath: show.root.appendingPathComponent("public").path) == false)
    }
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
