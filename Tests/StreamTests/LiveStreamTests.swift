import Foundation
import Realtime
import RegieModel
@testable import Stream
import Testing
import TestSupport

/// `LiveStream` against Debian's icecast2 started by the test on loopback: a listener (ffmpeg)
/// decodes the mount; titles reach `status-json.xsl`; the server stopped and started again; a
/// wrong password.
@Suite(.serialized) struct LiveStreamTests {
    static let rate = 44100

    /// Feeds `seconds` of a stereo tone into the stream at real-time pace from a thread of its own
    /// (as the render thread would), 10 ms blocks.
    final class Feeder: @unchecked Sendable {
        let stop = AtomicFlag()
        let done = DispatchSemaphore(value: 0)
        init(_ stream: LiveStream, frequency: Double = 440, level: Float = 0.25) {
            Thread.detachNewThread { [self] in
                let block = LiveStreamTests.rate / 100
                var samples = [Float](repeating: 0, count: block * 2)
                var phase = 0.0
                let start = DispatchTime.now().uptimeNanoseconds
                var sent: UInt64 = 0
                while !stop.isRaised {
                    for i in 0..<block {
                        let v = level * Float(sin(phase)); phase += 2 * .pi * frequency / Double(LiveStreamTests.rate)
                        samples[2 * i] = v; samples[2 * i + 1] = v
                    }
                    samples.withUnsafeBufferPointer { _ = stream.feed.offer($0) }
                    sent += 1
                    let due = start + sent * 10_000_000
                    let now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32((due - now) / 1000)) }
                }
                done.signal()
            }
        }
        func finish() { stop.raise(); done.wait() }
    }

    @Test func aListenerDecodesTheMountAndSeesEachTitle() throws {
        let icecast = try IcecastServer()
        let destination = try StreamDestination.parse(icecast.sourceURL("/live.mp3")).get()
        let stream = try LiveStream(destinations: [destination], passwords: [icecast.sourcePassword],
                                    sampleRate: Self.rate, bitrateKbps: 128)
        stream.setTitle("The Demo Band — Snowfall")
        stream.start()
        let feeder = Feeder(stream)
        defer { feeder.finish(); stream.stop() }
        let deadline = Date().addingTimeInterval(20)
        while icecast.sources()["/live.mp3"]?.title != "The Demo Band — Snowfall" && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(icecast.sources()["/live.mp3"]?.title == "The Demo Band — Snowfall", "\(icecast.sources()) \(icecast.errorLog)")
        let listener = try run("ffmpeg", ["-v", "error", "-t", "5", "-i", icecast.listenURL("/live.mp3"),
                                          "-f", "f32le", "-ac", "2", "-ar", "\(Self.rate)", "-"])
        #expect(listener.status == 0, "\(listener.stderr)")
        // The left channel.
        let samples = listener.stdoutData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(samples.count >= Self.rate * 4)
        let rms = sqrt(samples.map { $0 * $0 }.reduce(0, +) / Float(max(1, samples.count)))
        #expect(abs(20 * log10(rms / (0.25 / sqrt(2)))) < 1, "level \(rms)")
        stream.setTitle("Interview with the dean")
        let changed = Date()
        while icecast.sources()["/live.mp3"]?.title != "Interview with the dean" && Date().timeIntervalSince(changed) < 10 { Thread.sleep(forTimeInterval: 0.02) }
        #expect(icecast.sources()["/live.mp3"]?.title == "Interview with the dean")
        print("[measure] title to status-json.xsl in \(String(format: "%.0f", Date().timeIntervalSince(changed) * 1000)) ms")
        #expect(stream.status.first?.state == .connected)
    }

    /// Collects the stream's events (from the stream thread).
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [StreamEvent] = []
        func add(_ event: StreamEvent) { lock.withLock { list.append(event) } }
        var all: [StreamEvent] { lock.withLock { list } }
    }

    /// Icecast stopped while streaming and started again 10 s later: the stream says it is down,
    /// reconnects by itself within its backoff, and a new listener hears it again.
    @Test func theStreamComesBackByItselfAfterTheServerWasDown() throws {
        let icecast = try IcecastServer()
        let events = Events()
        let destination = try StreamDestination.parse(icecast.sourceURL("/live.mp3")).get()
        let stream = try LiveStream(destinations: [destination], passwords: [icecast.sourcePassword],
                                    sampleRate: Self.rate, bitrateKbps: 128, onEvent: { events.add($0) })
        stream.start()
        let feeder = Feeder(stream)
        defer { feeder.finish(); stream.stop() }
        func wait(_ what: String, timeout: Double, _ condition: () -> Bool) -> Double {
            let start = Date()
            while !condition() && Date().timeIntervalSince(start) < timeout { Thread.sleep(forTimeInterval: 0.05) }
            #expect(condition(), "\(what): \(stream.status) \(events.all)")
            return Date().timeIntervalSince(start)
        }
        _ = wait("first connection", timeout: 15) { stream.status.first?.state == .connected }
        icecast.stop()
        _ = wait("the loss seen", timeout: 15) { stream.status.first?.state == .down }
        #expect(events.all.contains { if case .down(_, _, _, false) = $0 { true } else { false } })
        Thread.sleep(forTimeInterval: 10)
        try icecast.start()
        let back = wait("the reconnection", timeout: 40) { stream.status.first?.state == .connected }
        print("[measure] stream back \(String(format: "%.1f", back)) s after Icecast restarted (backoff at most 30 s)")
        #expect(back < 31)
        #expect(stream.status.first?.reconnects == 1)
        #expect(events.all.contains(.connected(destination, again: true)))
        // Not a retry storm: with the backoff (1, 2, 4, 8 … s) a 10-second outage costs a handful of attempts.
        let downs = events.all.filter { if case .down = $0 { true } else { false } }.count
        #expect(downs <= 3, "each new reason is said once: \(events.all)")
        let listener = try run("ffmpeg", ["-v", "error", "-t", "3", "-i", icecast.listenURL("/live.mp3"), "-f", "null", "-"])
        #expect(listener.status == 0, "\(listener.stderr)")
    }

    /// A wrong password: a clear event that says so, the mount down, and no retry storm (a refused
    /// login is tried again every 30 s, not every second).
    @Test func aWrongPasswordIsSaidOnceAndNotRetriedInALoop() throws {
        let icecast = try IcecastServer()
        let events = Events()
        let destination = try StreamDestination.parse(icecast.sourceURL("/live.mp3")).get()
        let stream = try LiveStream(destinations: [destination], passwords: ["not-the-password"],
                                    sampleRate: Self.rate, bitrateKbps: 128, onEvent: { events.add($0) })
        stream.start()
        let feeder = Feeder(stream)
        Thread.sleep(forTimeInterval: 5)
        feeder.finish()
        stream.stop()
        let status = try #require(stream.status.first)
        #expect(status.state == .down && status.loginRefused)
        #expect(status.failedAttempts == 1, "tried \(status.failedAttempts) times in 5 s")
        let said = events.all.compactMap { if case .down(_, let reason, let retry, true) = $0 { (reason, retry) } else { nil } }
        #expect(said.count == 1 && said[0].1 == 30)
        #expect(said.first?.0.contains("check the password") == true, "\(said)")
        #expect(icecast.sources()["/live.mp3"] == nil)
    }

    /// Beyond one machine: a second icecast2 relays the first's mount (Icecast's own master and
    /// relay), and a listener on the relay decodes the stream, its title relayed too.
    @Test func aListenerOnARelayHearsTheStream() throws {
        let master = try IcecastServer()
        let relay = try IcecastServer(relayOf: (master, "/live.mp3", "/live.mp3"))
        let destination = try StreamDestination.parse(master.sourceURL("/live.mp3")).get()
        let stream = try LiveStream(destinations: [destination], passwords: [master.sourcePassword],
                                    sampleRate: Self.rate, bitrateKbps: 128)
        stream.setTitle("Relayed title")
        stream.start()
        let feeder = Feeder(stream)
        defer { feeder.finish(); stream.stop() }
        let deadline = Date().addingTimeInterval(30)
        while relay.sources()["/live.mp3"] == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        #expect(relay.sources()["/live.mp3"] != nil, "the relay never picked the mount up: \(relay.errorLog)")
        let listener = try run("ffmpeg", ["-v", "error", "-t", "4", "-i", relay.listenURL("/live.mp3"),
                                          "-f", "f32le", "-ac", "2", "-ar", "\(Self.rate)", "-"])
        #expect(listener.status == 0, "\(listener.stderr)")
        let samples = listener.stdoutData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.enumerated()
            .filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(samples.count >= 3 * Self.rate)
        let rms = sqrt(samples.suffix(2 * Self.rate).map { $0 * $0 }.reduce(0, +) / Float(2 * Self.rate))
        #expect(abs(20 * log10(rms / (0.25 / sqrt(2)))) < 1, "level on the relay \(rms)")
        let titled = Date().addingTimeInterval(15)
        while relay.sources()["/live.mp3"]?.title != "Relayed title" && Date() < titled { Thread.sleep(forTimeInterval: 0.2) }
        #expect(relay.sources()["/live.mp3"]?.title == "Relayed title", "\(relay.sources())")
        #expect(master.sources()["/live.mp3"]?.listeners ?? 0 >= 1, "the relay listens to the master")
    }
}
