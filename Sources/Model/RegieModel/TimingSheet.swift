/// The producer's timing sheet of a plan, as text (for the terminal) or as data (for machines).
package enum TimingSheet {
    /// The sheet as text, about 100 columns wide.
    package static func text(_ plan: Plan) -> String {
        let rundown = plan.rundown
        let rate = plan.sampleRate
        func time(_ frames: Int64, sign: Bool = false) -> String {
            FrameMath.format(frames: frames, sampleRate: rate, fractionDigits: 1, sign: sign)
        }
        func clock(_ frames: Int64) -> String { rundown.air.clock(after: frames, sampleRate: rate) }
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let n = text.count
            if n >= width { return text }
            let fill = String(repeating: " ", count: width - n)
            return right ? fill + text : text + fill
        }
        var lines: [String] = []
        lines.append("\(rundown.show.title) — \(rundown.episode.map { "episode \($0)" } ?? "episode (no number)"): \(rundown.title)")
        lines.append("Air \(rundown.air.text) · slot \(time(plan.slot)) · hard end \(clock(plan.slot)) · \(rate) Hz")
        lines.append("")
        lines.append("  #  clock     fitted    offset     length     xfade   total      kind     item")
        for entry in plan.entries {
            let item = entry.item
            if let post = plan.posts.first(where: { $0.index == item.index }) {
                let gap = post.writtenGap
                let what = gap > 0 ? "to fill" : (gap < 0 ? "to remove (overlap)" : "on time")
                let name = item.backtime ? "the back-timed item" : "the \(post.mode.rawValue) post at \(clock(post.target))"
                lines.append("     gap before \(name): \(time(gap, sign: true)) \(what)")
            }
            var flags: [String] = []
            if item.optional { flags.append("optional") }
            if item.backtime { flags.append("back-timed") }
            if let at = item.at { flags.append("at \(at), \(item.post.rawValue)") }
            if let min = item.min { flags.append("min \(FrameMath.format(frames: min.frames(at: rate), sampleRate: rate, fractionDigits: 0))") }
            if let max = item.max { flags.append("max \(FrameMath.format(frames: max.frames(at: rate), sampleRate: rate, fractionDigits: 0))") }
            if item.bed != nil { flags.append("bed") }
            var title = item.displayTitle
            if !flags.isEmpty { title += "  [\(flags.joined(separator: ", "))]" }
            let overlap = entry.writtenOverlap > 0 ? time(entry.writtenOverlap) : ""
            let fitted = entry.dropped ? "—       " : clock(entry.start)
            lines.append(pad(String(item.index + 1), 3, right: true) + "  " + clock(entry.writtenStart) + "  " + fitted + "  "
                + pad(time(entry.writtenStart), 10) + " " + pad(time(entry.writtenLength), 10) + " "
                + pad(overlap, 7) + " " + pad(time(entry.writtenStart + entry.writtenLength), 10) + " "
                + pad(item.kind.rawValue, 8) + " " + title)
        }
        lines.append("")
        lines.append("Total as written  \(time(plan.writtenTotal))   slot \(time(plan.slot))   \(overUnder(plan.writtenOverUnder, rate: rate))")
        let cut = plan.entries.filter { $0.cutAtPost && !$0.dropped }
        if !plan.adjustedEntries.isEmpty || !plan.droppedEntries.isEmpty || !cut.isEmpty {
            lines.append(plan.posts.contains { $0.index != plan.backtimeIndex } ? "To fit the slot and its posts:" : "To fit the slot:")
            for entry in plan.droppedEntries {
                if entry.cutAtPost, let post = plan.posts.first(where: { $0.droppedItems.contains(entry.item.index) }) {
                    lines.append("  drop item \(entry.item.index + 1) \"\(entry.item.displayTitle)\" (it would start after the post at \(clock(post.target)))")
                } else {
                    lines.append("  drop item \(entry.item.index + 1) \"\(entry.item.displayTitle)\" (optional, \(time(entry.writtenLength)))")
                }
            }
            for entry in cut {
                if let post = plan.posts.first(where: { $0.cutItem == entry.item.index }) {
                    lines.append("  cut item \(entry.item.index + 1) \"\(entry.item.displayTitle)\" at the post at \(clock(post.target)): it fades out under item \(post.index + 1) (\(time(entry.length - entry.writtenLength, sign: true)))")
                }
            }
            for entry in plan.adjustedEntries {
                let verb = entry.adjustment < 0 ? "squeeze" : "stretch"
                lines.append("  \(verb) item \(entry.item.index + 1) \"\(entry.item.displayTitle)\" \(time(entry.writtenLength)) → \(time(entry.length)) (\(time(entry.adjustment, sign: true)))")
            }
            lines.append("Total fitted      \(time(plan.total))   slot \(time(plan.slot))   \(overUnder(plan.overUnder, rate: rate))")
        }
        for post in plan.posts where post.index != plan.backtimeIndex {
            let item = plan.entries[post.index].item
            var state: String
            if post.overrun > 0 {
                state = post.mode == .hard ? "reached \(time(post.overrun)) late: what is on air fades out under it"
                    : "starts \(time(post.start - post.target)) late, when the item on air ends"
            } else if post.start < post.target {
                state = "reached \(time(post.target - post.start)) early: it starts then"
            } else {
                state = "on time"
            }
            lines.append("Post \(clock(post.target)) (\(post.mode.rawValue), item \(post.index + 1) \"\(item.displayTitle)\"): \(state)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func overUnder(_ frames: Int64, rate: Int) -> String {
        if frames == 0 { return "on time" }
        let amount = FrameMath.format(frames: abs(frames), sampleRate: rate, fractionDigits: 1)
        return frames > 0 ? "over by \(amount)" : "under by \(amount)"
    }

    /// The plan as data: times in seconds (frame-exact: frames divided by the rate) and in frames.
    package struct Data: Codable, Sendable, Equatable {
        /// One item.
        package struct ItemData: Codable, Sendable, Equatable {
            package var number: Int
            package var kind: String
            package var title: String
            package var artist: String?
            package var file: String?
            package var optional: Bool
            package var backtime: Bool
            package var clock: String
            package var start: Double
            package var length: Double
            package var overlap: Double
            package var end: Double
            package var startFrame: Int64
            package var lengthFrames: Int64
            package var overlapFrames: Int64
            /// The item's fixed time (`at`), as written.
            package var at: String?
            /// How its fixed time is kept (hard or soft), for a post.
            package var post: String?
            package var fitted: Fitted
        }
        /// A post: a fixed-time item or the back-timed closer.
        package struct PostData: Codable, Sendable, Equatable {
            package var item: Int
            package var mode: String
            package var clock: String
            package var target: Double
            package var targetFrame: Int64
            package var start: Double
            package var startFrame: Int64
            package var overrun: Double
            package var cutItem: Int?
            package var dropped: [Int]
            package var writtenGap: Double
        }
        /// An item in the fitted schedule.
        package struct Fitted: Codable, Sendable, Equatable {
            package var dropped: Bool
            package var clock: String
            package var start: Double
            package var length: Double
            package var overlap: Double
            package var startFrame: Int64
            package var lengthFrames: Int64
            package var overlapFrames: Int64
            package var adjustment: Double
            /// A post cut this item short (it fades out under the post) or dropped it.
            package var cutAtPost: Bool
        }
        package var show: String
        package var episode: Int?
        package var title: String
        package var air: String
        package var sampleRate: Int
        package var slot: Double
        package var slotFrames: Int64
        package var hardEnd: String
        package var items: [ItemData]
        package var totalWritten: Double
        package var totalWrittenFrames: Int64
        package var overUnderWritten: Double
        package var gap: Double
        package var backtimeItem: Int?
        package var backtimeStart: Double?
        package var total: Double
        package var totalFrames: Int64
        package var overUnder: Double
        package var dropped: [Int]
        package var posts: [PostData]
    }

    /// The plan as data.
    package static func data(_ plan: Plan) -> Data {
        let rate = plan.sampleRate
        func s(_ frames: Int64) -> Double { FrameMath.seconds(frames, sampleRate: rate) }
        let air = plan.rundown.air
        let items = plan.entries.map { entry in
            Data.ItemData(
                number: entry.item.index + 1, kind: entry.item.kind.rawValue,
                title: entry.item.title ?? entry.item.value, artist: entry.item.artist,
                file: entry.item.audioPath, optional: entry.item.optional, backtime: entry.item.backtime,
                clock: air.clock(after: entry.writtenStart, sampleRate: rate),
                start: s(entry.writtenStart), length: s(entry.writtenLength), overlap: s(entry.writtenOverlap),
                end: s(entry.writtenStart + entry.writtenLength), startFrame: entry.writtenStart,
                lengthFrames: entry.writtenLength, overlapFrames: entry.writtenOverlap,
                at: entry.item.at?.text,
                post: plan.posts.first { $0.index == entry.item.index }?.mode.rawValue,
                fitted: Data.Fitted(dropped: entry.dropped, clock: air.clock(after: entry.start, sampleRate: rate),
                                    start: s(entry.start), length: s(entry.dropped ? 0 : entry.length),
                                    overlap: s(entry.overlap), startFrame: entry.start,
                                    lengthFrames: entry.dropped ? 0 : entry.length, overlapFrames: entry.overlap,
                                    adjustment: s(entry.adjustment), cutAtPost: entry.cutAtPost))
        }
        return Data(show: plan.rundown.show.title, episode: plan.rundown.episode, title: plan.rundown.title,
                    air: air.text, sampleRate: rate, slot: s(plan.slot), slotFrames: plan.slot,
                    hardEnd: air.clock(after: plan.slot, sampleRate: rate), items: items,
                    totalWritten: s(plan.writtenTotal), totalWrittenFrames: plan.writtenTotal,
                    overUnderWritten: s(plan.writtenOverUnder), gap: s(plan.writtenGap),
                    backtimeItem: plan.backtimeIndex.map { $0 + 1 },
                    backtimeStart: plan.backtimeIndex.map { s(plan.entries[$0].writtenStart) },
                    total: s(plan.total), totalFrames: plan.total, overUnder: s(plan.overUnder),
                    dropped: plan.droppedEntries.map { $0.item.index + 1 },
                    posts: plan.posts.map { post in
                        Data.PostData(item: post.index + 1, mode: post.mode.rawValue, clock: air.clock(after: post.target, sampleRate: rate),
                                      target: s(post.target), targetFrame: post.target, start: s(post.start),
                                      startFrame: post.start, overrun: s(post.overrun), cutItem: post.cutItem.map { $0 + 1 },
                                      dropped: post.droppedItems.map { $0 + 1 }, writtenGap: s(post.writtenGap))
                    })
    }
}
