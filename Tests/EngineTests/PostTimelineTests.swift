@testable import Engine
import Testing

/// Posts and running-order changes on the schedule alone (1000 frames a second), driven block by
/// block like `TimelineTests`.
@Suite struct PostTimelineTests {
    typealias Harness = TimelineTests.Harness

    /// A segment (0–1000), a live item with a bed (1000–3000), a jingle (3000–3500), the closer at
    /// 3500 (a hard post, 300 frames of post fade), then nothing.
    static func show(closerPost: Int64 = -1, soft: Bool = false) -> [VoiceSpec] {
        var closer = VoiceSpec(start: 3500, length: 500, slot: 3, item: 3, isJingle: true)
        closer.post = closerPost
        closer.postIsSoft = soft
        closer.postFade = 300
        return [VoiceSpec(start: 0, length: 1000, slot: 0, item: 0),
                VoiceSpec(start: 1000, length: 2000, slot: 1, item: 1, isBed: true, isOpenEnded: true),
                VoiceSpec(start: 3000, length: 500, slot: 2, item: 2, isJingle: true),
                closer]
    }

    @Test("interactive: with no GO the hard post starts the closer at its frame; the live item held past its end and its bed fade out under it, the waiting jingle is dropped")
    func hardPostInteractive() {
        let h = Harness(Self.show(closerPost: 3500), mode: .interactive)
        h.block(100, .go)
        h.run(until: 3500)
        #expect(h.take() == ["itemStarted 0 0", "itemEnded 1000 0", "itemStarted 1000 1"])
        #expect(h.state.liveOverrun && h.state.nextPostItem == 3 && h.state.nextPostFrame == 3500)
        h.block()
        #expect(h.take() == ["itemEnded 3500 1", "itemDropped 3500 2", "postForced 3500 3", "itemStarted 3500 3"])
        #expect(h.timeline.voices.states[1].cut?.start == 2500 && h.timeline.voices.states[1].cut?.length == 300,
                "the bed fades out over the post fade from the post")
        #expect(h.feedback.limit(of: 2) == 0, "the dropped jingle is not fed")
        #expect(h.start(3) == 3500)
        h.run(until: 4200)
        #expect(h.take() == ["itemEnded 4000 3"])
        #expect(h.state.finishedAt == 4000, "the show ends at the hard end")
    }

    @Test("over/under at the next hard post, as things stand: on time as planned, under when an item is skipped, a wait for GO counted as if GO came now")
    func overUnderAtThePost() {
        let h = Harness(Self.show(closerPost: 3500), mode: .interactive)
        #expect(h.timeline.initialState.endBeforeNextPost == 3500)
        h.block(100, .go)
        #expect(h.state.nextPostFrame == 3500 && h.state.endBeforeNextPost == 3500, "as planned: on time")
        h.run(until: 500)
        h.block(100, .skip)   // the segment cut at 500: the live item starts at once, 500 early
        #expect(h.state.endBeforeNextPost - h.state.nextPostFrame == -500, "500 frames short of the post: dead air unless filled")
        h.run(until: 1500)
        h.block(100, .fade)   // the live item ends over a fade and the jingle waits for GO
        h.run(until: 3000)
        // Waiting at 3000: GO now would end the jingle at 3500 (on time); each block later is over.
        #expect(h.state.holding == 2)
        #expect(h.state.endBeforeNextPost - h.state.nextPostFrame == 0)
        h.run(until: 3300)
        #expect(h.state.endBeforeNextPost - h.state.nextPostFrame == 300, "the wait has made it 300 over: the post will cut the jingle")
    }

    @Test("interactive: GO before the post starts what is next early, as without a post")
    func goBeforeThePost() {
        let h = Harness(Self.show(closerPost: 3500), mode: .interactive)
        h.block(100, .go)
        h.run(until: 1500)
        h.block(100, .go)   // ends the live item: the jingle next
        h.run(until: 2200)
        #expect(h.take().suffix(4) == ["itemEnded 1500 1", "itemStarted 1500 2", "itemEnded 2000 2", "itemStarted 2000 3"])
        #expect(h.start(3) == 2000, "the closer follows the jingle, before its post")
        h.run(until: 3600)
        #expect(!h.take().contains { $0.hasPrefix("postForced") }, "nothing to force: it already started")
    }

    @Test("automation: moving the post (the sound card's drift) lengthens or shortens the live item before it, never cutting audio")
    func driftAbsorbedByTheLiveItem() {
        let h = Harness(Self.show(), mode: .automation)
        h.run(until: 1500)
        h.block(100, commands: [EngineCommand(.setPost, argument: 3, value: 3536)])   // the card runs slow: 36 frames later
        #expect(h.timeline.voices.states[1].spec.length == 2036)
        #expect([h.start(2), h.start(3)] == [3036, 3536])
        h.block(100, commands: [EngineCommand(.setPost, argument: 3, value: 3490)])   // then fast
        #expect(h.timeline.voices.states[1].spec.length == 1990 && h.start(3) == 3490)
        h.run(until: 4100)
        #expect(h.take().contains("itemStarted 3490 3"))
        #expect(!h.take().contains { $0.hasPrefix("postForced") })
        #expect(h.timeline.voices.states[2].cut == nil, "the jingle before the post plays whole")
    }

    @Test("automation without a live item before the post: a late schedule is cut at the post, an early one starts early")
    func noElasticItem() {
        var voices = [VoiceSpec(start: 0, length: 3000, slot: 0, item: 0), VoiceSpec(start: 3000, length: 500, slot: 1, item: 1)]
        voices[1].postFade = 200
        let late = Harness(voices, mode: .automation)
        late.block(100, commands: [EngineCommand(.setPost, argument: 1, value: 2800)])
        late.run(until: 3000)
        #expect(late.take().suffix(3) == ["postForced 2800 1", "itemStarted 2800 1", "itemEnded 3000 0"],
                "the segment on air fades out under the post, to its end")
        #expect(late.timeline.voices.states[0].cut?.start == 2800 && late.timeline.voices.states[0].cut?.length == 200)
        let early = Harness(voices, mode: .automation)
        early.block(100, commands: [EngineCommand(.setPost, argument: 1, value: 3200)])
        early.run(until: 3100)
        #expect(early.take().suffix(2) == ["itemEnded 3000 0", "itemStarted 3000 1"], "no gap of silence: it starts early")
    }

    @Test("a soft post makes its item next: what waits before it is dropped, and it starts when the item on air ends")
    func softPost() {
        let h = Harness(Self.show(closerPost: 1500, soft: true), mode: .automation)
        h.run(until: 1600)
        #expect(h.take() == ["itemStarted 0 0", "itemEnded 1000 0", "itemStarted 1000 1", "itemDropped 1500 2", "postMadeNext 1500 3"])
        #expect(h.start(3) == 3000, "after the live item on air")
        h.run(until: 3100)
        #expect(h.take() == ["itemEnded 3000 1", "itemStarted 3000 3"])
    }

    @Test("an edit replaces the pending schedule from the next item: inserted, moved and dropped items; refused when the schedule moved on")
    func editThePendingSchedule() {
        let h = Harness(Self.show(), mode: .automation, capacity: 8)
        h.run(until: 500)
        // Insert a new 400-frame segment (voice 4, item 9) first, then the closer, then the jingle; drop nothing.
        h.edit.expectedFirst = 1
        h.edit.newFirst = 4
        h.edit.newCount = 1
        h.edit.newVoices[0] = VoiceSpec(start: 0, length: 400, slot: VoiceSpec.onAir, item: 9)
        let order: [(Int32, Int64)] = [(1, 0), (4, 2000), (3, 2400), (2, 2900)]
        h.edit.count = order.count
        for (n, entry) in order.enumerated() { h.edit.voices[n] = entry.0; h.edit.offsets[n] = entry.1 }
        h.edit.id = 7
        h.block(100, commands: [EngineCommand(.edit, value: 7)])
        #expect(h.take() == ["itemStarted 0 0", "editApplied 500 -1"])
        #expect(h.events.isEmpty)
        #expect([h.start(1), h.start(4), h.start(3), h.start(2)] == [1000, 3000, 3400, 3900])
        h.run(until: 4500)
        #expect(h.take() == ["itemEnded 1000 0", "itemStarted 1000 1", "itemEnded 3000 1", "itemStarted 3000 9",
                             "itemEnded 3400 9", "itemStarted 3400 3", "itemEnded 3900 3", "itemStarted 3900 2", "itemEnded 4400 2"])

        // The same edit again: the first pending item is no longer voice 1, so it is refused.
        h.edit.id = 8
        h.block(100, commands: [EngineCommand(.edit, value: 8)])
        #expect(h.take() == ["editRejected 4500 -1"])

        // Dropping: an edit that leaves a pending voice out passes it over without airing it.
        let d = Harness(Self.show(), mode: .automation, capacity: 8)
        d.edit.expectedFirst = 0
        d.edit.newFirst = 4
        d.edit.count = 3
        for (n, entry) in [(Int32(0), Int64(0)), (1, 1000), (3, 3000)].enumerated() { d.edit.voices[n] = entry.0; d.edit.offsets[n] = entry.1 }
        d.edit.id = 1
        d.block(100, commands: [EngineCommand(.edit, value: 1)])
        #expect(d.feedback.limit(of: 2) == 0, "the dropped jingle is not fed")
        d.run(until: 4500)
        #expect(!d.take().contains { $0.hasSuffix(" 2") && $0.hasPrefix("itemStarted") })
        #expect(d.state.finishedAt == 3500)
    }
}
