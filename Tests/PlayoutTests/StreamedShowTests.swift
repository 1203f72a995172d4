import AudioIO
import Console
import Engine
import Foundation
import Logging
@testable import Playout
import Production
import Realtime
import RegieModel
import Stream
import Testing
import TestSupport

/// The live show streamed to Debian's icecast2 (started by the test on loopback): what a
/// listener decodes is the programme that went out (the ALSA file tap), the titles follow the
/// items on air, and Icecast going away mid-show costs the air and the recordings nothing.
@Suite(.serialized) struct StreamedShowTests {
    static let rate = 44100

    /// Programme-like material that a listener's copy can be found in: a tone whose pitch
    /// (200–1,200 Hz) and level (-20 to -10 dBFS) change every 250 ms at random (seeded), phase
    /// continuous. Band-limited, so a 128 kb/s MP3 keeps its waveform; never periodic, so its
    /// loudness envelope has one place in the programme.
    static func material(seconds: Int, seed: UInt64) -> [Float] {
        var noise = SeededNoise(seed: seed)
        var samples = [Float](repeating: 0, count: seconds * rate)
        var phase = 0.0, frequency = 440.0, level: Float = 0.1
        for i in samples.indices {
            if i % (rate / 4) == 0 {
                frequency = 200 + 1000 * Double(noise.sample(in: 0...1))
                level = pow(10, noise.sample(in: -1...(-0.5)))
            }
            phase += 2 * .pi * frequency / Double(rate)
            samples[i] = level * Float(sin(phase))
        }
        return samples
    }

    /// A show of two items (music with an artist, then a talk segment), `seconds` each.
    static func makeShow(seconds: Int) throws -> (show: TestShow, plan: Plan) {
        let show = try TestShow()
        try show.writeAudio("audio/song.wav", samples: material(seconds: seconds, seed: 1), sampleRate: rate)
        try show.writeAudio("audio/talk.wav", samples: material(seconds: seconds, seed: 2), sampleRate: rate)
        let rundown = try show.writeRundown("""
            episode: 5
            title: Streamed
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: \(2 * seconds)
            items:
              - music: audio/song.wav
                title: Snowfall
                artist: The Demo Band
              - segment: audio/talk.wav
                title: Interview with the dean
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        return (show, try #require(workspace.plans.first, "\(workspace.diagnostics)"))
    }

    /// The show of `makeShow`, in its slot, played to an ALSA file tap (`out.raw`), recorded,
    /// not published, streaming to `icecast`'s `/live.mp3`.
    static func streamedShow(seconds: Int, to icecast: IcecastServer) throws
        -> (show: TestShow, plan: Plan, device: ALSAPlaybackDevice, live: LiveShow, log: LogRecorder) {
        let (show, plan) = try makeShow(seconds: seconds)
        let device = try LiveShowTests.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        var configuration = LiveShow.Configuration(
            plan: plan, playout: .automation, playback: device, paceByClock: true,
            recordingsFolder: show.root.appendingPathComponent("recordings"), publish: false,
            wallClock: LiveShowTests.clock(at: LiveShowTests.air))
        configuration.streams = [(try StreamDestination.parse(icecast.sourceURL("/live.mp3")).get(), icecast.sourcePassword)]
        let log = LogRecorder()
        return (show, plan, device, try LiveShow(configuration, logger: log.logger), log)
    }

    /// Mono mixdown of interleaved stereo.
    static func mono(_ stereo: [Float]) -> [Float] {
        stride(from: 0, to: stereo.count - 1, by: 2).map { (stereo[$0] + stereo[$0 + 1]) / 2 }
    }

    /// Where `excerpt` sits in `reference` (frames): found on 10 ms loudness envelopes, then to
    /// the frame by correlation around it. Returns the offset and the correlation there.
    static func locate(_ excerpt: [Float], in reference: [Float]) -> (offset: Int, correlation: Double) {
        let block = rate / 100
        func envelope(_ x: [Float]) -> [Double] {
            stride(from: 0, to: x.count - block, by: block).map { start in
                var sum = 0.0
                for i in start..<(start + block) { sum += Double(x[i] * x[i]) }
                return sqrt(sum / Double(block))
            }
        }
        let e = envelope(excerpt), r = envelope(reference)
        var best = (offset: 0, score: -Double.infinity)
        for offset in 0...max(0, r.count - e.count) {
            var score = 0.0
            for i in 0..<e.count { score -= abs(e[i] - r[offset + i]) }
            if score > best.score { best = (offset, score) }
        }
        // To the frame, on two seconds in the middle of the excerpt.
        let window = min(2 * rate, excerpt.count / 2), from = excerpt.count / 4
        var fine = (offset: 0, correlation: -1.0)
        for offset in max(0, best.offset * block - 2 * block)...(best.offset * block + 2 * block) {
            guard offset + from + window <= reference.count else { break }
            var xy = 0.0, xx = 0.0, yy = 0.0
            for i in from..<(from + window) {
                let x = Double(excerpt[i]), y = Double(reference[offset + i])
                xy += x * y; xx += x * x; yy += y * y
            }
            let c = xy / max(1e-12, sqrt(xx * yy))
            if c > fine.correlation { fine = (offset, c) }
        }
        return fine
    }

    @Test("a listener decodes 20 s of the programme from the mount, at its level; the title follows the item on air")
    func aListenerHearsTheProgrammeAndTheTitlesFollowTheItems() throws {
        let icecast = try IcecastServer()
        let (show, _, device, live, _) = try Self.streamedShow(seconds: 14, to: icecast)
        let raw = show.root.appendingPathComponent("out.raw")
        // Titles as Icecast shows them, with when they changed; a listener from the first seconds.
        let titles = LockedBox<[(Date, String)]>([])
        let watching = AtomicFlag()
        Thread.detachNewThread {
            while !watching.isRaised {
                if let title = icecast.sources()["/live.mp3"]?.title, titles.value.last?.1 != title {
                    titles.value.append((Date(), title))
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        let listened = LockedBox<ProcessResult?>(nil)
        let listenerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(10)
            while icecast.sources()["/live.mp3"] == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            listened.value = try? run("ffmpeg", ["-v", "error", "-t", "22", "-i", icecast.listenURL("/live.mp3"),
                                                 "-f", "f32le", "-ac", "2", "-ar", "\(Self.rate)", "-"])
            listenerDone.signal()
        }
        let started = Date()
        let summary = try live.run()
        device.close()
        listenerDone.wait()
        watching.raise()
        #expect(summary.ranToTheEnd && summary.lostFrames.isEmpty)
        let streamed = try #require(summary.stream.first)
        #expect(streamed.reconnects == 0 && streamed.bytesSent > 20 * 16_000, "\(streamed)")

        let heard = try #require(listened.value)
        #expect(heard.status == 0, "\(heard.stderr)")
        let decoded = Self.mono(heard.stdoutData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
        #expect(decoded.count >= 20 * Self.rate, "the listener decoded \(decoded.count) frames")
        let programme = Self.mono(try Data(contentsOf: raw).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
        // The excerpt without its first and last second (burst and end of stream).
        let excerpt = Array(decoded.dropFirst(Self.rate).prefix(18 * Self.rate))
        let (offset, correlation) = Self.locate(excerpt, in: programme)
        #expect(correlation > 0.9, "the stream is the programme: correlation \(correlation) at frame \(offset)")
        let matched = Array(programme[offset..<min(programme.count, offset + excerpt.count)])
        func rms(_ x: [Float]) -> Double { sqrt(x.reduce(0) { $0 + Double($1 * $1) } / Double(max(1, x.count))) }
        let level = 20 * log10(rms(excerpt) / rms(matched))
        #expect(abs(level) < 1, "the stream's level is the programme's within 1 dB: \(level) dB")
        print("[measure] stream vs programme: correlation \(String(format: "%.3f", correlation)), level \(String(format: "%+.2f", level)) dB, \(decoded.count / Self.rate) s decoded")

        // Music as "Artist — Title", then the talk's title when it starts (14 s into the show).
        let seen = titles.value.map(\.1)
        #expect(seen.contains("The Demo Band — Snowfall"), "\(seen)")
        #expect(seen.last == "Interview with the dean", "\(seen)")
        if let change = titles.value.first(where: { $0.1 == "Interview with the dean" })?.0 {
            let late = change.timeIntervalSince(started) - 14
            print("[measure] title changed \(String(format: "%.0f", late * 1000)) ms after the item's start (status-json.xsl polled every 50 ms)")
            #expect(late < 2, "the title changed \(late) s after the item started")
        }
    }

    @Test("Icecast stopped mid-show and started again 10 s later: the air and the recording whole, the stream back by itself, the outage in the log")
    func icecastGoingAwayCostsTheAirNothing() throws {
        let icecast = try IcecastServer()
        let (_, plan, device, live, log) = try Self.streamedShow(seconds: 15, to: icecast)
        let heardAgain = LockedBox<ProcessResult?>(nil)
        let outageDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 5)
            icecast.stop()
            Thread.sleep(forTimeInterval: 10)
            try? icecast.start()
            // A new listener once the stream is back.
            let deadline = Date().addingTimeInterval(12)
            while icecast.sources()["/live.mp3"] == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            heardAgain.value = try? run("ffmpeg", ["-v", "error", "-t", "3", "-i", icecast.listenURL("/live.mp3"),
                                                   "-f", "f32le", "-ac", "1", "-"])
            outageDone.signal()
        }
        let summary = try live.run()
        device.close()
        outageDone.wait()
        #expect(summary.ranToTheEnd && summary.airedFrames == plan.total)
        #expect(summary.lostFrames.isEmpty && summary.faults.isEmpty, "\(summary.faults)")
        let recording = try #require(summary.recordings.first)
        #expect(try decodedFrameCount(recording.url) == Int(plan.total))
        let streamed = try #require(summary.stream.first)
        #expect(streamed.reconnects == 1 && streamed.state == .connected, "\(streamed)")
        // The outage reached a person (standard error, headless) and the as-run log.
        #expect(log.messages(.warning).contains { $0.contains("stream /live.mp3 DOWN") }, "\(log.lines.value)")
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        #expect(entries.contains { $0.alarm == .streamDown } && entries.contains { $0.alarm == .streamBack })
        let again = try #require(heardAgain.value)
        #expect(again.status == 0, "\(again.stderr)")
        let samples = again.stdoutData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(samples.count > 2 * Self.rate && samples.contains { abs($0) > 0.05 }, "a new listener hears the show")
    }

    /// What Icecast shows for each kind of item.
    @Test func theTitleOfEachKindOfItem() {
        let here = SourceLocation(file: "t.yaml", line: 1, column: 1)
        func item(_ kind: Item.Kind, _ value: String, title: String? = nil, artist: String? = nil) -> Item {
            var item = Item(index: 0, kind: kind, value: value, location: here)
            item.title = title
            item.artist = artist
            return item
        }
        #expect(LiveShow.streamTitle(of: item(.music, "a/s.wav", title: "Snowfall", artist: "The Demo Band"), show: "S") == "The Demo Band — Snowfall")
        #expect(LiveShow.streamTitle(of: item(.music, "a/s.wav", title: "Snowfall"), show: "S") == "Snowfall")
        #expect(LiveShow.streamTitle(of: item(.live, "Welcome and headlines"), show: "S") == "Welcome and headlines")
        #expect(LiveShow.streamTitle(of: item(.live, "Desk", title: "Phone-in"), show: "S") == "Phone-in")
        #expect(LiveShow.streamTitle(of: item(.segment, "a/i.flac", title: "Interview"), show: "S") == "Interview")
        #expect(LiveShow.streamTitle(of: item(.segment, "a/i.flac"), show: "Campus Magazine") == "Campus Magazine")
        #expect(LiveShow.streamTitle(of: item(.jingle, "sting", title: "Sting"), show: "S") == nil)
    }

    /// The console shows the stream: live with the bytes sent while Icecast takes it, DOWN (in the
    /// alarm style, with the alarm on the status line) once it is gone.
    @Test func theConsoleShowsTheStream() throws {
        let icecast = try IcecastServer()
        let (show, plan) = try Self.makeShow(seconds: 5)
        let device = try LiveShowTests.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        let screen = ScriptedScreen([])
        var configuration = LiveShow.Configuration(
            plan: plan, playout: .automation, playback: device, paceByClock: true,
            recordingsFolder: show.root.appendingPathComponent("recordings"), publish: false,
            console: { screen }, wallClock: LiveShowTests.clock(at: LiveShowTests.air))
        configuration.streams = [(try StreamDestination.parse(icecast.sourceURL("/live.mp3")).get(), icecast.sourcePassword)]
        let live = try LiveShow(configuration, logger: LogRecorder().logger)
        Thread.detachNewThread { Thread.sleep(forTimeInterval: 5); icecast.stop() }
        _ = try live.run()
        device.close()
        let rows = screen.drawn.flatMap { model in model.lines.map(\.text) }
        #expect(rows.contains { $0.contains("stream live") && $0.contains(" kB") }, "the stream live with its bytes")
        let down = screen.drawn.flatMap(\.lines).first { $0.text.contains("stream DOWN") }
        #expect(down?.style(of: "stream DOWN") == .alarm)
        #expect(rows.contains { $0.hasPrefix("Status") && $0.contains("stream /live.mp3 DOWN") })
    }
}
