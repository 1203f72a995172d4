/// The fitted schedule being built, stretch by stretch (`Planner.plan`).
struct Fit {
    let entries: [Plan.Entry]
    let rundown: Rundown
    var airing: [Bool]
    var lengths: [Int64]
    var fadeOuts: [Int64]
    var starts: [Int64]
    var overlaps: [Int64]
    var cutAtPost: [Bool]
    /// Items whose start a post fixed (their overlap is set by the post, not a crossfade).
    var fixedStart: [Bool]
    /// Per entry, read once from its item: whether it plays a file, whether it is optional, and
    /// the crossfade into it in frames. The fit's inner loops read these for every item; reading
    /// them through `entries[i].item` copied the whole item each time (a 60,000-item rundown
    /// spent most of its check retaining and releasing items).
    private let playsAudio: [Bool]
    private let optional: [Bool]
    private let crossfadeInto: [Int64]

    init(entries: [Plan.Entry], rundown: Rundown) {
        self.entries = entries
        self.rundown = rundown
        let rate = rundown.show.sampleRate
        playsAudio = entries.map { $0.item.kind.hasAudio }
        optional = entries.map { $0.item.optional }
        crossfadeInto = entries.map { ($0.item.crossfade ?? rundown.defaultCrossfade).frames(at: rate) }
        airing = entries.map { _ in true }
        lengths = entries.map(\.writtenLength)
        fadeOuts = entries.map(\.fadeOut)
        starts = entries.map { _ in 0 }
        overlaps = entries.map { _ in 0 }
        cutAtPost = entries.map { _ in false }
        fixedStart = entries.map { _ in false }
    }

    var rate: Int { rundown.show.sampleRate }

    /// What the fit decided, per entry, without the entries it holds.
    struct Fitted {
        var airing: [Bool]
        var cutAtPost: [Bool]
        var lengths: [Int64]
        var fadeOuts: [Int64]
        var starts: [Int64]
        var overlaps: [Int64]
    }

    var fitted: Fitted {
        Fitted(airing: airing, cutAtPost: cutAtPost, lengths: lengths, fadeOuts: fadeOuts, starts: starts, overlaps: overlaps)
    }

    /// The crossfade from airing item `previous` into airing item `index` (both audio), capped
    /// at the shorter of the two.
    func crossfade(from previous: Int, into index: Int, lengths: [Int64]) -> Int64 {
        guard playsAudio[index], playsAudio[previous] else { return 0 }
        return min(crossfadeInto[index], lengths[previous], lengths[index])
    }

    /// Lays out the airing items of `range` back to back from `start` (the first one at `start`
    /// exactly when its start is fixed), with `lengths`; returns the starts, overlaps and the end.
    func layout(_ range: Range<Int>, from start: Int64, lengths: [Int64], airing: [Bool])
        -> (starts: [Int: Int64], overlaps: [Int: Int64], end: Int64) {
        var result: [Int: Int64] = [:], overlapsOut: [Int: Int64] = [:]
        let before = range.lowerBound > 0 ? (0..<range.lowerBound).last(where: { airing[$0] }) : nil
        var cursor = start
        var previous: Int?
        for index in range where airing[index] {
            let placed = startAndOverlap(of: index, after: previous, cursor: cursor, from: start, before: before, lengths: lengths)
            result[index] = placed.start
            overlapsOut[index] = placed.overlap
            cursor = placed.start + lengths[index]
            previous = index
        }
        return (result, overlapsOut, range.isEmpty ? start : cursor)
    }

    /// Where the post (`post`, the item after `range`) would start after the layout of `range`
    /// with `lengths` and `airing`: its end less the crossfade into the post.
    func reach(_ range: Range<Int>, from start: Int64, lengths: [Int64], airing: [Bool], post: Int?) -> Int64 {
        let end = layout(range, from: start, lengths: lengths, airing: airing).end
        guard let post, let last = range.last(where: { airing[$0] }) else { return end }
        return end - crossfade(from: last, into: post, lengths: lengths)
    }

    /// Fits the items of `range` (the first one's start fixed at `start` when it is a post) into
    /// the time to `target` (where the post after them, if any, is to start): optional items
    /// dropped from the end while the shortest layout still runs over, then the live items
    /// squeezed or stretched within `min`/`max` by what is left.
    mutating func fitStretch(_ range: Range<Int>, from start: Int64, to target: Int64, post: Int?) {
        let minimum = lengths.indices.map { index -> Int64 in
            let entry = entries[index]
            guard entry.item.kind == .live else { return lengths[index] }
            return entry.item.min?.frames(at: rate) ?? lengths[index]
        }
        dropOptionalItems(range, from: start, to: target, lengths: minimum, post: post)
        let base = reach(range, from: start, lengths: lengths, airing: airing, post: post)
        let gap = target - base
        let live = range.filter { airing[$0] && entries[$0].item.kind == .live }
        let rooms = live.map { index -> Int64 in
            let item = entries[index].item
            if gap > 0 { return max(0, (item.max?.frames(at: rate) ?? lengths[index]) - lengths[index]) }
            return max(0, lengths[index] - (item.min?.frames(at: rate) ?? lengths[index]))
        }
        let shares = Planner.distribute(gap.magnitude, rooms: rooms)
        for (position, index) in live.enumerated() {
            lengths[index] += gap > 0 ? shares[position] : -shares[position]
        }
        let placed = layout(range, from: start, lengths: lengths, airing: airing)
        for (index, value) in placed.starts { starts[index] = value }
        for (index, value) in placed.overlaps where !fixedStart[index] { overlaps[index] = value }
        // Dropped items show where they would have been.
        for index in range where !airing[index] {
            starts[index] = index > range.lowerBound ? starts[index - 1] + (airing[index - 1] ? lengths[index - 1] : 0) : start
        }
    }

    /// Drops optional items of `range` from the last one back while the layout with `lengths`
    /// still reaches past `target`: what `reach` would say after each drop, in linear time.
    ///
    /// Laying out the whole range again after each drop made a check quadratic (a rundown of
    /// 60,000 optional items took minutes). The drops go from the end back, so when candidate
    /// `c` is weighed the items before it are as they were (their layout is scanned once, the
    /// cursor after each kept), and the items after it are the kept items that are not optional,
    /// whose layout only moves as a block: its length from its first item is kept and grows as
    /// items are put in front of it. `reach` would give the same figure (the layout's only clamp,
    /// at zero, can bite the first item alone; that case is worked out as `layout` does).
    mutating func dropOptionalItems(_ range: Range<Int>, from start: Int64, to target: Int64,
                                            lengths: [Int64], post: Int?) {
        let candidates = range.reversed().filter { optional[$0] }
        guard !candidates.isEmpty else { return }
        // The layout of the range as it is, item by item: the cursor and the last airing item
        // after each.
        let before = range.lowerBound > 0 ? (0..<range.lowerBound).last(where: { airing[$0] }) : nil
        var cursorAfter = [Int64](repeating: start, count: range.count)
        var previousAfter = [Int?](repeating: nil, count: range.count)
        var cursor = start
        var previous: Int?
        for index in range {
            if airing[index] {
                cursor = startAndOverlap(of: index, after: previous, cursor: cursor, from: start, before: before, lengths: lengths).start
                    + lengths[index]
                previous = index
            }
            cursorAfter[index - range.lowerBound] = cursor
            previousAfter[index - range.lowerBound] = previous
        }
        // The kept items after the candidate: the first, the last, and the span from the first's
        // start to the end.
        var tail: (first: Int, last: Int, span: Int64)?
        var next = range.upperBound   // items from here on are in `tail` (or dropped)
        for candidate in candidates {
            for index in (candidate + 1 ..< next).reversed() where airing[index] && !optional[index] {
                if let kept = tail {
                    tail = (index, kept.last, lengths[index] + kept.span - crossfade(from: index, into: kept.first, lengths: lengths))
                } else {
                    tail = (index, index, lengths[index])
                }
            }
            next = candidate
            // Where the post would start with the items up to the candidate as they are.
            let slot = candidate - range.lowerBound
            var end = cursorAfter[slot]
            var last = previousAfter[slot]
            if let tail {
                end = startAndOverlap(of: tail.first, after: last, cursor: end, from: start, before: before, lengths: lengths).start + tail.span
                last = tail.last
            }
            let reach = post.flatMap { p in last.map { end - crossfade(from: $0, into: p, lengths: lengths) } } ?? end
            if reach <= target { break }
            airing[candidate] = false
        }
    }

    /// Where airing item `index` starts in a layout, and its overlap with what comes before:
    /// at `start` exactly when it is the range's first (`previous` nil) and its start is fixed
    /// (its overlap set by its post); otherwise at the cursor less the crossfade from the item
    /// before it (`previous`, or `before` the range), never before zero.
    private func startAndOverlap(of index: Int, after previous: Int?, cursor: Int64, from start: Int64, before: Int?,
                                 lengths: [Int64]) -> (start: Int64, overlap: Int64) {
        if fixedStart[index] && previous == nil { return (start, overlaps[index]) }
        let overlap = (previous ?? before).map { crossfade(from: $0, into: index, lengths: lengths) } ?? 0
        return (max(0, cursor - overlap), overlap)
    }

    /// Places `post` after the stretch `range` as fitted: returns it with its start and what it
    /// cut or dropped.
    mutating func place(_ post: Plan.Post, after range: Range<Int>, fade: Int64) -> Plan.Post {
        var post = post
        let p = post.index
        let sounding = range.filter { airing[$0] }
        let natural: Int64 = {
            guard let last = sounding.last else { return range.isEmpty ? post.target : starts[range.lowerBound] }
            return max(0, starts[last] + lengths[last] - crossfade(from: last, into: p, lengths: lengths))
        }()
        fixedStart[p] = true
        guard natural > post.target else {
            post.start = natural
            starts[p] = natural
            overlaps[p] = sounding.last.map { crossfade(from: $0, into: p, lengths: lengths) } ?? 0
            return post
        }
        post.overrun = natural - post.target
        switch post.mode {
        case .hard:
            // Whatever is on air at the post fades out under it; what would start after is dropped.
            post.start = post.target
            var under: Int64 = 0
            for index in sounding {
                if starts[index] >= post.target {
                    airing[index] = false
                    cutAtPost[index] = true
                    post.droppedItems.append(index)
                } else if starts[index] + lengths[index] > post.target {
                    let silent = entries[index].item.kind == .live && entries[index].item.bed == nil   // ends at the post
                    let kept = min(lengths[index], post.target - starts[index] + (silent ? 0 : fade))
                    lengths[index] = kept
                    fadeOuts[index] = min(kept, max(fadeOuts[index], min(fade, kept)))
                    cutAtPost[index] = true
                    post.cutItem = index
                    under = max(under, starts[index] + kept - post.target)
                }
            }
            starts[p] = post.target
            overlaps[p] = under
        case .soft:
            // It becomes next at its time: the item on air then plays to its end, what waits is dropped.
            let onAir = sounding.last { starts[$0] <= post.target }
            var previous = onAir
            for index in sounding where onAir.map({ index > $0 }) ?? true {
                airing[index] = false
                cutAtPost[index] = true
                post.droppedItems.append(index)
            }
            if onAir == nil { previous = nil }
            let start = previous.map { max(0, starts[$0] + lengths[$0] - crossfade(from: $0, into: p, lengths: lengths)) } ?? post.target
            post.start = max(start, post.target)
            starts[p] = post.start
            overlaps[p] = previous.map { crossfade(from: $0, into: p, lengths: lengths) } ?? 0
        }
        return post
    }
}
