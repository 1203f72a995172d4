import RegieModel

/// Turns a plan and a snapshot into the console's screen: a pure function, testable without a
/// terminal.
///
/// Layout (top to bottom): a title bar with the wall clock and the on-air state; the rundown
/// (scrolled so that the item on air stays visible, with one or two done items above it); the
/// current item's notes; the item clock; the show clock (hard end, closer, over/under); two meter
/// rows; the recorder; counters; the cart wall; the status line with alarms or the quit question;
/// the help line. Everything below the rundown takes ten rows, the title bar and the rundown
/// heading two, so the rundown gets `height - 12` rows (12 at 80×24).
package struct ConsoleViewModel: Sendable {
    /// The plan on air.
    package var plan: Plan
    /// The last seconds of a segment or music shown in the `outro` style.
    package var outroSeconds: Int64 = 10
    /// Rows under the rundown.
    static let footerRows = 10
    /// Rows above the rundown.
    static let headerRows = 2

    /// A view model for `plan`.
    package init(plan: Plan) { self.plan = plan }

    /// The screen for `snapshot` on a `width`×`height` terminal.
    package func screen(for snapshot: ConsoleSnapshot, width: Int, height: Int) -> ConsoleScreenModel {
        let width = max(width, 1), height = max(height, 1)
        let context = Context(plan: plan, snapshot: snapshot, outroSeconds: outroSeconds)
        var lines: [ConsoleLine] = []
        lines.append(context.titleBar(width: width))
        lines.append(ConsoleLine([ConsoleRun(DisplayWidth.fit("    #  start     length kind item", to: width), .dim)]))
        let rundownRows = max(1, height - Self.headerRows - Self.footerRows)
        lines += context.rundown(rows: rundownRows, width: width)
        lines.append(context.notesLine(width: width))
        lines.append(context.itemClockLine(width: width))
        lines.append(context.showClockLine(width: width))
        lines.append(context.meterLine(channel: "L", peak: snapshot.meters.peakLeft, label: "Short-term",
                                       loudness: snapshot.meters.shortTerm, width: width))
        lines.append(context.meterLine(channel: "R", peak: snapshot.meters.peakRight, label: "Momentary ",
                                       loudness: snapshot.meters.momentary, width: width))
        if let steps = snapshot.afterAir {
            // The show is over: its recorder, counters and carts give way to what is done with it.
            lines += context.afterAirLines(steps, rows: 3, width: width)
        } else {
            lines.append(context.recorderLine(width: width))
            lines.append(context.countersLine(width: width))
            lines.append(context.cartsLine(width: width))
        }
        lines.append(context.statusLine(width: width))
        lines.append(context.helpLine(width: width))
        if lines.count > height { lines = Array(lines.prefix(height)) }
        while lines.count < height { lines.append(ConsoleLine()) }
        return ConsoleScreenModel(width: width, height: height, lines: lines)
    }

    /// The rundown row of an item as text (for tests and the as-run view).
    package func rundownRowText(_ index: Int, for snapshot: ConsoleSnapshot, width: Int) -> String {
        Context(plan: plan, snapshot: snapshot, outroSeconds: outroSeconds).rundownRow(index, width: width).text
    }
}

/// Values derived once per screen.
struct Context {
    let plan: Plan
    let snapshot: ConsoleSnapshot
    let outroSeconds: Int64
    let rate: Int

    /// Position in the running order (`plan.entries`) of each item id (`Item.index`): the same
    /// for the rundown as written; items inserted or moved on air change it.
    let positions: [Int: Int]

    init(plan: Plan, snapshot: ConsoleSnapshot, outroSeconds: Int64) {
        self.plan = plan; self.snapshot = snapshot; self.outroSeconds = outroSeconds
        self.rate = snapshot.sampleRate > 0 ? snapshot.sampleRate : plan.sampleRate
        var positions: [Int: Int] = [:]
        for (position, entry) in plan.entries.enumerated() { positions[entry.item.index] = position }
        self.positions = positions
    }

    /// The entry of item `id`.
    func entry(_ id: Int) -> Plan.Entry? { positions[id].map { plan.entries[$0] } }

    // MARK: Derived timing

    /// The status of item `id`.
    func status(_ id: Int) -> ConsoleSnapshot.ItemStatus {
        let dropped = entry(id)?.dropped ?? false
        guard id >= 0 && id < snapshot.items.count else { return ConsoleSnapshot.ItemStatus(state: dropped ? .dropped : .pending) }
        var status = snapshot.items[id]
        // Dropped in the running order on air (the technician's x, or a re-fit), not yet passed.
        if dropped && status.state == .pending { status.state = .dropped }
        return status
    }

    /// Frames the current item has run.
    var currentElapsed: Int64? {
        guard let id = snapshot.currentIndex, let entry = entry(id) else { return nil }
        if let played = snapshot.itemElapsed { return played }
        guard let start = status(id).actualStart else { return 0 }
        return max(0, snapshot.position - start)
    }

    /// Frames left of the current item's planned length (negative once a live item overruns).
    var currentRemaining: Int64? {
        guard let id = snapshot.currentIndex, let entry = entry(id), let elapsed = currentElapsed else { return nil }
        return entry.length - elapsed
    }

    func nanoseconds(_ frames: Int64) -> Int64 { FrameMath.nanoseconds(frames, sampleRate: rate) }

    /// Wall-clock time of a programme frame, as projected from the current position.
    func wallClock(ofFrame frame: Int64) -> Int64 { snapshot.wallClock + nanoseconds(frame - snapshot.position) }

    /// Wall-clock start of each item (by position in the running order): actual for aired ones,
    /// projected for pending ones.
    var starts: [Int64?] {
        var result = [Int64?](repeating: nil, count: plan.entries.count)
        var cursor = snapshot.wallClock
        var anyBefore = false
        if let current = snapshot.currentIndex, let remaining = currentRemaining {
            cursor += nanoseconds(max(0, remaining))
            anyBefore = current >= 0
        }
        for (index, entry) in plan.entries.enumerated() {
            let status = status(entry.item.index)
            switch status.state {
            case .done, .onAir:
                if let startedAt = status.startedAt { result[index] = startedAt }
                else if let start = status.actualStart { result[index] = wallClock(ofFrame: start) }
            case .pending:
                var start = anyBefore ? cursor - nanoseconds(entry.overlap) : cursor
                if entry.item.index == plan.backtimeIndex, let closer = snapshot.closerStart { start = wallClock(ofFrame: closer) }
                result[index] = start
                cursor = start + nanoseconds(entry.length)
                anyBefore = true
            case .skipped, .dropped:
                break
            }
        }
        return result
    }

    // MARK: Formatting

    func clock(_ epochNanoseconds: Int64) -> String {
        let local = epochNanoseconds.floorDivided(by: 1_000_000_000) + Int64(snapshot.utcOffsetSeconds)
        var day = local % 86400
        if day < 0 { day += 86400 }
        return two(day / 3600) + ":" + two((day / 60) % 60) + ":" + two(day % 60)
    }

    func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `M:SS.f` under an hour, `H:MM:SS` above: at most seven columns.
    func shortTime(_ frames: Int64) -> String {
        FrameMath.format(frames: frames, sampleRate: rate, fractionDigits: abs(frames) >= Int64(rate) * 3600 ? 0 : 1)
    }

    func time(_ frames: Int64, digits: Int = 1, sign: Bool = false) -> String {
        FrameMath.format(frames: frames, sampleRate: rate, fractionDigits: digits, sign: sign)
    }

    /// One decimal, `-inf` for silence.
    static func decibels(_ value: Float) -> String {
        guard value.isFinite else { return "-inf" }
        // Below -70 is silence for a meter (the loudness gate is -70 LUFS): no -226.4.
        if value < -70 { return "<-70" }
        let tenths = Int((Double(value) * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// Size in kB/MB/GB with one decimal.
    static func bytes(_ count: Int64) -> String {
        let units: [(Int64, String)] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")]
        for (unit, name) in units where count >= unit {
            let tenths = (count * 10 + unit / 2) / unit
            return "\(tenths / 10).\(tenths % 10) \(name)"
        }
        return "\(count) B"
    }

    // MARK: Lines

    func titleBar(width: Int) -> ConsoleLine {
        let state: ConsoleRun
        if snapshot.afterAir != nil { state = ConsoleRun(" OFF AIR ", .dim) }
        else if snapshot.paused { state = ConsoleRun(" PAUSED ", .warning) }
        else if snapshot.currentIndex != nil { state = ConsoleRun(" ON AIR ", .onAir) }
        else if snapshot.onAir { state = ConsoleRun(" STANDBY ", .next) }
        else { state = ConsoleRun(" READY ", .dim) }
        let clockRun = ConsoleRun(" " + clock(snapshot.wallClock) + " ", .highlight)
        let rightWidth = DisplayWidth.of(clockRun.text) + DisplayWidth.of(state.text)
        let rundown = plan.rundown
        let number = rundown.episode.map { " #\($0)" } ?? ""
        let title = "Régie · \(rundown.show.title)\(number) \(rundown.title)"
        return ConsoleLine([ConsoleRun(DisplayWidth.fit(title, to: max(0, width - rightWidth)), .highlight), clockRun, state])
            .clipped(to: width)
    }

    func rundown(rows: Int, width: Int) -> [ConsoleLine] {
        if let picker = snapshot.picker { return pickerRows(picker, rows: rows, width: width) }
        if snapshot.showsCartWall { return cartWall(rows: rows, width: width) }
        let count = plan.entries.count
        let anchor = (snapshot.currentIndex ?? snapshot.nextIndex).flatMap { positions[$0] }
            ?? (0..<count).first { status(plan.entries[$0].item.index).state == .pending } ?? 0
        // Keep up to two aired items above the one on air, and never scroll past the end.
        let top = max(0, min(anchor - 2, count - rows))
        let starts = self.starts
        var lines: [ConsoleLine] = []
        for index in top..<min(count, top + rows) { lines.append(rundownRow(index, width: width, starts: starts)) }
        // More items than rows: the last row says how many follow (and what ends the show).
        if top + rows < count, rows >= 2 {
            let hidden = count - (top + rows - 1)
            let last = plan.entries[count - 1]
            let end = starts[count - 1].map { " · last " + clock($0) } ?? ""
            lines[rows - 1] = ConsoleLine([ConsoleRun("   ↓ \(hidden) more item\(hidden == 1 ? "" : "s") (to \(count) \(last.item.displayTitle)\(end))", .dim)])
                .clipped(to: width)
        }
        while lines.count < rows { lines.append(ConsoleLine()) }
        return lines
    }

    /// The row of the item at `index` in the running order.
    func rundownRow(_ index: Int, width: Int, starts: [Int64?]? = nil) -> ConsoleLine {
        let entry = plan.entries[index]
        let id = entry.item.index
        let status = status(id)
        let isCurrent = id == snapshot.currentIndex
        let isNext = id == snapshot.nextIndex && !isCurrent
        let marker: String, style: ConsoleStyle
        switch status.state {
        case _ where isCurrent: marker = "▶"; style = .onAir
        case .pending where isNext: marker = "»"; style = .next
        case .pending: marker = " "; style = .normal
        case .onAir: marker = "▶"; style = .onAir
        case .done: marker = "✓"; style = .dim
        case .skipped: marker = "✗"; style = .dim
        case .dropped: marker = "–"; style = .dim
        }
        let start = (starts ?? self.starts)[index].map(clock) ?? "        "
        let length: Int64
        switch status.state {
        case .done, .skipped:
            length = status.actualLength ?? status.actualStart.map { max(0, snapshot.position - $0) } ?? 0
        default:
            length = entry.length
        }
        let lengthText = status.state == .skipped && status.actualStart == nil ? "" : shortTime(length)
        let kind: String
        switch entry.item.kind {
        case .jingle: kind = "JNG "
        case .segment: kind = "SEG "
        case .music: kind = "MUS "
        case .live: kind = "LIVE"
        }
        var title = entry.item.displayTitle
        switch status.state {
        case .skipped: title += " (skipped)"
        case .dropped: title += " (dropped)"
        default: break
        }
        if entry.item.backtime { title += " ⇥ back-timed" }
        // The item selected for editing: reverse video, and a › that shows without colours too.
        let selected = id == snapshot.selectedID
        let digits = String(index + 1)
        let number = selected && digits.count < 3 ? "›" + DisplayWidth.rightAligned(digits, to: 2) : DisplayWidth.rightAligned(digits, to: 3)
        if let at = entry.item.at { title += " @\(at) \(entry.item.post == .soft ? "soft" : "hard")" }
        let prefix = "\(marker)\(number)  \(start) \(DisplayWidth.rightAligned(lengthText, to: 7)) \(kind) "
        let text = prefix + DisplayWidth.fit(title, to: max(0, width - DisplayWidth.of(prefix)))
        return ConsoleLine([ConsoleRun(text, selected ? .selected : style)]).clipped(to: width)
    }

    func notesLine(width: Int) -> ConsoleLine {
        let label: String, notes: String?
        if let id = snapshot.currentIndex, let entry = entry(id) {
            label = "Notes  "; notes = entry.item.notes
        } else if let id = snapshot.nextIndex, let entry = entry(id) {
            label = "Next   "; notes = entry.item.notes
        } else {
            label = "Notes  "; notes = nil
        }
        guard let notes, !notes.isEmpty else { return ConsoleLine([ConsoleRun(label + "—", .dim)]).clipped(to: width) }
        let flat = notes.split(whereSeparator: \.isNewline).joined(separator: " ")
        return ConsoleLine([ConsoleRun(label, .dim), ConsoleRun(flat, .warning)]).clipped(to: width)
    }

    func itemClockLine(width: Int) -> ConsoleLine {
        guard let id = snapshot.currentIndex, let entry = entry(id),
              let elapsed = currentElapsed, let remaining = currentRemaining else {
            if let next = snapshot.nextIndex, let entry = entry(next), let position = positions[next] {
                return ConsoleLine([ConsoleRun("Item   ", .dim), ConsoleRun("standby", .next)] + airCountdown()
                                   + [ConsoleRun(" · space starts \(position + 1) \(entry.item.displayTitle)", .normal)])
                    .clipped(to: width)
            }
            let ended = snapshot.items.contains { $0.state == .done }
            return ConsoleLine([ConsoleRun("Item   ", .dim), ConsoleRun(ended ? "programme ended" : "—", .dim)]).clipped(to: width)
        }
        var runs = [ConsoleRun(" elapsed ", .dim), ConsoleRun(time(elapsed), .highlight), ConsoleRun("  remaining ", .dim)]
        let isOutroKind = entry.item.kind == .segment || entry.item.kind == .music
        if remaining < 0 {
            runs.append(ConsoleRun(time(-remaining, sign: true) + " over", .warning))
        } else if isOutroKind && remaining <= outroSeconds * Int64(rate) {
            runs.append(ConsoleRun(time(remaining), .outro))
        } else {
            runs.append(ConsoleRun(time(remaining), .highlight))
        }
        if entry.item.kind == .live {
            runs.append(ConsoleRun("  live, planned \(time(entry.length, digits: 0))", .dim))
            if let min = entry.item.min { runs.append(ConsoleRun(" min \(min)", .dim)) }
            if let max = entry.item.max { runs.append(ConsoleRun(" max \(max)", .dim)) }
        }
        if snapshot.paused { runs.append(ConsoleRun("  PAUSED", .warning)) }
        // The item's name takes what the counters leave, at least 12 columns.
        let room = max(12, width - 7 - ConsoleLine(runs).width)
        let title = entry.item.displayTitle
        let name = DisplayWidth.of(title) <= room ? title : DisplayWidth.fit(title, to: room).trimmingTrailingSpaces
        return ConsoleLine([ConsoleRun("Item   ", .dim), ConsoleRun(name, .onAir)] + runs).clipped(to: width)
    }

    func showClockLine(width: Int) -> ConsoleLine {
        let toEnd = plan.slot - snapshot.position
        var runs = [ConsoleRun("End    ", .dim), ConsoleRun(clock(wallClock(ofFrame: plan.slot)), .highlight),
                    ConsoleRun(" in ", .dim), ConsoleRun(time(toEnd, digits: 0), toEnd < 0 ? .warning : .highlight)]
        if let closer = snapshot.closerStart {
            // Once the closer has started, its actual start.
            var start = wallClock(ofFrame: closer)
            if let id = plan.backtimeIndex, [.onAir, .done].contains(status(id).state), let position = positions[id],
               let actual = starts[position] {
                start = actual
            }
            runs += [ConsoleRun("  closer ", .dim), ConsoleRun(clock(start), .highlight)]
        }
        if let post = snapshot.nextPost, let entry = entry(post.id) {
            // The countdown to the next post, coloured as it nears (30 s, 10 s).
            let left = (post.wall - snapshot.wallClock) * Int64(rate) / 1_000_000_000
            let name = post.id == plan.backtimeIndex ? "closer" : DisplayWidth.fit(entry.item.displayTitle, to: 12).trimmingTrailingSpaces
            let style: ConsoleStyle = left <= 10 * Int64(rate) ? .alarm : left <= 30 * Int64(rate) ? .warning : .highlight
            if post.id != plan.backtimeIndex { runs += [ConsoleRun("  \(name) ", .dim), ConsoleRun(clock(post.wall), .highlight)] }
            runs += [ConsoleRun(" in ", .dim), ConsoleRun(left >= 0 ? time(left, digits: 0) : "due", style)]
        }
        let over = snapshot.overUnder
        runs.append(ConsoleRun("  over/under ", .dim))
        // Within a tenth of a second (what the display shows) it is on time, not "+0:00.0 over".
        if abs(over) < Int64(rate) / 20 { runs.append(ConsoleRun("on time", .highlight)) }
        else { runs.append(ConsoleRun(time(over, sign: true) + (over > 0 ? " over" : " under"), over > 0 ? .warning : .next)) }
        return ConsoleLine(runs).clipped(to: width)
    }

    func meterLine(channel: String, peak: Float, label: String, loudness: Float, width: Int) -> ConsoleLine {
        let peakText = DisplayWidth.rightAligned(Self.decibels(peak), to: 5) + " dBFS"
        let loudnessText = "  \(label) " + DisplayWidth.rightAligned(Self.decibels(loudness), to: 5) + " LUFS"
        let barWidth = max(4, width - 2 - 1 - DisplayWidth.of(peakText) - DisplayWidth.of(loudnessText))
        // -60..0 dBFS across the bar; the last stretch (above -9, above -3) in warning and alarm.
        func column(_ db: Float) -> Int { Int(((Double(db) + 60) / 60 * Double(barWidth)).rounded(.down)) }
        let filled = peak.isFinite ? min(barWidth, max(0, column(peak))) : 0
        let warnFrom = column(-9), alarmFrom = column(-3)
        var runs = [ConsoleRun(channel + " ", .dim)]
        let segments: [(Range<Int>, ConsoleStyle)] = [(0..<warnFrom, .highlight), (warnFrom..<alarmFrom, .warning), (alarmFrom..<barWidth, .alarm)]
        for (range, style) in segments {
            let count = max(0, min(filled, range.upperBound) - range.lowerBound)
            if count > 0 { runs.append(ConsoleRun(String(repeating: "█", count: count), style)) }
        }
        runs.append(ConsoleRun(String(repeating: "·", count: barWidth - filled), .dim))
        runs.append(ConsoleRun(" " + peakText, peak > -1 ? .alarm : .normal))
        runs.append(ConsoleRun(loudnessText, .normal))
        return ConsoleLine(runs).clipped(to: width)
    }

    func recorderLine(width: Int) -> ConsoleLine {
        guard let recorder = snapshot.recorder else { return ConsoleLine([ConsoleRun("REC    off", .dim)]).clipped(to: width) }
        if let error = recorder.error {
            return ConsoleLine([ConsoleRun("REC    ", .dim), ConsoleRun("ERROR " + error, .alarm)]).clipped(to: width)
        }
        let tail = "  \(Self.bytes(recorder.bytes))  \(time(recorder.elapsedFrames, digits: 0))  overruns \(recorder.overruns)"
        let pathWidth = max(8, width - 9 - DisplayWidth.of(tail))
        return ConsoleLine([ConsoleRun("REC    ", .dim), ConsoleRun("● ", .alarm),
                            ConsoleRun(DisplayWidth.truncateLeading(recorder.path, to: pathWidth), .normal),
                            ConsoleRun(tail, recorder.overruns > 0 ? .warning : .normal)]).clipped(to: width)
    }

    func countersLine(width: Int) -> ConsoleLine {
        var runs = [ConsoleRun("Audio  ", .dim), ConsoleRun("xruns \(snapshot.xruns)", snapshot.xruns > 0 ? .warning : .normal),
                    ConsoleRun("  late \(snapshot.latePrefetch)", snapshot.latePrefetch > 0 ? .warning : .normal),
                    ConsoleRun("  ducking " + (snapshot.ducking ? "on" : "off"), snapshot.ducking ? .normal : .warning)]
        if let stream = snapshot.stream {
            // The stream before the position: it is what a technician looks for here.
            let up = stream.connected == stream.mounts
            let state = stream.mounts == 1 ? (up ? "live" : "DOWN") : "\(stream.connected)/\(stream.mounts) up"
            var text = "  stream \(state)"
            if let listeners = stream.listeners { text += " \(listeners) listener\(listeners == 1 ? "" : "s")" }
            if stream.bytesSent > 0 { text += " \(Self.bytes(stream.bytesSent))" }
            if stream.reconnects > 0 { text += " \(stream.reconnects) reconnect\(stream.reconnects == 1 ? "" : "s")" }
            runs.append(ConsoleRun(text, up ? .normal : .alarm))
        }
        runs.append(ConsoleRun("  position \(time(snapshot.position))", .dim))
        return ConsoleLine(runs).clipped(to: width)
    }

    func cartsLine(width: Int) -> ConsoleLine {
        var runs = [ConsoleRun("Carts  ", .dim)]
        if snapshot.carts.isEmpty { runs.append(ConsoleRun("—", .dim)) }
        for (offset, cart) in snapshot.carts.enumerated() {
            if offset > 0 { runs.append(ConsoleRun(" ", .normal)) }
            if cart.playing {
                runs.append(ConsoleRun("[\(cart.key) \(cart.title) ▶ \(time(cart.remainingFrames))]", .onAir))
            } else {
                runs.append(ConsoleRun("[\(cart.key) \(cart.title)]", .normal))
            }
        }
        return ConsoleLine(runs).clipped(to: width)
    }

    /// The last `rows` steps after the air, the latest at the bottom.
    func afterAirLines(_ steps: [ConsoleSnapshot.Alarm], rows: Int, width: Int) -> [ConsoleLine] {
        var lines = steps.suffix(rows).enumerated().map { offset, step in
            let style: ConsoleStyle = switch step.severity { case .info: .normal; case .warning: .warning; case .alarm: .alarm }
            return ConsoleLine([ConsoleRun(offset == 0 ? "After  " : "       ", .dim),
                                ConsoleRun((step.severity == .alarm ? "! " : "") + step.text, style)]).clipped(to: width)
        }
        while lines.count < rows { lines.append(ConsoleLine()) }
        return lines
    }

    func statusLine(width: Int) -> ConsoleLine {
        if snapshot.quitPending {
            return ConsoleLine([ConsoleRun("Quit while on air? y = quit, n = carry on", .alarm)]).clipped(to: width)
        }
        let cuts = postCuts()
        guard !snapshot.alarms.isEmpty || !cuts.isEmpty else { return ConsoleLine([ConsoleRun("Status OK", .dim)]).clipped(to: width) }
        var runs = [ConsoleRun("Status ", .dim)]
        if !cuts.isEmpty, let post = snapshot.nextPost {
            runs.append(ConsoleRun("at \(clock(post.wall)) the post " + cuts.joined(separator: ", "), .warning))
            if !snapshot.alarms.isEmpty { runs.append(ConsoleRun(" · ", .dim)) }
        }
        // Newest first, so the latest alarm is never cut off.
        for (offset, alarm) in snapshot.alarms.reversed().enumerated() {
            if offset > 0 { runs.append(ConsoleRun(" · ", .dim)) }
            let style: ConsoleStyle = switch alarm.severity { case .info: .normal; case .warning: .warning; case .alarm: .alarm }
            runs.append(ConsoleRun((alarm.severity == .alarm ? "! " : "") + alarm.text, style))
        }
        return ConsoleLine(runs).clipped(to: width)
    }

}
