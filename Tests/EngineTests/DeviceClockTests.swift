import Foundation
@testable import Engine
import Testing
import TestSupport

/// The post scheduler on simulated clocks: a sound card running fast, slow or drifting against the
/// station's clock, observed every 10 ms with the jitter of a period's granularity, sometimes
/// losing time to an xrun. A post an hour in is scheduled as the live show does (a new estimate
/// each second, the last one decided 50 ms before the post, as the render thread runs that far
/// ahead); its first frame must sound within 10 ms of its wall-clock time.
@Suite struct DeviceClockTests {
    static let rate = 44100
    static let air: Int64 = 1_796_320_800_000_000_000   // 2026-12-03T17:00:00Z

    /// A simulated card: how many frames it has sounded by wall time `t` (ns), with its rate in
    /// ppm varying linearly from `ppmStart` to `ppmEnd` over the hour, less the time lost to xruns
    /// (the card sounded nothing for each one's length).
    struct Card {
        var ppmStart: Double
        var ppmEnd: Double
        var xruns: [(at: Double, seconds: Double)] = []

        /// Frames sounded `seconds` after air.
        func frames(after seconds: Double) -> Double {
            // ∫ rate(1 + ppm(t)·1e-6) dt with ppm linear over 3600 s.
            let slope = (ppmEnd - ppmStart) / 3600
            var playing = seconds
            for xrun in xruns where xrun.at < seconds { playing -= min(xrun.seconds, seconds - xrun.at) }
            let integral = playing + (ppmStart * playing + slope * playing * playing / 2) * 1e-6
            return Double(DeviceClockTests.rate) * integral
        }

        /// Seconds after air at which the card sounds frame `frame` (bisection on `frames(after:)`).
        func seconds(atFrame frame: Double) -> Double {
            var low = 0.0, high = 4000.0
            for _ in 0..<80 {
                let middle = (low + high) / 2
                if frames(after: middle) < frame { low = middle } else { high = middle }
            }
            return (low + high) / 2
        }
    }

    /// The error, seconds, of a post `postSeconds` after air scheduled on `card`.
    static func postError(_ card: Card, postSeconds: Double = 3600, seed: UInt64 = 1) -> Double {
        var clock = DeviceClock(nominalRate: rate)
        var noise = SeededNoise(seed: seed)
        let period = 0.01
        let target = air + Int64(postSeconds * 1e9)
        var decided: Int64?
        var t = 0.0
        var nextDecision = 1.0
        while t < postSeconds - 0.05 {
            // Observed: the frame sounding now, to within a period (the device's queue is counted
            // in whole periods), stamped up to 1 ms late (the render thread's scheduling).
            let sounding = card.frames(after: t) + Double(noise.sample()) * 0.5 * period * Double(rate)
            let stamp = t + Double(noise.sample() + 1) * 0.0005
            clock.observe(wall: air + Int64(stamp * 1e9), frame: Int64(sounding))
            if t >= nextDecision {
                decided = clock.frame(atWall: target)
                nextDecision += 1
            }
            t += period
        }
        guard let decided else { return .infinity }
        return card.seconds(atFrame: Double(decided)) - postSeconds
    }

    @Test("an hour on a card 200 ppm fast, 200 ppm slow, or drifting from 150 to 250 ppm: the post within 10 ms", arguments: [
        (200.0, 200.0), (-200.0, -200.0), (150.0, 250.0), (0.0, 0.0), (-60.0, 40.0),
    ])
    func driftingCards(ppm: (Double, Double)) {
        let card = Card(ppmStart: ppm.0, ppmEnd: ppm.1)
        let error = Self.postError(card)
        print("[clock] \(ppm.0)…\(ppm.1) ppm: post error \(String(format: "%+.2f", error * 1000)) ms")
        #expect(abs(error) < 0.010, "\(error * 1000) ms")
        // Without the measurement (nominal rate from the start) the post would miss by the drift itself.
        let naive = (card.seconds(atFrame: 3600 * Double(Self.rate)) - 3600)
        if abs(ppm.0) >= 150 { #expect(abs(naive) > 0.5, "the drift the clock corrects: \(naive) s") }
    }

    @Test("xruns (the card loses time) are jumps the clock follows: the post within 10 ms")
    func xruns() {
        let card = Card(ppmStart: -200, ppmEnd: -200, xruns: [(600, 0.2), (1800, 0.05), (3590, 0.12)])
        let error = Self.postError(card)
        print("[clock] -200 ppm with three xruns: post error \(String(format: "%+.2f", error * 1000)) ms")
        #expect(abs(error) < 0.010, "\(error * 1000) ms")
    }

    @Test("rate and phase: the measured ppm and the frame↔wall mapping agree with the card")
    func rateAndPhase() {
        var clock = DeviceClock(nominalRate: Self.rate)
        let card = Card(ppmStart: 120, ppmEnd: 120)
        for n in 0..<6000 {   // one minute at 10 ms
            let t = Double(n) * 0.01
            clock.observe(wall: Self.air + Int64(t * 1e9), frame: Int64(card.frames(after: t)))
        }
        #expect(abs(clock.ppm - 120) < 1, "\(clock.ppm) ppm")
        let frame = try! #require(clock.frame(atWall: Self.air + 90_000_000_000))
        #expect(abs(Double(frame) - card.frames(after: 90)) < 2)
        let wall = try! #require(clock.wall(atFrame: frame))
        #expect(abs(wall - (Self.air + 90_000_000_000)) < 100_000, "round trip within 0.1 ms")
    }

    @Test("the device's first writes (its buffer filling in microseconds, as on the PulseAudio plugin) do not make the rate: a post 5 s in within 10 ms")
    func startBurst() throws {
        var clock = DeviceClock(nominalRate: Self.rate)
        // Observed on the pulse plugin: eight samples within 50 µs, frames 742…1127, then 20 ms
        // periods at the card's pace.
        for (n, frame) in [742, 1120, 1121, 1122, 1123, 1124, 1126, 1127].enumerated() {
            clock.observe(wall: Self.air + Int64(n) * 30_000, frame: Int64(frame))
        }
        var t = 0.02
        while t < 1 {
            clock.observe(wall: Self.air + Int64(t * 1e9), frame: 1127 + Int64((t - 0.02) * Double(Self.rate)))
            t += 0.02
        }
        #expect(abs(clock.rate / Double(Self.rate) - 1) < 0.005, "rate \(clock.rate)")
        let post = try #require(clock.frame(atWall: Self.air + 5_000_000_000))
        let expected = 1127 + Int64(4.98 * Double(Self.rate))
        #expect(abs(post - expected) < Int64(Self.rate / 100), "post at \(post), expected \(expected)")
    }
}
