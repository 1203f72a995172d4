import ArgumentParser
import Foundation
import Production
import RegieModel
import RegieYAML

/// `regie report FOLDER…`
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the music that aired, from the as-run logs, for the rights bodies (SACEM/SPRE, SoundExchange, PRS/PPL).",
        discussion: """
        Reads every as-run log (*.asrun.jsonl) under the folders given (the recordings folders) and lists each music track that actually aired, with the date and time it started, the duration that went out (a skipped or faded track counts what was heard), title, artist, composer, album, label and ISRC from the rundown. Tracks missing a field the reports need are named on standard error.

        Formats: csv (default; RFC 4180, UTF-8, a header row with the columns of a French associative radio's programme return), soundexchange (SoundExchange's columns, one row per recording), json.

        Example:
          regie report recordings --from 2026-12-01 --to 2026-12-31 -o december.csv
          regie report recordings --format soundexchange --show "Campus Magazine"
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, soundexchange, json }

    @Argument(help: "Folders to search for as-run logs (recordings folders).")
    var folders: [String]

    @Option(help: "First day (YYYY-MM-DD), inclusive.")
    var from: String?

    @Option(help: "Last day (YYYY-MM-DD), inclusive.")
    var to: String?

    @Option(help: "Only this show (its title, or its folder name).")
    var show: String?

    @Option(help: "csv, soundexchange or json.")
    var format: Format = .csv

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    @Option(help: "The service's name in the SoundExchange report (default: the station's 'name').")
    var service: String?

    @Flag(help: "Include the runs that were rehearsals (started outside the show's slot).")
    var rehearsals = false

    func validate() throws {
        for (name, day) in [("--from", from), ("--to", to)] {
            guard let day else { continue }
            guard day.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else {
                throw ValidationError("\(name) must be a day as YYYY-MM-DD, found '\(day)'")
            }
        }
    }

    func run() throws {
        var logs: [URL] = []
        for folder in folders {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                printError("regie: \(folder) is not a folder")
                throw ExitCode(2)
            }
            let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: folder), includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                if url.lastPathComponent.hasSuffix(".asrun.jsonl") { logs.append(url) }
            }
        }
        let report: MusicReport
        do {
            report = try MusicReport.read(logs: logs.sorted { $0.path < $1.path }, from: from, to: to, show: show,
                                        rehearsals: rehearsals)
        } catch {
            printError("regie: \(error)")
            throw ExitCode(1)
        }
        if report.rehearsalsLeftOut > 0 {
            printError("regie: \(report.rehearsalsLeftOut) rehearsal\(report.rehearsalsLeftOut == 1 ? "" : "s") left out (--rehearsals includes them)")
        }
        for play in report.plays where !play.missing.isEmpty {
            printError("regie: warning: \(play.date) \(play.time) \"\(play.title)\"\(play.artist.map { " — \($0)" } ?? "") (\(play.show)) lacks \(play.missing.joined(separator: ", ")): add it to the rundown's item")
        }
        let data: Data
        switch format {
        case .csv: data = Data(report.csv().utf8)
        case .soundexchange:
            let name = service ?? StationReader.read(path: "station.yaml").station?.name ?? "Régie station"
            data = Data(report.soundExchange(service: name).utf8)
        case .json: data = try report.json() + Data("\n".utf8)
        }
        if let output {
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            printError("regie: \(report.plays.count) track\(report.plays.count == 1 ? "" : "s") from \(logs.count) as-run log\(logs.count == 1 ? "" : "s") written to \(output)")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
