// The as-run log `<episode>.asrun.jsonl`: the station's legal record of what aired, one JSON
// object a line. Its format (lines written and read back) and the chapters of what aired; the live
// show's writer thread is `Playout.AsRunLogWriter`.
import Foundation
import MP3
import RegieModel
import Support

/// Names the writer needs to turn `AsRunEvent` indices into log lines (resolved from a `Plan`).
package struct AsRunCatalog: Sendable {
    /// One rundown item as the log describes it.
    package struct Item: Sendable, Equatable {
        /// `jingle`, `segment`, `music` or `live`.
        package var kind: String
        /// The item's title (or, without one, the value as written: jingle name, live text).
        package var title: String
        /// Artist of a music item.
        package var artist: String?
        /// Audio file, if any.
        package var file: String?
        /// A music item's rights metadata, for the rights bodies' reports (`regie report`).
        package var rights = MusicRights()
        /// Whether the track may go in the podcast (the item's, else the show's default).
        package var podcast: Bool?
        /// An item description.
        package init(kind: String, title: String, artist: String? = nil, file: String? = nil) {
            self.kind = kind; self.title = title; self.artist = artist; self.file = file
        }

        /// How the log describes a rundown item of `show`.
        package init(_ item: RegieModel.Item, show: Show) {
            self.init(kind: item.kind.rawValue, title: item.title ?? item.value,
                      artist: item.kind == .music ? item.artist : nil, file: item.audioPath)
            if item.kind == .music {
                rights = item.rights
                podcast = item.podcast ?? show.podcastMusic
            }
        }
    }

    /// One cart of the cart wall.
    package struct Cart: Sendable, Equatable {
        /// The key ("1", "F1", …).
        package var key: String
        /// The cart's title.
        package var title: String
        /// The jingle file.
        package var file: String
        /// A cart description.
        package init(key: String, title: String, file: String) { self.key = key; self.title = title; self.file = file }
    }

    /// Show title.
    package var show: String
    /// Episode number.
    package var episode: Int?
    /// Episode title.
    package var episodeTitle: String
    /// The show's sample rate (positions are in frames at this rate).
    package var sampleRate: Int
    /// Rundown items by index.
    package var items: [Item]
    /// Carts by index.
    package var carts: [Cart]
    /// The slot on the air date, ms since 1970 (what tells the show from a rehearsal afterwards).
    package var airUnixMilliseconds: Int64? = nil
    package var slotEndUnixMilliseconds: Int64? = nil

    /// A catalog given field by field (tests, probes).
    package init(show: String, episode: Int?, episodeTitle: String, sampleRate: Int, items: [Item], carts: [Cart] = []) {
        self.show = show; self.episode = episode; self.episodeTitle = episodeTitle
        self.sampleRate = sampleRate; self.items = items; self.carts = carts
    }

    /// The catalog of a plan: its rundown's items and its show's carts.
    package init(plan: Plan) {
        let rundown = plan.rundown
        self.init(show: rundown.show.title, episode: rundown.episode, episodeTitle: rundown.title,
                  sampleRate: plan.sampleRate,
                  items: rundown.items.map { Item($0, show: rundown.show) },
                  carts: rundown.show.carts.map { Cart(key: $0.key, title: $0.title, file: $0.jingle) })
        airUnixMilliseconds = rundown.air.epochSeconds * 1000
        slotEndUnixMilliseconds = airUnixMilliseconds! + FrameMath.nanoseconds(plan.slot, sampleRate: plan.sampleRate) / 1_000_000
    }
}

/// Reading the as-run log back, and chapters from it.
package enum AsRunLog {
    /// One line of the log.
    package struct Entry: Sendable, Equatable {
        /// Line number in the session (`seq`).
        package var sequence: Int
        /// What happened.
        package var kind: AsRunEventKind
        /// Programme position, frames.
        package var position: Int64
        /// Sample rate of `position`.
        package var sampleRate: Int
        /// Wall-clock time as written (ISO 8601 with offset, milliseconds).
        package var wall: String
        /// Wall-clock time, milliseconds since 1970.
        package var unixMilliseconds: Int64
        /// Rundown item index (from 0; the line's `item` is the number, from 1).
        package var item: Int?
        /// `jingle`, `segment`, `music`, `live` (items), `cart` (carts).
        package var itemKind: String?
        /// Title of the item or cart.
        package var title: String?
        /// Artist (music).
        package var artist: String?
        /// Cart index (from 0; the line's `cart` is the number, from 1).
        package var cart: Int?
        /// Cart key.
        package var key: String?
        /// Alarm name (alarms).
        package var alarm: AsRunAlarm?
        /// Recording source (recording started/stopped).
        package var source: RecordingSource?
        /// Fade length in frames (fades).
        package var fadeFrames: Int64?
        /// The capture's round trip in frames (its `recording_started`).
        package var roundTripFrames: Int64?
        /// File (recordings, items, carts).
        package var file: String?
        /// Free text (alarms).
        package var message: String?
        /// A music item's rights metadata (its `item_started` line).
        package var rights = MusicRights()
        /// Whether the track may go in the podcast (its `item_started` line; nil: not said).
        package var podcast: Bool? = nil
        /// The show's title and the episode number (`log_opened`).
        package var showName: String? = nil
        package var episode: Int? = nil
        /// The slot the log was opened for (`log_opened`), ms since 1970.
        package var airUnixMilliseconds: Int64? = nil
        package var slotEndUnixMilliseconds: Int64? = nil

        /// The title a chapter shows: "Title — Artist" for music, else the title.
        package var chapterTitle: String {
            let t = title ?? ""
            if let artist, !artist.isEmpty { return "\(t) — \(artist)" }
            return t
        }
    }

    /// Errors reading a log.
    package enum ReadError: Error, Equatable, CustomStringConvertible {
        /// Line `line` is not an as-run event (only a torn last line is forgiven).
        case malformed(line: Int)
        /// A one-line explanation.
        package var description: String {
            switch self { case .malformed(let line): "as-run log line \(line) is not a valid event" }
        }
    }

    /// Reads every complete line of `url` (all sessions). A torn last line (crash while writing) is
    /// ignored; any other malformed line is an error.
    package static func read(_ url: URL) throws -> [Entry] {
        let data = try Data(contentsOf: url)
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        var entries: [Entry] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            let isLast = index == lines.count - 1   // no newline after it: possibly torn
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let entry = entry(object) else {
                if isLast { break }
                throw ReadError.malformed(line: index + 1)
            }
            entries.append(entry)
        }
        return entries
    }

    /// Where the item started by `session[index]` stopped sounding: its `item_ended`, its skip, the
    /// end of its fade, the end of the show or (with `recording`) that recorder's stop, whichever
    /// comes first; else the session's last position.
    package static func end(ofItemStartedAt index: Int, in session: [Entry], recording: RecordingSource? = nil) -> Int64 {
        let start = session[index]
        for e in session[(index + 1)...] {
            switch e.kind {
            case .itemEnded where e.item == start.item, .itemSkipped where e.item == start.item, .showEnded:
                return e.position
            case .itemFaded where e.item == start.item:
                return e.position + (e.fadeFrames ?? 0)
            case .recordingStopped where recording != nil && (e.source ?? .program) == recording:
                return e.position
            default:
                continue
            }
        }
        return session.last?.position ?? start.position
    }

    /// The entries of the last session (from its `log_opened` line).
    package static func lastSession(_ entries: [Entry]) -> [Entry] {
        guard let start = entries.lastIndex(where: { $0.kind == .logOpened }) else { return entries }
        return Array(entries[start...])
    }

    /// Chapters of a recording from what actually aired (the last session of `entries`):
    /// one per started segment, music or live item, titled as on air ("Title — Artist" for music),
    /// from its start to the next such start; a faded item's chapter ends where its fade ended
    /// (fade position + fade length), an item skipped while on air ends at the skip; items skipped
    /// before starting, dropped items, jingles and carts never make chapters.
    ///
    /// - Parameters:
    ///   - recordingStart: programme position of the recording's first frame; default: the
    ///     session's first `recording_started` (of `source`), else 0.
    ///   - recordingEnd: programme position after its last frame; default: its
    ///     `recording_stopped`, `show_ended`, or the last event.
    ///   - source: which recorder's start/stop to use by default.
    package static func chapters(fromAsRun entries: [Entry], recordingStart: Int64? = nil, recordingEnd: Int64? = nil,
                                source: RecordingSource = .program) -> [Chapter] {
        let session = lastSession(entries)
        guard let rate = session.first?.sampleRate, rate > 0 else { return [] }
        let origin = recordingStart
            ?? session.first { $0.kind == .recordingStarted && ($0.source ?? .program) == source }?.position ?? 0
        var end = recordingEnd ?? session.last?.position ?? 0
        if recordingEnd == nil,
           let stop = session.first(where: { ($0.kind == .recordingStopped && ($0.source ?? .program) == source) || $0.kind == .showEnded }) {
            end = stop.position
        }

        struct Open { var item: Int; var title: String; var start: Int64; var closedAt: Int64? }
        var spans: [(String, Int64, Int64)] = []
        var open: Open?
        func close(at position: Int64) {
            if let o = open { spans.append((o.title, o.start, min(o.closedAt ?? position, position))) }
            open = nil
        }
        for e in session {
            switch e.kind {
            case .itemStarted where e.itemKind != "jingle" && e.item != nil:
                close(at: e.position)
                open = Open(item: e.item!, title: e.chapterTitle, start: e.position, closedAt: nil)
            case .itemFaded where open != nil && e.item == open?.item && open?.closedAt == nil:
                open?.closedAt = e.position + (e.fadeFrames ?? 0)
            case .itemSkipped where open != nil && e.item == open?.item && open?.closedAt == nil:
                open?.closedAt = e.position
            case .recordingStopped where (e.source ?? .program) == source, .showEnded:
                close(at: e.position)
            default:
                break
            }
        }
        close(at: end)
        return spans.compactMap { title, start, stop in
            let s = max(start, origin), t = min(stop, end)
            guard t > s else { return nil }
            return Chapter(title: title, startFrame: s - origin, endFrame: t - origin, sampleRate: rate)
        }
    }

    // MARK: - Line format

    /// One log line (without the newline). Keys in a fixed order, so the file reads well.
    package static func line(for event: AsRunEvent, sequence: Int, catalog: AsRunCatalog, file: String?, message: String?,
                            utcOffsetSeconds: Int) -> String {
        var fields: [(String, String)] = []
        func add(_ key: String, _ value: String) { fields.append((key, json(value))) }
        func add(_ key: String, number: Int64) { fields.append((key, String(number))) }
        let rate = catalog.sampleRate
        add("seq", number: Int64(sequence))
        add("event", event.kind.rawValue)
        add("position", number: event.position)
        add("sample_rate", number: Int64(rate))
        fields.append(("seconds", String(format: "%.3f", Double(event.position) / Double(max(rate, 1)))))
        add("wall", DateText.iso8601(nanoseconds: event.wallNanoseconds, utcOffsetSeconds: utcOffsetSeconds))
        add("unix_ms", number: event.wallNanoseconds / 1_000_000)
        if event.kind == .logOpened {
            add("show", catalog.show)
            if let episode = catalog.episode { add("episode", number: Int64(episode)) }
            if let air = catalog.airUnixMilliseconds, let end = catalog.slotEndUnixMilliseconds {
                add("air_unix_ms", number: air)
                add("slot_end_unix_ms", number: end)
            }
            add("title", catalog.episodeTitle)
        }
        if event.item >= 0 {
            add("item", number: Int64(event.item) + 1)
            if Int(event.item) < catalog.items.count {
                let item = catalog.items[Int(event.item)]
                add("kind", item.kind)
                add("title", item.title)
                if let artist = item.artist { add("artist", artist) }
                if event.kind == .itemStarted {
                    for (key, value) in item.rights.textFields { if let value { add(key, value) } }
                    if let v = item.rights.year { add("year", number: Int64(v)) }
                    if let v = item.podcast { add("podcast", v ? "yes" : "no") }
                }
                if file == nil, let f = item.file { add("file", f) }
            }
        }
        if event.cart >= 0 {
            add("cart", number: Int64(event.cart) + 1)
            add("kind", "cart")
            if Int(event.cart) < catalog.carts.count {
                let cart = catalog.carts[Int(event.cart)]
                add("key", cart.key)
                add("title", cart.title)
                if file == nil { add("file", cart.file) }
            }
        }
        switch event.kind {
        case .itemFaded: add("fade_frames", number: event.detail)
        case .postStarted: add("late_frames", number: event.detail)
        case .cartFired where event.detail >= 0: add("key_to_start_frames", number: event.detail)
        case .alarm: add("alarm", event.alarm?.rawValue ?? "unknown")
        case .recordingStarted, .recordingStopped:
            add("source", event.source?.rawValue ?? "unknown")
            if event.kind == .recordingStarted && event.source == .capture { add("round_trip_frames", number: event.detail) }
        default: break
        }
        if let file { add("file", file) }
        if let message { add("message", message) }
        return "{" + fields.map { json($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// A JSON string literal.
    static func json(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func entry(_ o: [String: Any]) -> Entry? {
        func int(_ k: String) -> Int64? { (o[k] as? NSNumber)?.int64Value }
        func str(_ k: String) -> String? { o[k] as? String }
        guard let kindName = str("event"), let kind = AsRunEventKind(rawValue: kindName),
              let seq = int("seq"), let position = int("position"), let rate = int("sample_rate"),
              let wall = str("wall"), let ms = int("unix_ms") else { return nil }
        return Entry(sequence: Int(seq), kind: kind, position: position, sampleRate: Int(rate), wall: wall,
                     unixMilliseconds: ms, item: int("item").map { Int($0) - 1 }, itemKind: str("kind"),
                     title: str("title"), artist: str("artist"), cart: int("cart").map { Int($0) - 1 },
                     key: str("key"), alarm: str("alarm").flatMap(AsRunAlarm.init(rawValue:)),
                     source: str("source").flatMap(RecordingSource.init(rawValue:)),
                     fadeFrames: int("fade_frames"), roundTripFrames: int("round_trip_frames"), file: str("file"),
                     message: str("message"),
                     rights: MusicRights(composer: str("composer"), album: str("album"), label: str("label"),
                                         isrc: str("isrc"), year: int("year").map { Int($0) }),
                     podcast: str("podcast").map { $0 == "yes" },
                     showName: str("show"), episode: int("episode").map { Int($0) },
                     airUnixMilliseconds: int("air_unix_ms"), slotEndUnixMilliseconds: int("slot_end_unix_ms"))
    }
}
