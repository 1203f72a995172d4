@testable import Engine
import Realtime
import Testing

/// The schedule alone, block by block, without audio, rings or devices: what starts and ends
/// where, what GO, skip, fade and pause do, and what the prefetcher is told.
@Suite struct TimelineTests {
    /// Drives a `Timeline` the way `ProgrammeMixer.render` does, recording its events and what
    /// sounds in each block. The pause's de-click ramp completes within the block that asks.
    final class Harness {
        let timeline: Timeline
        let feedback: VoiceFeedback
        var position: Int64 = 0
        var events: [MixerEvent] = []
        var state = TimelineState()
        /// Voices that sounded, with the block they sounded in.
        var sounded: [(voice: Int, blockStart: Int64, end: Int64)] = []

        /// The running-order change mailbox (room for 16 entries).
        let edit = ScheduleEdit(capacity: 16)

        /// 1000 frames a second: a declick is 10 frames, the default fade 2000, the bed release 200.
        init(_ voices: [VoiceSpec], mode: PlayoutMode, capacity: Int? = nil) {
            feedback = VoiceFeedback(count: capacity ?? voices.count)
            timeline = Timeline(voices: voices, capacity: capacity, mode: mode, sampleRate: 1000,
                                ducking: DuckingSpec(depth: -12, attack: 0.1, release: 0.2), feedback: feedback,
                                events: SPSCQueue(capacity: 64))
        }

        /// One block of `frames`, after applying `commands` at its start.
        func block(_ frames: Int = 100, _ commands: EngineCommand.Kind...) {
            block(frames, commands: commands.map { EngineCommand($0, requestedAt: 7, requestedPosition: position) })
        }

        /// One block of `frames`, after applying `commands` (with their arguments) at its start.
        func block(_ frames: Int = 100, commands: [EngineCommand]) {
            for command in commands {
                timeline.apply(command, at: position, appliedAt: 9, edit: edit)
            }
            timeline.prepareBlock(start: position, frames: frames)
            timeline.advanceFirstUnfinished()
            let start = position, end = position + Int64(frames)
            if timeline.pause != .paused {
                timeline.play(blockStart: start, blockEnd: end) { voice, stops in sounded.append((voice, start, stops)) }
                if timeline.pause == .pausing { timeline.completePause(at: end) }
            }
            position = end
            state = timeline.state(at: position, cartsPlaying: 0)
            while let event = timeline.events.pop() { events.append(event) }
        }

        func run(until position: Int64) { while self.position < position { block() } }

        /// The events as (kind, position, item) since the last call.
        func take() -> [String] {
            defer { events = [] }
            return events.map { "\($0.kind) \($0.position) \($0.item)" }
        }

        func start(_ voice: Int) -> Int64 { timeline.voices.states[voice].spec.start }
    }

    /// A jingle, a live item over an open-ended bed, a segment, a live item with no audio.
    static let interactiveShow = [
        VoiceSpec(start: 0, length: 300, slot: 0, item: 0, isJingle: true),
        VoiceSpec(start: 300, length: 500, slot: 1, item: 1, isBed: true, isOpenEnded: true),
        VoiceSpec(start: 800, length: 400, slot: 2, item: 2),
        VoiceSpec(start: 1200, length: 300, slot: -1, item: 3, isLive: true),
    ]

    @Test("interactive: the top waits for GO, a live item holds past its end, GO ends it and starts the next")
    func goAndHold() {
        let h = Harness(Self.interactiveShow, mode: .interactive)
        #expect(h.timeline.initialState.holding == 0)
        h.run(until: 500)
        #expect(h.take().isEmpty, "nothing starts before GO")
        #expect(h.state.holding == 0 && h.state.current == -1)
        #expect(h.start(0) == 500, "the wait pushes the whole timeline")

        h.block(100, .go)
        let started = h.events.first
        #expect(h.take() == ["itemStarted 500 0"])
        #expect(started?.requestedAt == 7 && started?.appliedAt == 9 && started?.requestedPosition == 500,
                "the answering event carries the command's times back")
        #expect([h.start(1), h.start(2), h.start(3)] == [800, 1300, 1700], "everything after moved with GO")

        h.run(until: 1600)
        #expect(h.take() == ["itemEnded 800 0", "itemStarted 800 1"])
        #expect(h.state.current == 1 && h.state.liveOverrun, "held past its planned end (1300)")
        #expect(h.start(2) == 1600, "the segment waits for the live item")

        h.block(100, .go)
        #expect(h.take() == ["itemEnded 1600 1", "itemStarted 1600 2"])
        // The bed fades out over the ducking release; the prefetcher reads it no further.
        #expect(h.timeline.voices.states[1].cut?.length == 200)
        #expect(h.feedback.limit(of: 1) == 800 + 200)
        h.run(until: 1900)
        #expect(h.take() == [], "the bed's release ends without a second itemEnded")
        #expect(h.sounded.contains { $0.voice == 1 && $0.end == 1800 })
        #expect(!h.sounded.contains { $0.voice == 1 && $0.blockStart >= 1800 })

        h.block()
        #expect(h.take() == ["itemEnded 2000 2"])
        h.block()
        #expect(h.take() == ["itemStarted 2000 3"])
        h.block(100, .skip)
        #expect(h.take() == ["itemSkipped 2100 3", "itemEnded 2100 3"])
        #expect(h.state.finishedAt == 2100, "the programme ends where the last item was cut")
    }

    @Test("interactive: skip with nothing on air passes over the item waiting for GO; the next one waits")
    func skipWhileWaiting() {
        let h = Harness(Self.interactiveShow, mode: .interactive)
        h.run(until: 200)
        h.block(100, .skip)
        #expect(h.take() == ["itemSkipped 200 0", "holding 200 1"])
        #expect(h.feedback.limit(of: 0) == 0, "the prefetcher never reads the skipped jingle")
        #expect(h.timeline.deliveredTotal(0) == nil, "a skipped voice's total is the prefetcher's to tell")
        h.run(until: 600)
        #expect(h.take().isEmpty && h.state.holding == 1)
        h.block(100, .go)
        #expect(h.take() == ["itemStarted 600 1"])
        #expect(h.start(2) == 1100, "the segment follows the bed's planned length from GO")
    }

    @Test("fade (Esc): every voice on air fades; automation goes on after the fade, interactive waits for GO")
    func fadeOut() {
        let voices = [VoiceSpec(start: 0, length: 3000, slot: 0, item: 0, fadeOut: 500),
                      VoiceSpec(start: 3000, length: 1000, slot: 1, item: 1)]
        let automation = Harness(voices, mode: .automation)
        automation.run(until: 1000)
        automation.block(100, .fade)
        #expect(automation.take() == ["itemStarted 0 0", "itemFaded 1000 0"])
        #expect(automation.start(1) == 1500, "the item's own fade_out, then the next item")
        automation.run(until: 1600)
        #expect(automation.take() == ["itemEnded 1500 0", "itemStarted 1500 1"])

        let interactive = Harness([VoiceSpec(start: 0, length: 5000, slot: 0, item: 0),
                                   VoiceSpec(start: 5000, length: 1000, slot: 1, item: 1)], mode: .interactive)
        interactive.block(100, .go)
        interactive.run(until: 1000)
        interactive.block(100, .fade)
        #expect(interactive.take() == ["itemStarted 0 0", "itemFaded 1000 0", "holding 1000 1"])
        #expect(interactive.timeline.voices.states[0].cut?.length == 2000, "no fade_out: the 2 s default")
        interactive.run(until: 4000)
        #expect(interactive.take() == ["itemEnded 3000 0"], "the next item waits for GO after the fade")
        #expect(interactive.state.holding == 1)
    }

    @Test("pause freezes every unfinished voice; resume picks up where it was")
    func pause() {
        let h = Harness([VoiceSpec(start: 0, length: 1000, slot: 0, item: 0),
                         VoiceSpec(start: 1000, length: 500, slot: 1, item: 1)], mode: .automation)
        h.run(until: 300)
        h.block(100, .pauseResume)
        #expect(h.take() == ["itemStarted 0 0", "paused 400 -1"])
        #expect(h.state.paused)
        h.run(until: 700)
        #expect(h.sounded.filter { $0.blockStart >= 400 }.isEmpty, "nothing sounds while paused")
        #expect([h.start(0), h.start(1)] == [300, 1300])
        #expect(h.state.currentStart == 300 && h.state.position - h.state.currentStart == 400,
                "the item on air has played 400 frames: the pause does not count")
        h.block(100, .pauseResume)
        #expect(h.state.position - h.state.currentStart == 500)
        h.run(until: 1900)
        #expect(h.take() == ["resumed 700 -1", "itemEnded 1300 0", "itemStarted 1300 1", "itemEnded 1800 1"])
        #expect(h.state.finishedAt == 1800)
    }

    @Test("a voice's delivered total: what the prefetcher wrote, else the planned length unless cut or looped")
    func deliveredTotal() {
        let h = Harness([VoiceSpec(start: 0, length: 1000, slot: 0, item: 0)], mode: .automation)
        #expect(h.timeline.deliveredTotal(0) == 1000, "written in full: exactly the planned length")
        h.block()
        h.block(100, .skip)
        #expect(h.timeline.voices.states[0].cut?.start == 100 && h.timeline.voices.states[0].cut?.length == 10)
        #expect(h.feedback.limit(of: 0) == 110, "read no further than the 10 ms de-click")
        #expect(h.timeline.deliveredTotal(0) == nil, "cut short: only the prefetcher knows where it stopped")
        h.feedback.finish(0, wrote: 110)
        #expect(h.timeline.deliveredTotal(0) == 110)

        let bed = Harness([VoiceSpec(start: 0, length: 1000, slot: 0, item: 0, isBed: true, isOpenEnded: true)],
                          mode: .interactive)
        #expect(bed.timeline.deliveredTotal(0) == nil, "an open-ended bed loops until cut")
        bed.feedback.finish(0, wrote: 4321)
        #expect(bed.timeline.deliveredTotal(0) == 4321)
    }
}
