/// Computes the timeline of a rundown, in integer frames, and the fit to its slot.
///
/// Lengths: an audio item plays `[in, out)` of its file, converted to the show's rate with
/// `FrameMath.convert` (the engine renders exactly that many frames); a live item lasts `planned`.
/// Crossfades overlap two consecutive audio items; never into or out of a live item.
package enum Planner {
    /// The result: a plan when there were no errors, and every diagnostic found.
    package struct Result: Sendable {
        /// The plan, nil when an error prevents computing it.
        package var plan: Plan?
        /// Errors and warnings found while planning.
        package var diagnostics: [Diagnostic]
    }

    /// Plans `rundown` with the audio files' facts in `audio` (keyed by absolute path). Files
    /// missing from `audio` are assumed reported already by whoever probed them.
    package static func plan(_ rundown: Rundown, audio: [String: AudioSourceInfo]) -> Result {
        var diagnostics = DiagnosticList()
        let rate = rundown.show.sampleRate
        var entries: [Plan.Entry] = []
        entries.reserveCapacity(rundown.items.count)
        var complete = true

        for item in rundown.items {
            var entry = Plan.Entry(item: item, writtenLength: 0, writtenStart: 0, writtenOverlap: 0,
                                   dropped: false, length: 0, start: 0, overlap: 0, source: nil,
                                   fadeIn: item.fadeIn?.frames(at: rate) ?? 0,
                                   fadeOut: item.fadeOut?.frames(at: rate) ?? 0,
                                   bedInfo: item.bed.flatMap { audio[$0] })
            if item.kind == .live {
                entry.writtenLength = item.planned?.frames(at: rate) ?? 0
                if let bed = item.bed, let info = audio[bed], info.sampleRate != rate {
                    diagnostics.warning(item.location(ofValue: "bed"),
                        "'bed' is sampled at \(info.sampleRate) Hz, the show at \(rate) Hz: it will be resampled")
                }
            } else if let path = item.audioPath, let info = audio[path] {
                if info.sampleRate != rate {   // said even when a cue point is wrong: every problem in one run
                    diagnostics.warning(item.location(ofValue: item.kind.rawValue),
                        "'\(item.kind.rawValue)' file is sampled at \(info.sampleRate) Hz, the show at \(rate) Hz: it will be resampled")
                }
                if let span = sourceSpan(of: item, path: path, info: info, diagnostics: &diagnostics) {
                    entry.source = span
                    entry.writtenLength = FrameMath.convert(span.endFrame - span.firstFrame,
                                                            from: info.sampleRate, to: rate)
                } else {
                    complete = false
                }
            } else {
                complete = false
            }
            entry.length = entry.writtenLength
            if entry.writtenLength > 0 {
                for (key, fade) in [("fade_in", entry.fadeIn), ("fade_out", entry.fadeOut)] where fade > entry.writtenLength {
                    diagnostics.error(item.location(ofValue: key),
                        "'\(key)' (\(FrameMath.format(frames: fade, sampleRate: rate, fractionDigits: 3))) is longer than the item (\(FrameMath.format(frames: entry.writtenLength, sampleRate: rate, fractionDigits: 3)))")
                }
            }
            entries.append(entry)
        }
        guard complete, !rundown.readWithErrors else { return Result(plan: nil, diagnostics: diagnostics.all) }

        for (position, entry) in entries.enumerated() where entry.item.crossfade != nil {
            let previous = position > 0 ? entries[position - 1].item : nil
            if entry.item.kind == .live || previous == nil || previous?.kind == .live {
                let reason = previous == nil ? "it is the first item" : "the previous item is live"
                diagnostics.warning(entry.item.location(ofValue: "crossfade"),
                    "'crossfade' has no effect here: \(reason), and crossfades join two audio items")
            }
        }
        for entry in entries where entry.fadeIn > 0 && entry.fadeOut > 0 && entry.fadeIn + entry.fadeOut > entry.writtenLength
            && entry.fadeIn <= entry.writtenLength && entry.fadeOut <= entry.writtenLength {
            diagnostics.error(entry.item.location(ofValue: "fade_out"),
                "'fade_in' and 'fade_out' together (\(FrameMath.format(frames: entry.fadeIn + entry.fadeOut, sampleRate: rate, fractionDigits: 3))) are longer than the item (\(FrameMath.format(frames: entry.writtenLength, sampleRate: rate, fractionDigits: 3)))")
        }

        // As written: everything airs at its written length.
        let written = schedule(entries, rundown: rundown, lengths: entries.map(\.writtenLength),
                               airing: entries.map { _ in true })
        for index in entries.indices {
            entries[index].writtenStart = written.starts[index]
            entries[index].writtenOverlap = written.overlaps[index]
            if let error = written.overlapErrors[index] {
                diagnostics.error(error.location, error.message)
            }
        }
        if diagnostics.hasErrors { return Result(plan: nil, diagnostics: diagnostics.all) }

        let slot = rundown.slot.frames(at: rate)
        let backtimeIndex = entries.firstIndex { $0.item.backtime }
        if let b = backtimeIndex { entries[b].writtenStart = slot - entries[b].writtenLength }

        // The posts: fixed-time items and the back-timed closer (a hard post at the hard end less
        // its length), in running order, their times rising through the slot.
        var posts: [Plan.Post] = []
        for entry in entries {
            let item = entry.item
            var target: Int64?
            if let at = item.at {
                let frame = at.seconds(after: rundown.air) * Int64(rate)
                if item.index == 0 {
                    diagnostics.error(item.location(ofValue: "at"),
                        "the first item starts at the air time (\(rundown.air.clock(after: 0, sampleRate: rate))): 'at' is for the items after it")
                } else if frame <= 0 || frame >= slot {
                    diagnostics.error(item.location(ofValue: "at"),
                        "'at' (\(at)) is outside the slot, \(rundown.air.clock(after: 0, sampleRate: rate)) to \(rundown.air.clock(after: slot, sampleRate: rate))")
                } else {
                    target = frame
                }
            } else if item.backtime {
                target = slot - entry.writtenLength
            }
            guard let target else { continue }
            if let previous = posts.last, target <= previous.target {
                let what = item.backtime ? "the back-timed item's time (\(rundown.air.clock(after: target, sampleRate: rate)))" : "'at' (\(item.at!))"
                diagnostics.error(item.backtime ? item.keyLocations["backtime"] ?? item.location : item.location(ofValue: "at"),
                    "\(what) comes before the post of item \(previous.index + 1) (\(rundown.air.clock(after: previous.target, sampleRate: rate))): posts must follow the running order")
                continue
            }
            posts.append(Plan.Post(index: item.index, target: target, mode: item.backtime ? .hard : item.post))
        }
        if diagnostics.hasErrors { return Result(plan: nil, diagnostics: diagnostics.all) }
        // As written, each post is at its time and what follows it runs on from there; the gap
        // before it is what the items before it, at their written lengths, leave to fill.
        var shift: Int64 = 0
        for (k, post) in posts.enumerated() {
            let next = k + 1 < posts.count ? posts[k + 1].index : entries.count
            posts[k].writtenGap = post.target - (written.starts[post.index] + shift)
            shift = post.target - written.starts[post.index]
            for index in post.index..<next { entries[index].writtenStart = written.starts[index] + shift }
        }

        // The fit, stretch by stretch: the items before each post fill the time to it (the last
        // stretch fills the slot). In each, optional items are dropped from its end until
        // squeezing can close the gap, then live items are squeezed or stretched to absorb what is
        // left; then the post is placed: a hard post starts at its time whatever is on air (which
        // fades out under it over the post's fade), a soft one when the item on air at its time
        // ends (what waits before it is dropped); either starts early when the stretch runs short.
        let postFade = rundown.show.postFade.frames(at: rate)
        // The fit in a scope of its own: it holds the entries, and writing them while it lives
        // would copy the whole array.
        let fit = { [entries] in
            var fit = Fit(entries: entries, rundown: rundown)
            var stretchStart: Int64 = 0
            var first = 0
            for k in 0...posts.count {
                let end = k < posts.count ? posts[k].index : entries.count
                let target = k < posts.count ? posts[k].target : slot
                fit.fitStretch(first..<end, from: stretchStart, to: target, post: k < posts.count ? end : nil)
                guard k < posts.count else { break }
                posts[k] = fit.place(posts[k], after: first..<end, fade: entries[posts[k].index].fadeIn > 0 ? entries[posts[k].index].fadeIn : postFade)
                stretchStart = posts[k].start
                first = posts[k].index
            }
            return fit.fitted
        }()
        for index in entries.indices {
            entries[index].dropped = !fit.airing[index]
            entries[index].cutAtPost = fit.cutAtPost[index]
            entries[index].length = fit.lengths[index]
            entries[index].fadeOut = fit.fadeOuts[index]
            entries[index].start = fit.starts[index]
            entries[index].overlap = fit.overlaps[index]
        }
        let fittedTotal = entries.indices.filter { fit.airing[$0] }.map { fit.starts[$0] + fit.lengths[$0] }.max() ?? 0

        let plan = Plan(rundown: rundown, sampleRate: rate, entries: entries, slot: slot,
                        writtenTotal: written.total, total: fittedTotal, backtimeIndex: backtimeIndex, posts: posts)
        let slotLocation = rundown.locations["slot"]
        let hasLive = entries.contains { $0.item.kind == .live && !$0.dropped }
        // Radio times to the second: a fitted show within a second of its slot is on time (the
        // sheet still shows the exact figure).
        let tolerance = Int64(rate)
        if plan.overUnder < -tolerance {
            let amount = FrameMath.format(frames: -plan.overUnder, sampleRate: rate)
            diagnostics.warning(slotLocation, hasLive
                ? "the show cannot fill its slot: \(amount) short even with every live item at its 'max'"
                : "the show cannot fill its slot: \(amount) short, and it has no live item to stretch")
        }
        for post in plan.posts {
            let item = entries[post.index].item
            let location = item.backtime ? item.keyLocations["backtime"] ?? item.location : item.location(ofValue: "at")
            let when = rundown.air.clock(after: post.target, sampleRate: rate)
            let name = item.backtime ? "the back-timed item's time (\(when))" : "the \(post.mode.rawValue) post at \(when)"
            if post.overrun > tolerance {
                let amount = FrameMath.format(frames: post.overrun, sampleRate: rate)
                var consequence: [String] = []
                if let cut = post.cutItem { consequence.append("item \(cut + 1) is cut at the post") }
                if !post.droppedItems.isEmpty {
                    consequence.append("item\(post.droppedItems.count == 1 ? "" : "s") \(post.droppedItems.map { String($0 + 1) }.joined(separator: ", ")) \(post.droppedItems.count == 1 ? "is" : "are") dropped")
                }
                if post.mode == .soft { consequence.append("the post starts \(FrameMath.format(frames: post.start - post.target, sampleRate: rate)) late") }
                diagnostics.warning(location, "the items before \(name) run over it by \(amount) even fitted: \(consequence.joined(separator: ", "))")
            } else if post.target - post.start > tolerance && item.at != nil {
                diagnostics.warning(location, "\(name) is reached \(FrameMath.format(frames: post.target - post.start, sampleRate: rate)) early even with every live item before it at its 'max': it starts then")
            }
        }
        if plan.overUnder > tolerance {
            let amount = FrameMath.format(frames: plan.overUnder, sampleRate: rate)
            let hasOptional = entries.contains { $0.item.optional }
            let tried = [hasLive ? "every live item at its 'min'" : nil, hasOptional ? "every optional item dropped" : nil].compactMap { $0 }
            diagnostics.warning(slotLocation, tried.isEmpty
                ? "the show overruns its slot by \(amount), and it has no live or optional item to absorb it"
                : "the show overruns its slot by \(amount) even with \(tried.joined(separator: " and "))")
        }
        return Result(plan: plan, diagnostics: diagnostics.all)
    }

    /// The cue points of an item resolved in the file's frames, or nil after reporting why not.
    static func sourceSpan(of item: Item, path: String, info: AudioSourceInfo,
                           diagnostics: inout DiagnosticList) -> SourceSpan? {
        let fileLength = FrameMath.format(frames: info.frames, sampleRate: info.sampleRate, fractionDigits: 3)
        let first = item.cueIn?.frames(at: info.sampleRate) ?? 0
        let end = item.cueOut?.frames(at: info.sampleRate) ?? info.frames
        var valid = true
        if first >= info.frames {
            diagnostics.error(item.location(ofValue: "in"),
                "cue point 'in' (\(item.cueIn!)) is outside the file, which lasts \(fileLength)")
            valid = false
        }
        if end > info.frames {
            diagnostics.error(item.location(ofValue: "out"),
                "cue point 'out' (\(item.cueOut!)) is outside the file, which lasts \(fileLength)")
            valid = false
        }
        if valid && first >= end {
            diagnostics.error(item.location(ofValue: item.cueOut != nil ? "out" : "in"),
                "cue point 'in' (\(item.cueIn?.description ?? "0")) must come before 'out' (\(item.cueOut?.description ?? fileLength))")
            valid = false
        }
        guard valid else { return nil }
        return SourceSpan(path: path, sampleRate: info.sampleRate, firstFrame: first, endFrame: end,
                          channels: info.channels)
    }

    struct Schedule {
        var starts: [Int64]
        var overlaps: [Int64]
        var total: Int64
        var overlapErrors: [Int: (location: SourceLocation?, message: String)]
    }

    /// Lays out the airing items back to back, less the crossfade overlaps.
    static func schedule(_ entries: [Plan.Entry], rundown: Rundown, lengths: [Int64], airing: [Bool]) -> Schedule {
        let rate = rundown.show.sampleRate
        var starts = [Int64](repeating: 0, count: entries.count)
        var overlaps = [Int64](repeating: 0, count: entries.count)
        var errors: [Int: (SourceLocation?, String)] = [:]
        var previous: Int?
        var cursor: Int64 = 0
        for index in entries.indices where airing[index] {
            let item = entries[index].item
            var overlap: Int64 = 0
            if let p = previous, item.kind.hasAudio, entries[p].item.kind.hasAudio {
                overlap = (item.crossfade ?? rundown.defaultCrossfade).frames(at: rate)
                let limit = min(lengths[p], lengths[index])
                if overlap > limit {
                    let location = item.crossfade != nil ? item.location(ofValue: "crossfade")
                        : (rundown.crossfade != nil ? rundown.locations["crossfade"] : rundown.show.locations["crossfade"])
                    let shorter = lengths[p] < lengths[index] ? "the previous item" : "this item"
                    errors[index] = (location,
                        "crossfade into item \(index + 1) (\(FrameMath.format(frames: overlap, sampleRate: rate, fractionDigits: 3))) is longer than \(shorter) (\(FrameMath.format(frames: limit, sampleRate: rate, fractionDigits: 3)))")
                    overlap = limit
                }
            }
            starts[index] = max(0, cursor - overlap)
            overlaps[index] = overlap
            cursor = starts[index] + lengths[index]
            previous = index
        }
        // Dropped items show where they would have been.
        for index in entries.indices where !airing[index] {
            starts[index] = index > 0 ? starts[index - 1] + (airing[index - 1] ? lengths[index - 1] : 0) : 0
        }
        return Schedule(starts: starts, overlaps: overlaps, total: cursor, overlapErrors: errors)
    }

    /// Splits `amount` over items in proportion to their `rooms`, never giving one more than its
    /// room; whole frames, remainders to the earliest items. Returns what each absorbs.
    static func distribute(_ amount: UInt64, rooms: [Int64]) -> [Int64] {
        let totalRoom = rooms.reduce(0, +)
        guard totalRoom > 0, amount > 0 else { return rooms.map { _ in 0 } }
        let absorbed = min(Int64(amount), totalRoom)
        var shares = rooms.map { Int64(Int128($0) * Int128(absorbed) / Int128(totalRoom)) }
        var left = absorbed - shares.reduce(0, +)
        var index = 0
        while left > 0 {
            if shares[index] < rooms[index] { shares[index] += 1; left -= 1 }
            index = (index + 1) % shares.count
        }
        return shares
    }
}
