import Engine
import Foundation
import Realtime
import RegieModel
import Testing
import TestSupport
import Synchronization

/// Drives the live engine (mixer + prefetcher, real files) block by block with the technician's
/// commands, as the render thread would, without a device: every block waits until its audio is
/// prefetched, so the output is exact and can be checked sample by sample.
final class InteractiveHarness {
    static let block = 441   // 10 ms at 44.1 kHz
    let program: CompiledProgram
    let mixer: ProgrammeMixer
    let prefetcher: Prefetcher
    private(set) var output: [Float] = []
    private(set) var events: [MixerEvent] = []
    private let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * 2)

    init(_ rundown: URL, show: TestShow, mode: PlayoutMode, carts: CartAudio = CartAudio()) throws {
        let plan = try SchedulingTests.program(rundown).plan
        program = CompiledProgram(plan: plan, playout: mode)
        let rings = (0..<program.slotCount).map { _ in SPSCRing<Float>(capacity: 44100 * 2 * 2) }
        mixer = ProgrammeMixer(sampleRate: plan.sampleRate, voices: program.voices, rings: rings,
                               maxBlockFrames: Self.block, truePeakCeiling: program.limiterCeiling,
                               ducking: program.ducking, mode: mode, carts: carts)
        prefetcher = Prefetcher(program: program, mixer: mixer, rings: rings,
                                cache: LoudnessCache(showDirectory: show.directory.path),
                                targetLoudness: plan.rundown.show.loudness)
        prefetcher.start()
    }

    deinit {
        prefetcher.stop()
        buffer.deallocate()
    }

    /// Programme frame of the next block.
    var position: Int64 { mixer.position }

    /// Queues a command for the next block.
    func send(_ kind: EngineCommand.Kind, _ argument: Int32 = -1) {
        #expect(mixer.commands.push(EngineCommand(kind, argument: argument)))
    }

    /// Renders `count` blocks.
    func run(blocks count: Int) {
        for _ in 0..<count {
            mixer.prepare(frames: Self.block)
            var waited = 0
            while !mixer.isReady(frames: Self.block) && waited < 20_000 { usleep(1000); waited += 1 }
            #expect(waited < 20_000, "the prefetcher never delivered the block at \(position)")
            mixer.render(into: buffer, frames: Self.block)
            output.append(contentsOf: UnsafeBufferPointer(start: buffer, count: Self.block * 2))
            while let event = mixer.events.pop() { events.append(event) }
        }
    }

    /// Runs until `condition` holds (at most `limit` blocks).
    func run(until condition: () -> Bool, limit: Int = 5000) {
        var n = 0
        while !condition() && n < limit { run(blocks: 1); n += 1 }
    }

    /// The left sample at programme frame `frame` (the limiter's lookahead taken out).
    func sample(_ frame: Int64) -> Float { output[Int(frame + Int64(mixer.latencyFrames)) * 2] }

    /// The frame with the largest |sample| within `radius` of `around` (programme frames).
    func loudestFrame(around: Int64, radius: Int64 = 2000) -> Int64 {
        var best = around
        for frame in max(0, around - radius)..<(around + radius) where Int(frame + Int64(mixer.latencyFrames)) * 2 < output.count {
            if abs(sample(frame)) > abs(sample(best)) { best = frame }
        }
        return best
    }

    /// RMS of the left channel over programme frames `range`.
    func rms(_ range: Range<Int64>) -> Float {
        var sum: Float = 0
        let available = Int64(output.count / 2 - mixer.latencyFrames)
        #expect(range.upperBound <= available, "rendered only up to \(available)")
        for frame in range where frame < available { sum += sample(frame) * sample(frame) }
        return (sum / Float(max(1, range.count))).squareRoot()
    }

    /// Events of one kind for one rundown item, as positions.
    func positions(_ kind: MixerEvent.Kind, item: Int32) -> [Int64] {
        events.filter { $0.kind == kind && $0.item == item }.map(\.position)
    }
}

/// The interactive schedule, sample by sample: GO, holds at live items, fade, skip, pause, carts
/// and ducking, each at the exact block where the command arrived.
@Suite struct InteractivePlayoutTests {
    /// A quiet tone with a click at frame 0 (the item's first frame is findable) and optionally one
    /// more at `clickAt`.
    static func marked(seconds: Double, frequency: Double = 220, clickAt: Int? = nil) -> [Float] {
        var samples = SchedulingTests.source(frames: Int(seconds * 44100), rate: 44100, clickAt: 0, frequency: frequency)
        if let clickAt { samples[clickAt] = 0.9 }
        return samples
    }

    static let header = """
        episode: 1
        title: Interactive
        description: d
        air: 2026-12-03T18:00:00+01:00
        """

    @Test func theShowWaitsForGOAndALiveItemHoldsUntilGO() throws {
        let show = try TestShow()
        try show.writeAudio("jingles/j.wav", samples: Self.marked(seconds: 1), sampleRate: 44100)
        try show.writeAudio("audio/s.wav", samples: Self.marked(seconds: 2, frequency: 330), sampleRate: 44100)
        let rundown = try show.writeRundown(Self.header + """

            slot: 6
            items:
              - jingle: j
              - live: Studio talk
                planned: 2
              - segment: audio/s.wav
                title: S
            """)
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive)
        // Nothing airs before GO.
        h.run(blocks: 30)
        #expect(h.events.filter { $0.kind == .itemStarted }.isEmpty)
        #expect(h.mixer.state.load().holding == 0)
        #expect(h.output.allSatisfy { $0 == 0 })
        // GO at block 30: the jingle's click lands on that block's first frame.
        let go1 = h.position
        h.send(.go)
        h.run(blocks: 1)
        #expect(h.positions(.itemStarted, item: 0) == [go1])
        // The jingle (1 s) runs out and the live item starts; its planned 2 s pass and it holds:
        // 3 s later the segment has still not started.
        h.run(blocks: 100 + 200 + 300)
        #expect(h.positions(.itemEnded, item: 0) == [go1 + 44100])
        #expect(h.positions(.itemStarted, item: 1) == [go1 + 44100])
        #expect(h.positions(.itemStarted, item: 2).isEmpty)
        #expect(h.mixer.state.load().liveOverrun)
        #expect(h.mixer.state.load().current == 1)
        // GO ends the live item and starts the segment on this block's first frame.
        let go2 = h.position
        h.send(.go)
        h.run(blocks: 250)
        #expect(h.positions(.itemEnded, item: 1) == [go2])
        #expect(h.positions(.itemStarted, item: 2) == [go2])
        #expect(h.positions(.itemEnded, item: 2) == [go2 + 88200])
        #expect(h.loudestFrame(around: go1) == go1)
        #expect(h.loudestFrame(around: go2) == go2)
        #expect(h.rms(go1 + 44100 + 100 ..< go2 - 100) == 0, "the live item without a bed is silence")
        #expect(h.mixer.finishedAt == go2 + 88200)
        #expect(h.mixer.lateFrames.load(ordering: .relaxed) == 0)
    }

    @Test func fadeHoldsTheNextItemAndSkipPassesOverIt() throws {
        let show = try TestShow()
        try show.writeAudio("audio/a.wav", samples: Self.marked(seconds: 4), sampleRate: 44100)
        try show.writeAudio("audio/b.wav", samples: Self.marked(seconds: 2, frequency: 440), sampleRate: 44100)
        try show.writeAudio("audio/c.wav", samples: Self.marked(seconds: 2, frequency: 550), sampleRate: 44100)
        let rundown = try show.writeRundown(Self.header + """

            slot: 10
            items:
              - segment: audio/a.wav
                title: A
              - segment: audio/b.wav
                title: B
              - segment: audio/c.wav
                title: C
            """)
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive)
        h.send(.go)
        h.run(blocks: 100)
        // Esc at 1 s: A fades out over 2 s (no fade_out given), then nothing plays: B waits.
        let fade = h.position
        h.send(.fade)
        h.run(blocks: 500)
        #expect(h.events.contains { $0.kind == .itemFaded && $0.item == 0 && $0.position == fade && $0.detail == 88200 })
        #expect(h.positions(.itemEnded, item: 0) == [fade + 88200])
        #expect(h.positions(.itemStarted, item: 1).isEmpty)
        #expect(h.mixer.state.load().holding == 1)
        let early = h.rms(fade ..< fade + 22050), late = h.rms(fade + 66150 ..< fade + 88200)
        #expect(early > 4 * late, "the fade goes down: \(early) then \(late)")
        #expect(h.rms(fade + 88200 + 1000 ..< h.position - 1000) == 0)
        // s while B waits: B is passed over, C waits in its place; GO starts C at once.
        let skip = h.position
        h.send(.skip)
        h.run(blocks: 10)
        #expect(h.events.contains { $0.kind == .itemSkipped && $0.item == 1 && $0.position == skip })
        #expect(h.mixer.state.load().holding == 2)
        let go = h.position
        h.send(.go)
        h.run(blocks: 250)
        #expect(h.positions(.itemStarted, item: 2) == [go])
        #expect(h.positions(.itemStarted, item: 1).isEmpty)
        #expect(h.loudestFrame(around: go) == go)
        #expect(h.mixer.lateFrames.load(ordering: .relaxed) == 0)
    }

    @Test func skippingThroughItemsSharingARingPlaysEachFromItsFirstFrame() throws {
        // Eleven 4-second segments skipped through: the live mixer has eight rings, so the ninth
        // on takes the ring of one skipped before, which still holds its unplayed audio; the
        // mixer must discard exactly that.
        let show = try TestShow()
        var items = ""
        for n in 0..<11 {
            try show.writeAudio("audio/\(n).wav", samples: Self.marked(seconds: 4, frequency: 200 + 50 * Double(n), clickAt: 22050),
                                sampleRate: 44100)
            items += "\n  - segment: audio/\(n).wav\n    title: S\(n)"
        }
        let rundown = try show.writeRundown(Self.header + "\nslot: 44\nitems:" + items)
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive)
        #expect(h.program.voices.allSatisfy { $0.slot == VoiceSpec.onAir }, "rings are given on air")
        h.send(.go)
        var starts: [Int64] = [0]
        for _ in 0..<9 {
            h.run(blocks: 37)
            starts.append(h.position)
            h.send(.skip)
        }
        h.run(blocks: 500)
        for (item, start) in starts.enumerated() {
            #expect(h.positions(.itemStarted, item: Int32(item)) == [start])
            #expect(h.loudestFrame(around: start, radius: 300) == start, "item \(item) starts with its own first frame")
        }
        // The tenth item plays on to its click half a second in, exactly.
        #expect(h.loudestFrame(around: starts[9] + 22050, radius: 3000) == starts[9] + 22050)
        #expect(h.events.filter { $0.kind == .itemSkipped }.map(\.item) == Array(0..<9))
        #expect(h.mixer.lateFrames.load(ordering: .relaxed) == 0)
    }

    @Test func pauseFreezesTheTimelineAndResumeGoesOnFromTheSameFrame() throws {
        let show = try TestShow()
        try show.writeAudio("audio/a.wav", samples: Self.marked(seconds: 3, clickAt: 66150), sampleRate: 44100)
        let rundown = try show.writeRundown(Self.header + "\nslot: 10\nitems:\n  - segment: audio/a.wav\n    title: A")
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive)
        h.send(.go)
        h.run(blocks: 100)
        let pause = h.position
        h.send(.pauseResume)
        h.run(blocks: 200)
        let resume = h.position
        h.send(.pauseResume)
        h.run(blocks: 300)
        // The de-click fade takes one block (10 ms) of timeline, then the timeline stands still.
        let pausedEvent = try #require(h.events.first { $0.kind == .paused })
        #expect(pausedEvent.position == pause + 441)
        #expect(h.events.contains { $0.kind == .resumed && $0.position == resume })
        #expect(h.rms(pause + 441 + 100 ..< resume - 100) == 0)
        let frozen = resume - (pause + 441)
        #expect(h.loudestFrame(around: 66150 + frozen, radius: 3000) == 66150 + frozen)
        #expect(h.positions(.itemEnded, item: 0) == [132_300 + frozen])
    }

    @Test func cartsFireOnTheNextBlockAndStopWhenPressedAgain() throws {
        let show = try TestShow()
        try show.writeAudio("audio/a.wav", samples: Self.marked(seconds: 3), sampleRate: 44100)
        let rundown = try show.writeRundown(Self.header + "\nslot: 10\nitems:\n  - segment: audio/a.wav\n    title: A")
        // A cart: 2 s of a 1 kHz tone at -12 dBFS with a click on its first frame.
        var cart = [Float](repeating: 0, count: 88200 * 2)
        for f in 0..<88200 { let v = Float(0.25 * sin(2 * Double.pi * 1000 * Double(f) / 44100)); cart[2 * f] = v; cart[2 * f + 1] = v }
        cart[0] = 0.95; cart[1] = 0.95
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive, carts: CartAudio(carts: [cart]))
        h.run(blocks: 20)
        let fired = h.position
        h.send(.cart, 0)
        h.run(blocks: 50)
        #expect(h.events.contains { $0.kind == .cartFired && $0.cart == 0 && $0.position == fired })
        #expect(h.loudestFrame(around: fired, radius: 400) == fired)
        #expect(h.mixer.state.load().cartsPlaying == 1)
        let stopped = h.position
        h.send(.cart, 0)
        h.run(blocks: 20)
        #expect(h.events.contains { $0.kind == .cartStopped && $0.cart == 0 && $0.position == stopped })
        #expect(h.mixer.state.load().cartsPlaying == 0)
        #expect(h.rms(stopped + 441 + 64 ..< h.position - 200) == 0, "silent after the 10 ms stop fade")
        #expect(h.rms(stopped - 441 ..< stopped) > 0.1)
        // Nothing on the timeline started: carts play over it without touching it.
        #expect(h.events.filter { $0.kind == .itemStarted }.isEmpty)
    }

    /// A show ducking beds by 12 dB (attack 0.1 s, release 0.5 s) with `audio/bed.wav`: one second
    /// of a loud 300 Hz tone, looped under live items.
    static func showWithALoudBed() throws -> TestShow {
        let show = try TestShow(extra: "ducking: {depth: -12, attack: 0.1, release: 0.5}")
        try show.writeAudio("audio/bed.wav", samples: marked(seconds: 1, frequency: 300).map { $0 == 0.9 ? 0.01 : $0 * 20 },
                            sampleRate: 44100)
        return show
    }

    @Test func aBedLoopsUnderAHeldLiveItemAndDuckingCanBeLifted() throws {
        let show = try Self.showWithALoudBed()
        let rundown = try show.writeRundown(Self.header + """

            slot: 10
            items:
              - live: Talk over the bed
                planned: 2
                bed: audio/bed.wav
            """)
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive)
        h.send(.go)
        // 4 s: twice the planned length, four times the bed's file: it loops on, ducked.
        h.run(blocks: 400)
        #expect(h.mixer.state.load().liveOverrun)
        let ducked = h.rms(h.position - 22050 ..< h.position - 200)
        #expect(ducked > 0.001)
        h.send(.toggleDuck)
        h.run(blocks: 100)
        let lifted = h.rms(h.position - 22050 ..< h.position - 200)
        // -12 dB of ducking lifted: about 4 times the level (the limiter has room at these levels).
        #expect(lifted > 3 * ducked && lifted < 5 * ducked, "ducked \(ducked), lifted \(lifted)")
        #expect(!h.mixer.state.load().bedsDucked)
        // GO on the last item ends it: the bed fades over the release (0.5 s) and the show ends.
        let go = h.position
        h.send(.go)
        h.run(blocks: 80)
        #expect(h.positions(.itemEnded, item: 0) == [go])
        #expect(h.mixer.finishedAt == go + 22050)
        #expect(h.rms(go + 22050 + 100 ..< h.position - 200) == 0)
        #expect(h.mixer.lateFrames.load(ordering: .relaxed) == 0)
    }

    @Test("b fades the bed out over the release; the live item goes on, holding for GO")
    func bedFadeKeepsTheLiveItem() throws {
        let show = try Self.showWithALoudBed()
        let rundown = try show.writeRundown(Self.header + """

            slot: 10
            items:
              - live: Talk over the bed
                planned: 2
                bed: audio/bed.wav
              - live: Goodbye
                planned: 1
            """)
        let h = try InteractiveHarness(rundown, show: show, mode: .interactive)
        h.send(.go)
        h.run(blocks: 100)
        #expect(h.rms(h.position - 22050 ..< h.position - 200) > 0.001, "the bed sounds under the talk")
        let fade = h.position
        h.send(.fadeBeds)
        h.run(blocks: 150)
        #expect(h.positions(.bedFaded, item: 0) == [fade])
        #expect(h.rms(fade + 22050 + 100 ..< h.position - 200) == 0, "silent once the release (0.5 s) is over")
        #expect(h.rms(fade ..< fade + 4410) > 0, "faded, not cut")
        let state = h.mixer.state.load()
        #expect(state.current == 0 && state.liveOverrun, "the live item still runs, past its plan, waiting for GO")
        #expect(h.positions(.itemEnded, item: 0).isEmpty)
        let go = h.position
        h.send(.go)
        h.run(blocks: 20)
        #expect(h.positions(.itemEnded, item: 0) == [go])
        #expect(h.positions(.itemStarted, item: 1) == [go])
    }

    @Test func automationPlaysThePlanAndStillTakesGO() throws {
        let show = try TestShow()
        try show.writeAudio("audio/a.wav", samples: Self.marked(seconds: 2), sampleRate: 44100)
        try show.writeAudio("audio/b.wav", samples: Self.marked(seconds: 2, frequency: 440), sampleRate: 44100)
        let rundown = try show.writeRundown(Self.header + """

            slot: 10
            items:
              - segment: audio/a.wav
                title: A
              - live: Talk
                planned: 3
              - segment: audio/b.wav
                title: B
            """)
        let h = try InteractiveHarness(rundown, show: show, mode: .automation)
        // No GO needed: A starts at 0, the live item at 2 s; GO 1 s into it starts B early.
        h.run(blocks: 300)
        #expect(h.positions(.itemStarted, item: 0) == [0])
        #expect(h.positions(.itemStarted, item: 1) == [88200])
        let go = h.position
        h.send(.go)
        h.run(blocks: 250)
        #expect(h.positions(.itemEnded, item: 1) == [go])
        #expect(h.positions(.itemStarted, item: 2) == [go])
        #expect(h.loudestFrame(around: go) == go)
        #expect(h.mixer.finishedAt == go + 88200)
        // B, started early, still plays its whole length.
        h.run(blocks: 10)
        #expect(h.positions(.itemEnded, item: 2) == [go + 88200])
    }

    @Test func automationGoesOnAfterAFadeWithoutWaiting() throws {
        let show = try TestShow()
        try show.writeAudio("audio/a.wav", samples: Self.marked(seconds: 6), sampleRate: 44100)
        try show.writeAudio("audio/b.wav", samples: Self.marked(seconds: 2, frequency: 440), sampleRate: 44100)
        let rundown = try show.writeRundown(Self.header + """

            slot: 10
            items:
              - segment: audio/a.wav
                title: A
                fade_out: 1
              - segment: audio/b.wav
                title: B
            """)
        let h = try InteractiveHarness(rundown, show: show, mode: .automation)
        h.run(blocks: 100)
        let fade = h.position
        h.send(.fade)
        h.run(blocks: 200)
        // A's own fade_out (1 s) is the fade's length; B follows right after it.
        #expect(h.events.contains { $0.kind == .itemFaded && $0.item == 0 && $0.detail == 44100 })
        #expect(h.positions(.itemEnded, item: 0) == [fade + 44100])
        #expect(h.positions(.itemStarted, item: 1) == [fade + 44100])
        #expect(h.loudestFrame(around: fade + 44100, radius: 400) == fade + 44100)
        #expect(h.mixer.state.load().holding == -1)
    }
}

/// The live player in real time (paced by the clock, no device): the prefetch thread sleeps up to
/// 250 ms between looks while every ring holds seconds, so a cut must wake it (`LivePlayer.send`
/// nudges it) or the voice that reuses the cut voice's ring would start before its audio is there.
@Suite struct LivePrefetchTests {
    @Test func quickSkipsOnAirFindTheNextItemsPrefetched() throws {
        // Thirteen 6-second items, longer than the 4-second rings, so a ring holds only the current
        // item when it is cut. Rings are given on air: from the ninth item on, an item takes the ring of one cut before.
        let count = 13
        let show = try TestShow()
        var items = ""
        for n in 0..<count {
            try show.writeAudio("audio/\(n).wav", samples: InteractivePlayoutTests.marked(seconds: 6, frequency: 200 + 20 * Double(n)),
                                sampleRate: 44100)
            items += "\n  - segment: audio/\(n).wav\n    title: S\(n)"
        }
        let rundown = try show.writeRundown(InteractivePlayoutTests.header + "\nslot: 90\nitems:" + items)
        let program = CompiledProgram(plan: try SchedulingTests.program(rundown).plan, playout: .interactive)
        #expect(program.voices.allSatisfy { $0.slot == VoiceSpec.onAir } && program.slotCount == 8,
                "rings given on air: the ninth item on takes the ring of one cut before it")
        let player = LivePlayer(program: program, cache: LoudnessCache(showDirectory: show.directory.path), device: nil,
                                paceByClock: true, periodFrames: 441)
        // GO at 0.3 s, then a skip every 40 ms from 1.5 s through item 11: each item from the
        // fourth on starts 120 ms after the item whose ring it takes was cut, at phases 40 ms apart
        // (a prefetch thread left asleep for 250 ms would miss some of those 120 ms windows).
        var plan: [(at: Double, kind: EngineCommand.Kind)] = [(0.3, .go)]
        for k in 0..<(count - 1) { plan.append((1.5 + 0.04 * Double(k), .skip)) }
        final class Driver {
            var next = 0, refused = 0
            var events: [MixerEvent] = []
        }
        let driver = Driver()
        let started = ContinuousClock.now
        player.run(interval: 5, progress: { _ in
            let elapsed = started.duration(to: .now) / .seconds(1)
            while driver.next < plan.count && elapsed >= plan[driver.next].at {
                if !player.send(EngineCommand(plan[driver.next].kind)) { driver.refused += 1 }
                driver.next += 1
            }
            while let event = player.mixer.events.pop() { driver.events.append(event) }
            if elapsed > 2.5 + 0.04 * Double(count) { player.loop.stop.raise() }
        })
        while let event = player.mixer.events.pop() { driver.events.append(event) }
        let events = driver.events
        #expect(driver.next == plan.count && driver.refused == 0)
        #expect(events.filter { $0.kind == .itemSkipped }.map(\.item) == (0..<Int32(count - 1)).map { $0 })
        #expect(events.contains { $0.kind == .itemStarted && $0.item == Int32(count - 1) })
        #expect(player.mixer.lateFrames.load(ordering: .relaxed) == 0, "frames the prefetcher had not delivered in time")
    }
}
