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
                if let span = sourceSpan(of: item, path: path, info: info, diagnostics: &diagnostics) {
                    entry.source = span
                    entry.writtenLength = FrameMath.convert(span.endFrame - span.firstFrame,
                                                            from: info.sampleRate, to: rate)
                    if info.sampleRate != rate {
                        diagnostics.warning(item.location(ofValue: item.kind.rawValue),
                            "'\(item.kind.rawValue)' file is sampled at \(info.sampleRate) Hz, the show at \(rate) Hz: it will be resampled")
                    }
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
        guard complete else { return Result(plan: nil, diagnostics: diagnostics.all) }

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

        // The fit: drop optional items from the end until squeezing can close the gap, then
        // squeeze or stretch live items to absorb what is left.
        var airing = entries.map { _ in true }
        let minimumLengths = entries.map { entry -> Int64 in
            guard entry.item.kind == .live else { return entry.writtenLength }
            return entry.item.min?.frames(at: rate) ?? entry.writtenLength
        }
        let droppable = entries.indices.reversed().filter { entries[$0].item.optional && !entries[$0].item.backtime }
        for candidate in droppable {
            let shortest = schedule(entries, rundown: rundown, lengths: minimumLengths, airing: airing).total
            if shortest <= slot { break }
            airing[candidate] = false
        }
        let base = schedule(entries, rundown: rundown, lengths: entries.map(\.writtenLength), airing: airing)
        var lengths = entries.map(\.writtenLength)
        let gap = slot - base.total
        let live = entries.indices.filter { airing[$0] && entries[$0].item.kind == .live }
        let rooms = live.map { index -> Int64 in
            let item = entries[index].item
            if gap > 0 { return max(0, (item.max?.frames(at: rate) ?? lengths[index]) - lengths[index]) }
            return max(0, lengths[index] - (item.min?.frames(at: rate) ?? lengths[index]))
        }
        let shares = distribute(gap.magnitude, rooms: rooms)
        for (position, index) in live.enumerated() {
            lengths[index] += gap > 0 ? shares[position] : -shares[position]
        }
        let fitted = schedule(entries, rundown: rundown, lengths: lengths, airing: airing)
        for index in entries.indices {
            entries[index].dropped = !airing[index]
            entries[index].length = lengths[index]
            entries[index].start = fitted.starts[index]
            entries[index].overlap = fitted.overlaps[index]
        }

        let plan = Plan(rundown: rundown, sampleRate: rate, entries: entries, slot: slot,
                        writtenTotal: written.total, total: fitted.total, backtimeIndex: backtimeIndex)
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
        } else if plan.overUnder > tolerance {
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
