import Testing
@testable import RegieModel

/// Posts worked out by hand: the items before each fixed time fill the time to it; a hard post
/// starts at its time whatever is on air (cutting it, with the post fade), a soft one when the
/// item on air at its time ends. Air 18:00:00, frames at 44.1 kHz.
@Suite struct PostPlannerTests {
    let base = PlannerTests()
    let s = PlannerTests.s

    func at(_ item: Item, _ time: String, _ mode: PostMode = .hard) -> Item {
        var item = item
        item.at = TimeOfDay(parsing: time)
        item.post = mode
        return item
    }

    @Test func liveItemsStretchOrSqueezeToMeetEachPost() throws {
        // 18:00:00 j2 (2 s), live 20 s (10–30), then the post at 18:00:30: t10; then live 10 s (5–15), slot 50 s.
        let items = [base.audio(0, .jingle, "/j2"), base.live(1, planned: "20", min: "10", max: "30"),
                     at(base.audio(2, .segment, "/t10"), "18:00:30"), base.live(3, planned: "10", min: "5", max: "15")]
        let (plan, diagnostics) = try base.plan(base.rundown(items, slot: "50"))
        #expect(diagnostics.filter { $0.severity == .warning }.isEmpty, "\(diagnostics)")
        #expect(plan.entries.map(\.start) == [0, 2 * s, 30 * s, 40 * s])
        #expect(plan.entries.map(\.length) == [2 * s, 28 * s, 10 * s, 10 * s])   // 20 → 28: the post at 30 s
        #expect(plan.posts.count == 1)
        #expect(plan.posts[0].start == 30 * s && plan.posts[0].overrun == 0)
        #expect(plan.posts[0].writtenGap == 8 * s)
        #expect(plan.total == 50 * s)
    }

    @Test func aHardPostCutsWhatIsOnAirWithThePostFadeAndDropsWhatWouldFollow() throws {
        // j2, m20 (at 2 s, to 22 s), j2 (to 24 s), then the hard post at 18:00:15: m20 is on air at
        // 15 s: cut to 15 + 2 s of fade = 15 s long from its start at 2 s... (13 s + 2 s), the jingle dropped.
        let items = [base.audio(0, .jingle, "/j2"), base.audio(1, .music, "/m20"), base.audio(2, .jingle, "/j2"),
                     at(base.audio(3, .segment, "/t10"), "18:00:15")]
        let (plan, diagnostics) = try base.plan(base.rundown(items, slot: "30"))
        let post = try #require(plan.posts.first)
        #expect(post.start == 15 * s)
        #expect(post.overrun == 9 * s)   // the post would have come at 24 s
        #expect(post.cutItem == 1 && post.droppedItems == [2])
        #expect(plan.entries[1].length == 15 * s && plan.entries[1].fadeOut == 2 * s && plan.entries[1].cutAtPost)
        #expect(plan.entries[2].dropped && plan.entries[2].cutAtPost)
        #expect(plan.entries[3].start == 15 * s && plan.entries[3].overlap == 2 * s)
        #expect(diagnostics.contains { $0.severity == .warning && $0.message.contains("run over it by 0:09") && $0.message.contains("item 2 is cut at the post") && $0.message.contains("item 3 is dropped") },
                "\(diagnostics)")
        // The item's own fade-in, when it has one, is the post's fade.
        var faded = items
        faded[3].fadeIn = Timecode(parsing: "0.5")
        let (short, _) = try base.plan(base.rundown(faded, slot: "30"))
        #expect(short.entries[1].length == 13 * s + s / 2)
    }

    @Test("a live item with no bed cut by a hard post ends at the post (nothing to fade); with a bed it fades out under it")
    func aLiveItemCutAtAHardPost() throws {
        // j2, then talk planned 20 s (no min: it cannot squeeze) with the post at 18:00:10.
        let items = [base.audio(0, .jingle, "/j2"), base.live(1, planned: "20"), at(base.audio(2, .segment, "/t10"), "18:00:10")]
        let (plan, _) = try base.plan(base.rundown(items, slot: "30"))
        #expect(plan.posts.first?.cutItem == 1)
        #expect(plan.entries[1].length == 8 * s && plan.entries[1].cutAtPost, "from 2 s to the post at 10 s, no fade")
        #expect(plan.entries[2].start == 10 * s && plan.entries[2].overlap == 0)
        var bedded = items
        bedded[1].bed = "/m20"
        let (withBed, _) = try base.plan(base.rundown(bedded, slot: "30"))
        #expect(withBed.entries[1].length == 10 * s, "its bed fades out over the post's 2 s")
        #expect(withBed.entries[2].overlap == 2 * s)
    }

    @Test func aSoftPostWaitsForTheItemOnAirAndDropsWhatWaits() throws {
        let items = [base.audio(0, .jingle, "/j2"), base.audio(1, .music, "/m20"), base.audio(2, .jingle, "/j2"),
                     at(base.audio(3, .segment, "/t10"), "18:00:15", .soft)]
        let (plan, _) = try base.plan(base.rundown(items, slot: "40"))
        let post = try #require(plan.posts.first)
        #expect(post.start == 22 * s, "when the music on air at 15 s ends")
        #expect(post.droppedItems == [2] && post.cutItem == nil)
        #expect(plan.entries[1].length == 20 * s && !plan.entries[1].cutAtPost)
        #expect(plan.entries[3].start == 22 * s)
    }

    @Test func aPostReachedEarlyStartsThenAndSaysSo() throws {
        let items = [base.audio(0, .jingle, "/j2"), base.live(1, planned: "5", max: "8"), at(base.audio(2, .segment, "/t10"), "18:00:20")]
        let (plan, diagnostics) = try base.plan(base.rundown(items, slot: "40"))
        #expect(plan.posts[0].start == 10 * s, "2 s + the live item at its max, 8 s")
        #expect(diagnostics.contains { $0.message.contains("reached 0:10") && $0.message.contains("early") }, "\(diagnostics)")
    }

    @Test func theBackTimedCloserIsAHardPostThatCutsAnOverrun() throws {
        var closer = base.audio(2, .jingle, "/j2")
        closer.backtime = true
        let items = [base.audio(0, .music, "/m20"), base.audio(1, .music, "/m20"), closer]
        let (plan, diagnostics) = try base.plan(base.rundown(items, slot: "30"))
        #expect(plan.entries[2].start == 28 * s, "the closer ends at the hard end")
        #expect(plan.total == 30 * s)
        #expect(plan.entries[1].length == 10 * s, "the second song cut at 28 s, fading for 2 s under the closer")
        #expect(diagnostics.contains { $0.message.contains("back-timed item's time (18:00:28)") }, "\(diagnostics)")
    }

    @Test func postsAreCheckedAgainstTheSlotAndTheRunningOrder() throws {
        let items = [base.audio(0, .jingle, "/j2"), at(base.audio(1, .segment, "/t10"), "18:00:20"),
                     at(base.audio(2, .segment, "/t10"), "18:00:10"), at(base.audio(3, .segment, "/t10"), "19:30:00")]
        let result = Planner.plan(base.rundown(items, slot: "60"), audio: base.files)
        #expect(result.plan == nil)
        let errors = result.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.contains { $0.contains("'at' (18:00:10) comes before the post of item 2 (18:00:20)") }, "\(errors)")
        #expect(errors.contains { $0.contains("'at' (19:30:00) is outside the slot, 18:00:00 to 18:01:00") }, "\(errors)")
        let first = Planner.plan(base.rundown([at(base.audio(0, .jingle, "/j2"), "18:00:05")], slot: "60"), audio: base.files)
        #expect(first.diagnostics.contains { $0.message.contains("the first item starts at the air time") })
    }

    @Test func timeOfDayAfterAir() {
        let air = AirTime(iso8601: "2026-12-03T23:30:00+01:00")!
        #expect(TimeOfDay(parsing: "23:45")?.seconds(after: air) == 900)
        #expect(TimeOfDay(parsing: "00:15:30")?.seconds(after: air) == 2730, "past midnight")
        #expect(TimeOfDay(parsing: "24:00") == nil && TimeOfDay(parsing: "9:00") == nil && TimeOfDay(parsing: "09:60") == nil)
    }
}
