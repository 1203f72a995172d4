import RegieModel

// The views of the technician's tools on air: the insert list and the cart wall (each in place of
// the running order), the countdown to air, what the next post will cut, the help line for what
// is being done.

extension Context {
    /// The insert list in place of the running order (scrolled to keep the choice visible).
    func pickerRows(_ picker: ConsoleSnapshot.Picker, rows: Int, width: Int) -> [ConsoleLine] {
        var lines = [ConsoleLine([ConsoleRun(picker.title, .highlight), ConsoleRun("  ↑↓ choose  Enter insert  Esc cancel", .dim)])
            .clipped(to: width)]
        let room = max(0, rows - 1)
        let top = max(0, min(picker.selected - room / 2, picker.choices.count - room))
        for index in top..<min(picker.choices.count, top + room) {
            let selected = index == picker.selected
            lines.append(ConsoleLine([ConsoleRun((selected ? " › " : "   ") + picker.choices[index], selected ? .selected : .normal)])
                .clipped(to: width))
        }
        while lines.count < rows { lines.append(ConsoleLine()) }
        return Array(lines.prefix(rows))
    }

    /// Every cart with its key and state, in columns wide enough for all of them to show.
    func cartWall(rows: Int, width: Int) -> [ConsoleLine] {
        var lines = [ConsoleLine([ConsoleRun("Cart wall", .highlight), ConsoleRun("  key fires or stops · c back to the running order", .dim)])
            .clipped(to: width)]
        let room = max(1, rows - 1)
        let carts = snapshot.carts
        let columns = max(1, (carts.count + room - 1) / room)
        let columnWidth = max(1, width / columns)
        for row in 0..<room {
            var runs: [ConsoleRun] = []
            for column in 0..<columns {
                let index = column * room + row
                guard index < carts.count else { break }
                let cart = carts[index]
                let state = cart.playing ? " ▶ " + time(cart.remainingFrames) : ""
                let key = DisplayWidth.rightAligned(cart.key, to: 3)
                let text = DisplayWidth.fit("\(key)  \(cart.title)\(state)", to: columnWidth - 1) + " "
                runs.append(ConsoleRun(text, cart.playing ? .onAir : .normal))
            }
            lines.append(ConsoleLine(runs).clipped(to: width))
        }
        if carts.isEmpty { lines.append(ConsoleLine([ConsoleRun("   no carts in this show", .dim)])) }
        while lines.count < rows { lines.append(ConsoleLine()) }
        return Array(lines.prefix(rows))
    }

    /// Before the show, on its air date: the countdown to the air time (warning in the last 30 s),
    /// or how late it is (an alarm). Nothing on another day (a rehearsal) or once anything aired.
    func airCountdown() -> [ConsoleRun] {
        guard !snapshot.items.contains(where: { $0.state == .done || $0.state == .onAir || $0.state == .skipped }) else { return [] }
        let air = plan.rundown.air
        let airWall = air.epochSeconds * 1_000_000_000
        let offset = Double(snapshot.utcOffsetSeconds)
        func day(_ wall: Int64) -> Double { ((Double(wall) / 1e9 + offset) / 86_400).rounded(.down) }
        guard day(snapshot.wallClock) == day(airWall) else { return [] }
        let left = (airWall - snapshot.wallClock) * Int64(rate) / 1_000_000_000
        if left > 0 {
            return [ConsoleRun(" · on air in ", .dim), ConsoleRun(time(left, digits: 0), left <= 30 * Int64(rate) ? .warning : .highlight)]
        }
        return [ConsoleRun(" · ", .dim), ConsoleRun("air time \(clock(airWall)) passed \(time(-left, digits: 0)) ago", .alarm)]
    }

    /// What the next post will cut, as things stand: the item on air cut short (a hard post),
    /// items still to come that will not fit before it dropped. Empty when everything fits.
    func postCuts() -> [String] {
        guard let post = snapshot.nextPost, let postPosition = positions[post.id] else { return [] }
        var cuts: [String] = []
        if !post.soft, let id = snapshot.currentIndex, id != post.id, let entry = entry(id), let remaining = currentRemaining {
            let end = snapshot.wallClock + nanoseconds(max(0, remaining))
            // As things stand: a live item past its plan ends when GO comes, counted as now.
            if end > post.wall {
                let short = entry.item.kind == .live ? "" : " (\(time(max(0, end - post.wall) * Int64(rate) / 1_000_000_000, digits: 0)) short)"
                cuts.append("cuts \(entry.item.displayTitle)\(short)")
            }
        }
        let starts = self.starts
        for position in 0..<postPosition {
            let entry = plan.entries[position]
            guard status(entry.item.index).state == .pending, entry.item.index != snapshot.currentIndex,
                  let start = starts[position] else { continue }
            if start >= post.wall { cuts.append("drops \(entry.item.displayTitle)") }
            else if start + nanoseconds(entry.length) > post.wall, !post.soft { cuts.append("cuts \(entry.item.displayTitle)") }
        }
        return cuts
    }

    /// The keys for what the technician is doing: the picker's, an item selected for editing, or
    /// the transport. Keys that do not fit the width are left out, least needed first (all keys
    /// are in docs/console.md); `q` always shows.
    func helpLine(width: Int) -> ConsoleLine {
        if snapshot.picker != nil {
            return ConsoleLine([ConsoleRun("↑↓", .highlight), ConsoleRun(" choose  ", .dim), ConsoleRun("Enter", .highlight),
                                ConsoleRun(" insert after the item on air  ", .dim), ConsoleRun("Esc", .highlight), ConsoleRun(" cancel", .dim)])
                .clipped(to: width)
        }
        if snapshot.afterAir != nil {
            return ConsoleLine([ConsoleRun("The show is over  ", .dim), ConsoleRun("q", .highlight),
                                ConsoleRun(" stop waiting for the web host (the mirror stays pending)", .dim)]).clipped(to: width)
        }
        // (key, action, priority: 1 is always shown)
        let keys: [(String, String, Int)]
        if snapshot.selectedID != nil {
            keys = [("↑↓", "select", 1), ("[ ]", "move", 1), ("x", "drop/restore", 1), ("n", "make next", 1),
                    ("i", "insert", 2), ("space", "GO", 1), ("q", "quit", 1)]
        } else {
            keys = [("space", "GO", 1), ("Esc", "fade", 1), ("b", "bed", 2), ("p", "pause", 2), ("s", "skip", 1),
                    ("c", "carts", 2), ("↑↓", "edit", 2), ("i", "insert", 3), ("r", "reload", 3), ("d", "duck", 4),
                    ("1-0 F1-F12", "carts", 5), ("q", "quit", 1)]
        }
        func line(_ keys: [(String, String, Int)]) -> ConsoleLine {
            var runs: [ConsoleRun] = []
            for (offset, (key, action, _)) in keys.enumerated() {
                runs.append(ConsoleRun((offset > 0 ? "  " : "") + key, .highlight))
                runs.append(ConsoleRun(" " + action, .dim))
            }
            return ConsoleLine(runs)
        }
        var shown = keys
        while line(shown).width > width, let least = shown.map(\.2).max(), least > 1,
              let drop = shown.lastIndex(where: { $0.2 == least }) {
            shown.remove(at: drop)
        }
        return line(shown).clipped(to: width)
    }
}
