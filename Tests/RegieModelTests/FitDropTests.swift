import Testing
@testable import RegieModel

/// `Fit.dropOptionalItems` works out in one pass what laying the stretch out again after each drop
/// gives (issue 14: that made a check of a 60,000-item rundown take minutes). Compared with the
/// plain loop on random stretches: items of every kind, crossfades of their own or the rundown's,
/// optional items anywhere, live items with min/max, a fixed first start, items already off air,
/// a post after the stretch or none, targets from far too short to long enough.
@Suite struct FitDropTests {
    let base = PlannerTests()

    /// A small deterministic generator (the same cases on every run and machine).
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test func oneLinearPassDropsWhatTheLoopDrops() throws {
        var random = Generator(state: 2026_12_05)
        var compared = 0, dropped = 0
        for _ in 0..<3000 {
            let count = 1 + random.next(14)
            var items: [Item] = []
            for index in 0..<count {
                var item: Item
                switch random.next(4) {
                case 0: item = base.live(index, planned: "\(1 + random.next(30))", min: random.next(2) == 0 ? "1" : nil,
                                         max: random.next(2) == 0 ? "40" : nil)
                case 1: item = base.audio(index, .jingle, "/j2")
                case 2: item = base.audio(index, .segment, "/t10")
                default: item = base.audio(index, .music, "/m20")
                }
                item.optional = random.next(3) == 0
                if item.kind.hasAudio, random.next(3) == 0 { item.crossfade = Timecode(parsing: "\(random.next(12))") }
                items.append(item)
            }
            let rundown = base.rundown(items, slot: "600", crossfade: random.next(2) == 0 ? "1.5" : nil)
            guard let plan = Planner.plan(rundown, audio: base.files).plan else { continue }
            var fast = Fit(entries: plan.entries, rundown: rundown)
            let lower = random.next(count), upper = lower + random.next(count - lower + 1)
            let range = lower..<upper
            for index in 0..<count where random.next(8) == 0 { fast.airing[index] = false }
            if random.next(3) == 0, !range.isEmpty { fast.fixedStart[lower] = true }
            let start = Int64(random.next(20)) * PlannerTests.s
            let target = start + Int64(random.next(120)) * PlannerTests.s
            let post = upper < count && random.next(4) != 0 ? upper : nil
            let lengths = fast.lengths.map { $0 - Int64(random.next(3)) * PlannerTests.s / 2 }.map { max(1, $0) }
            var slow = fast
            let before = fast.airing
            fast.dropOptionalItems(range, from: start, to: target, lengths: lengths, post: post)
            for candidate in range.reversed() where items[candidate].optional {
                if slow.reach(range, from: start, lengths: lengths, airing: slow.airing, post: post) <= target { break }
                slow.airing[candidate] = false
            }
            #expect(fast.airing == slow.airing, "\(range) \(start) → \(target), post \(String(describing: post))")
            compared += 1
            dropped += zip(before, fast.airing).filter { $0.0 && !$0.1 }.count
        }
        #expect(compared > 1500 && dropped > 200, "the cases must drop things: \(compared) compared, \(dropped) off air")
    }
}
