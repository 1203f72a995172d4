import Console
import Engine
import Foundation
@testable import Playout
import Production
import Realtime
import RegieModel
import Testing
import TestSupport

/// The running order changed on air, through the real mixer, prefetcher and files: each item a
/// tone of its own, so what went out says, sample by sample, what aired where.
@Suite struct RunningOrderTests {
    static let rate = 44100

    /// The live engine driven block by block as fast as its prefetcher allows (the offline
    /// driver's loop on a live program), with the tracker and the running order on the control side.
    final class Harness {
        let plan: Plan
        let program: CompiledProgram
        let mixer: ProgrammeMixer
        let prefetcher: Prefetcher
        let tracker: OnAirTracker
        let order: RunningOrder
        var output: [Float] = []
        var failures: [String] = []
        var applied: [String] = []
        let block = 441
        private let buffer: UnsafeMutablePointer<Float>
        let air: Int64

        init(plan: Plan) {
            self.plan = plan
            air = plan.rundown.air.epochSeconds * 1_000_000_000
            program = CompiledProgram(plan: plan, playout: .automation)
            let rings = (0..<program.slotCount).map { _ in SPSCRing<Float>(capacity: 4 * RunningOrderTests.rate * 2) }
            mixer = ProgrammeMixer(sampleRate: plan.sampleRate, voices: program.voices, rings: rings, maxBlockFrames: block,
                                   truePeakCeiling: program.limiterCeiling, ducking: program.ducking, mode: .automation,
                                   capacity: program.voiceCapacity)
            let cache = LoudnessCache(showDirectory: plan.rundown.show.directory)
            prefetcher = Prefetcher(program: program, mixer: mixer, rings: rings, cache: cache, targetLoudness: plan.rundown.show.loudness)
            let airNanoseconds = air
            let mixer = self.mixer
            tracker = OnAirTracker(plan: plan, asRun: nil, mixer: mixer,
                                   wallClock: { airNanoseconds + mixer.position * 1_000_000_000 / Int64(RunningOrderTests.rate) })
            let prefetcher = self.prefetcher
            let link = RunningOrder.EngineLink(
                mixer: mixer, send: { mixer.commands.push($0) },
                addVoice: { prefetcher.add(voice: $0, source: $1, length: $2, loudness: $3) },
                loudness: { (try? cache.loudness(of: $0)) ?? SourceLoudness(integrated: -16, truePeak: nil) })
            let tracker = self.tracker
            order = RunningOrder(program: program, engine: link, state: { id in
                id < tracker.items.count ? tracker.items[id].state : .pending
            })
            buffer = .allocate(capacity: block * 2)
            tracker.onEditAnswer = { [unowned self] id, applied, _ in self.order.answer(id: id, applied: applied) }
            tracker.onItemGone = { [unowned self] id in self.order.markGone(id) }
            order.onApplied = { [unowned self] in self.applied.append($0) }
            order.onFailed = { [unowned self] in self.failures.append($0) }
            prefetcher.start()
        }

        deinit {
            prefetcher.stop()
            buffer.deallocate()
        }

        var seconds: Double { Double(mixer.position) / Double(RunningOrderTests.rate) }

        /// Renders until `seconds` into the show (or its end), handling the control side after each block.
        func run(until seconds: Double) {
            while self.seconds < seconds && mixer.state.load().finishedAt < 0 {
                mixer.prepare(frames: block)
                var waited = 0
                while !mixer.isReady(frames: block) && waited < 2000 { usleep(1000); waited += 1 }
                mixer.render(into: buffer, frames: block)
                output.append(contentsOf: UnsafeBufferPointer(start: buffer, count: block * 2))
                tracker.poll(position: mixer.position)
                let state = mixer.state.load()
                let current = state.current >= 0 ? Int(state.current) : nil
                // The item on air ends where its fitted length says (automation).
                var anchor = air + mixer.position * 1_000_000_000 / Int64(RunningOrderTests.rate)
                if let current, let entry = order.plan.entries.first(where: { $0.item.index == current }),
                   let start = tracker.items[current].actualStart {
                    anchor += max(0, start + entry.length - mixer.position) * 1_000_000_000 / Int64(RunningOrderTests.rate)
                }
                order.flush(anchorWall: anchor, hardEnd: air + plan.slot * 1_000_000_000 / Int64(RunningOrderTests.rate),
                            onAir: current)
            }
        }

        /// Where each item started, in programme frames.
        func started(_ id: Int) -> Int64? { tracker.items[id].actualStart }

        /// The loudest of `frequencies` over the second `from ..< to` of the output (left channel).
        func dominant(from: Double, to: Double, among frequencies: [Double]) -> Double? {
            let a = Int(from * Double(RunningOrderTests.rate)), b = min(output.count / 2, Int(to * Double(RunningOrderTests.rate)))
            guard b > a else { return nil }
            var best: (Double, Double)?
            for f in frequencies {
                var re = 0.0, im = 0.0
                for n in a..<b {
                    let x = Double(output[2 * n])
                    let phase = 2 * Double.pi * f * Double(n) / Double(RunningOrderTests.rate)
                    re += x * cos(phase); im += x * sin(phase)
                }
                let power = (re * re + im * im) / Double(b - a)
                if best == nil || power > best!.1 { best = (f, power) }
            }
            return (best?.1 ?? 0) > 1 ? best?.0 : nil
        }

        func isSilent(from: Double, to: Double) -> Bool {
            let a = Int(from * Double(RunningOrderTests.rate)), b = Int(to * Double(RunningOrderTests.rate))
            return output[(2 * a)..<(2 * b)].allSatisfy { abs($0) < 1e-4 }
        }
    }

    /// S0 300 Hz 3 s, S1 400 Hz 3 s, S2 500 Hz 3 s, a live item 4 s (2–6, no bed), the closer 600 Hz
    /// 2 s back-timed; slot 15 s. A 700 Hz 1 s file to insert.
    static func show() throws -> (TestShow, Plan, String) {
        let show = try TestShow()
        func tone(_ seconds: Double, _ frequency: Double) -> [Float] {
            (0..<Int(seconds * Double(rate))).map { Float(0.2 * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
        }
        for (name, seconds, frequency) in [("s0", 3.0, 300.0), ("s1", 3, 400), ("s2", 3, 500), ("closer", 2, 600), ("extra", 1, 700)] {
            try show.writeAudio(name == "closer" ? "jingles/closer.wav" : "audio/\(name).wav", samples: tone(seconds, frequency),
                                sampleRate: rate)
        }
        let rundown = try show.writeRundown("""
            episode: 3
            title: Edits
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 15
            items:
              - segment: audio/s0.wav
                title: S0
              - segment: audio/s1.wav
                title: S1
              - segment: audio/s2.wav
                title: S2
              - live: Talk
                planned: 4
                min: 2
                max: 6
              - jingle: closer
                backtime: true
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first, "\(workspace.diagnostics)")
        return (show, plan, show.directory.appendingPathComponent("audio/extra.wav").path)
    }

    @Test("make next, insert a file, drop an item: each re-fits the rest to the closer's post, and the output holds the new order to the frame")
    func editsOnAir() throws {
        let (show, plan, extra) = try Self.show()
        defer { try? FileManager.default.removeItem(at: show.root) }
        let h = Harness(plan: plan)
        let rate = Int64(Self.rate)
        h.run(until: 1)
        try h.order.make(.makeNext(id: 2))
        h.run(until: 1.5)
        var inserted = Item(index: 0, kind: .segment, value: "audio/extra.wav", location: SourceLocation(file: "-", line: 0, column: 0))
        inserted.audioPath = extra
        inserted.title = "Extra"
        h.tracker.addItem(inserted)
        try h.order.make(.insert(inserted))
        h.run(until: 2)
        try h.order.make(.toggleDrop(id: 1))
        h.run(until: 20)
        #expect(h.failures.isEmpty, "\(h.failures)")
        #expect(h.applied.count == 3, "\(h.applied)")
        // S0, then the inserted file, S2, the live item stretched to its max, the closer at 13 s.
        #expect(h.started(0) == 0)
        #expect(h.started(5) == 3 * rate, "the inserted item right after the one on air")
        #expect(h.started(2) == 4 * rate, "S2 made next")
        #expect(h.started(1) == nil, "S1 dropped: never aired")
        #expect(h.started(3) == 7 * rate)
        #expect(h.started(4) == 13 * rate, "the closer still ends at the hard end")
        #expect(h.order.plan.entries.first { $0.item.index == 3 }?.length == 6 * rate, "the live item stretched to fill")
        #expect(h.order.plan.entries.map(\.item.index) == [0, 5, 2, 1, 3, 4])
        let tones = [300.0, 400, 500, 600, 700]
        #expect(h.dominant(from: 0.1, to: 2.9, among: tones) == 300)
        #expect(h.dominant(from: 3.1, to: 3.9, among: tones) == 700)
        #expect(h.dominant(from: 4.1, to: 6.9, among: tones) == 500)
        #expect(h.isSilent(from: 7.05, to: 12.95), "the live item (no bed)")
        #expect(h.dominant(from: 13.1, to: 14.9, among: tones) == 600)
        print("[edits] \(h.applied)")
    }
}
