import AudioIO
import Engine
import Foundation
@testable import Playout
import Production
import RegieModel
import Synchronization
import Testing
import TestSupport

/// The hard end in real time, through a PulseAudio null sink: the technician presses GO once and
/// never again; the live item holds, and at its post the closer starts by itself and ends at the
/// hard end. When the closer ends is read from the sink's monitor, each captured frame stamped on
/// the same wall clock (the read's time less the capture queue).
@Suite(.serialized) struct HardPostTests {
    static let rate = 44100

    /// The sink's monitor read on a thread of its own: the samples, and the wall time each
    /// captured frame entered the monitor (from each read: its time less the frames still queued).
    final class MonitorTap: @unchecked Sendable {
        private let device: ALSACaptureDevice
        private let clock: @Sendable () -> Int64
        private let stop = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)
        private(set) var samples: [Float] = []
        /// (frame index in `samples`, wall ns when it was captured), one per read.
        private(set) var stamps: [(frame: Int, wall: Int64)] = []

        init(device: ALSACaptureDevice, clock: @escaping @Sendable () -> Int64) {
            self.device = device
            self.clock = clock
            Thread.detachNewThread { [self] in
                let period = device.periodFrames
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: period * 2)
                defer { buffer.deallocate(); done.signal() }
                while !stop.load(ordering: .relaxed) {
                    do { try device.read(into: buffer, frames: period) } catch { return }
                    let wall = clock()
                    let queued = device.delayFrames() ?? 0
                    samples.append(contentsOf: UnsafeBufferPointer(start: buffer, count: period * 2))
                    // The last frame read was captured `queued` frames before now.
                    let last = samples.count / 2 - 1
                    stamps.append((last, wall - Int64(queued) * 1_000_000_000 / Int64(HardPostTests.rate)))
                }
            }
        }

        func finish() { stop.store(true, ordering: .relaxed); done.wait() }

        /// The wall time at which frame `frame` was captured (from the nearest read's stamp).
        func wall(ofFrame frame: Int) -> Int64? {
            guard let stamp = stamps.min(by: { abs($0.frame - frame) < abs($1.frame - frame) }) else { return nil }
            return stamp.wall + Int64(frame - stamp.frame) * 1_000_000_000 / Int64(HardPostTests.rate)
        }
    }

    @Test("GO once, never again: the live item holds, the closer starts by itself at its post and ends at the hard end")
    func theCloserHitsTheHardEnd() throws {
        let pulse = try PulseAudioServer.start(sampleRate: Self.rate)
        defer { pulse.stop() }
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        let rate = Self.rate
        // REGIE_HARD_POST_SLOT=3600 measures an hour (for the closing note); the suite runs 7 s.
        let slotSeconds = ProcessInfo.processInfo.environment["REGIE_HARD_POST_SLOT"].flatMap(Int.init) ?? 7
        func tone(_ hz: Double, seconds: Double, level: Double, then silence: Double = 0) -> [Float] {
            (0..<Int(seconds * Double(rate))).map { Float(level * sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
                + [Float](repeating: 0, count: Int(silence * Double(rate)))
        }
        try show.writeAudio("jingles/sting.wav", samples: tone(1000, seconds: 0.5, level: 0.3, then: 0.5), sampleRate: rate)
        try show.writeAudio("jingles/closer.wav", samples: tone(3000, seconds: 1.5, level: 0.3), sampleRate: rate)
        let rundown = try show.writeRundown("""
            episode: 4
            title: Hard end
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: \(slotSeconds)
            items:
              - jingle: sting
              - live: Talk
                planned: 2
              - jingle: closer
                backtime: true
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first, "\(workspace.diagnostics)")

        // The station's clock reads half a second before air; GO comes 200 ms after air.
        let clock = LiveShowTests.clock(at: LiveShowTests.air - 500_000_000)
        let config = try ALSAConfiguration(text: pulse.alsaConfiguration(name: "regie_desk"))
        let playback = try ALSAPlaybackDevice(name: "regie_desk", configuration: config, sampleRate: rate,
                                              periodFrames: rate / 50, periods: 8)
        let monitor = try ALSACaptureDevice(name: "regie_desk_monitor", configuration: config, sampleRate: rate,
                                            periodFrames: playback.periodFrames, periods: 8)
        defer { playback.close(); monitor.close() }
        let tap = MonitorTap(device: monitor, clock: clock)
        let screen = ScriptedScreen([(700, 32)], giveUpAfterSeconds: slotSeconds + 120)
        let live = try LiveShow(.init(plan: plan, playout: .interactive, playback: playback, paceByClock: false, record: .none,
                                      recordingsFolder: show.root.appendingPathComponent("recordings"), publish: false,
                                      console: { screen }, wallClock: clock),
                                logger: LogRecorder().logger)
        let summary = try live.run()
        usleep(300_000)   // the tail through the sink
        tap.finish()
        #expect(summary.ranToTheEnd)

        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        let post = try #require(entries.first { $0.kind == .postStarted }, "\(entries.map(\.kind))")
        #expect(post.item == 2, "the closer started by the post")
        #expect(entries.contains { $0.kind == .itemEnded && $0.item == 1 }, "the held live item ended at the post")

        // The closer's end in what the sink played: the last 10 ms window of 3 kHz.
        let window = rate / 100
        var lastLoud: Int?
        let searchFrom = max(0, tap.samples.count / 2 - 30 * rate)
        for start in stride(from: searchFrom, to: tap.samples.count / 2 - window, by: window / 2)
            where DeskReturnTests.power(tap.samples, frequency: 3000, start: start, frames: window) > 1e-3 {
            lastLoud = start + window
        }
        let end = try #require(lastLoud, "the closer was heard")
        let heardEnd = try #require(tap.wall(ofFrame: end))
        let hardEnd = LiveShowTests.air + Int64(slotSeconds) * 1_000_000_000
        let error = Double(heardEnd - hardEnd) / 1e9
        print("[measure] hard end through the PulseAudio null sink: the closer ended \(String(format: "%+.1f", error * 1000)) ms from the hard end of a \(slotSeconds) s slot (heard on the monitor, ±5 ms of window), card \(String(format: "%+.1f", summary.deviceClockPPM ?? .nan)) ppm")
        #expect(abs(error) < 0.05, "the closer ended \(error * 1000) ms from the hard end")
    }
}
