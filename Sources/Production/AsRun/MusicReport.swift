import Foundation
import RegieModel

/// Every music track that actually aired, from as-run logs: what the rights bodies (SACEM and SPRE
/// in France, SoundExchange in the US, PRS/PPL in the UK) ask a station to report. The duration
/// is what went out: from the track's start to its end, its skip, or the end of its fade.
package struct MusicReport: Sendable {
    /// One track as it aired.
    package struct Play: Sendable, Equatable {
        package var show: String
        package var episode: Int?
        /// Local date and time of the start on air, as the log wrote them ("2026-12-03", "18:04:10").
        package var date: String
        package var time: String
        package var seconds: Double
        package var title: String
        package var artist: String?
        package var rights: MusicRights
        /// Whether it may go in the podcast (nil: the log does not say).
        package var podcast: Bool?
        /// The log it comes from.
        package var log: String

        /// The report's fields a rights body wants that this play lacks.
        package var missing: [String] {
            ([("artist", artist)] + rights.textFields).filter { $0.1 == nil || $0.1!.isEmpty }.map(\.0)
        }
    }

    package var plays: [Play] = []
    /// Runs left out as rehearsals.
    package var rehearsalsLeftOut = 0

    /// The music of the aired session (the last) of each as-run log in `logs`, filtered by date
    /// (`from`…`to`, inclusive, "YYYY-MM-DD") and show (its title or its folder name), in time order.
    /// A run that started outside its slot (more than 5 minutes before the air time, or after the
    /// hard end: a rehearsal) is left out unless `rehearsals`; so is a run that never started.
    package static func read(logs: [URL], from: String? = nil, to: String? = nil, show: String? = nil,
                             rehearsals: Bool = false) throws -> MusicReport {
        var report = MusicReport()
        for url in logs {
            let session = AsRunLog.lastSession(try AsRunLog.read(url))
            let opened = session.first { $0.kind == .logOpened }
            if !rehearsals, let started = session.first(where: { $0.kind == .showStarted })?.unixMilliseconds,
               let air = opened?.airUnixMilliseconds, let end = opened?.slotEndUnixMilliseconds,
               started < air - 5 * 60_000 || started >= end {
                report.rehearsalsLeftOut += 1
                continue
            }
            let showTitle = Self.showTitle(session) ?? ""
            if let show, show.lowercased() != showTitle.lowercased(),
               show != url.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent { continue }
            let episode = Self.episode(session)
            for (index, start) in session.enumerated() where start.kind == .itemStarted && start.itemKind == "music" {
                let date = String(start.wall.prefix(10))
                if let from, date < from { continue }
                if let to, date > to { continue }
                let end = AsRunLog.end(ofItemStartedAt: index, in: session)
                let seconds = Double(max(0, end - start.position)) / Double(max(1, start.sampleRate))
                report.plays.append(Play(
                    show: showTitle, episode: episode, date: date, time: String(start.wall.dropFirst(11).prefix(8)),
                    seconds: seconds, title: start.title ?? "", artist: start.artist, rights: start.rights, podcast: start.podcast,
                    log: url.path))
            }
        }
        report.plays.sort { ($0.date, $0.time) < ($1.date, $1.time) }
        return report
    }

    /// The show's title from its `log_opened` line (the writer puts it there).
    static func showTitle(_ session: [AsRunLog.Entry]) -> String? { session.first { $0.kind == .logOpened }?.showName }
    static func episode(_ session: [AsRunLog.Entry]) -> Int? { session.first { $0.kind == .logOpened }?.episode }

    // MARK: - Formats

    /// h:mm:ss of the duration played, rounded to the second. Hours always written: a
    /// spreadsheet reads "3:25" as three hours and 25 minutes (LibreOffice's import test found it).
    static func hoursMinutesSeconds(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }

    /// RFC 4180: CRLF line ends, a field quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func csv(_ rows: [[String]]) -> String {
        rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// CSV with the columns a French associative radio's programme returns carry (SACEM/SPRE:
    /// date and time of broadcast, duration, title, performer, composer, album, label, ISRC).
    package func csv() -> String {
        var rows = [["Date", "Heure", "Durée", "Titre", "Interprète", "Compositeur", "Album", "Label", "ISRC", "Émission", "Podcast"]]
        for p in plays {
            rows.append([p.date, p.time, Self.hoursMinutesSeconds(p.seconds), p.title, p.artist ?? "", p.rights.composer ?? "",
                         p.rights.album ?? "", p.rights.label ?? "", p.rights.isrc ?? "", p.show + (p.episode.map { " #\($0)" } ?? ""),
                         p.podcast.map { $0 ? "oui" : "non" } ?? ""])
        }
        return Self.csv(rows)
    }

    /// SoundExchange's report of performances, the columns AzuraCast's report has, one row per
    /// recording (by ISRC, else title and artist). Régie does not log listeners per track, so
    /// ACTUAL_TOTAL_PERFORMANCES counts the plays (as a station without listener logs reports).
    package func soundExchange(service: String) -> String {
        var order: [String] = []
        var rows: [String: (Play, Int)] = [:]
        for p in plays {
            let key = p.rights.isrc ?? "\(p.title)\u{1F}\(p.artist ?? "")"
            if rows[key] == nil { order.append(key); rows[key] = (p, 0) }
            rows[key]!.1 += 1
        }
        var table = [["NAME_OF_SERVICE", "TRANSMISSION_CATEGORY", "FEATURED_ARTIST", "SOUND_RECORDING_TITLE", "ISRC",
                      "ALBUM_TITLE", "MARKETING_LABEL", "ACTUAL_TOTAL_PERFORMANCES"]]
        for key in order {
            let (p, count) = rows[key]!
            table.append([service, "A", p.artist ?? "", p.title, p.rights.isrc ?? "", p.rights.album ?? "", p.rights.label ?? "", String(count)])
        }
        return Self.csv(table)
    }

    /// JSON: every play with every field.
    package func json() throws -> Data {
        let list: [[String: Any]] = plays.map { p in
            var o: [String: Any] = ["show": p.show, "date": p.date, "time": p.time,
                                    "seconds": (p.seconds * 1000).rounded() / 1000, "title": p.title, "log": p.log]
            if let v = p.episode { o["episode"] = v }
            for (k, v) in [("artist", p.artist)] + p.rights.textFields {
                if let v { o[k] = v }
            }
            if let v = p.rights.year { o["year"] = v }
            if let v = p.podcast { o["podcast"] = v }
            return o
        }
        return try JSONSerialization.data(withJSONObject: ["plays": list], options: [.prettyPrinted, .sortedKeys])
    }
}
