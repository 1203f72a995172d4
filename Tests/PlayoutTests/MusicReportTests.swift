import AudioIO
import Engine
import Foundation
@testable import Playout
import Production
import RegieModel
import Testing
import TestSupport

/// `regie report` (issue 16) on the as-run logs of real runs: a show played at the console with
/// one track skipped and one faded, a show played unattended with a track missing its composer,
/// and a rehearsal; the CSV read back by Python's `csv` module, the durations those of the logs.
@Suite(.serialized) struct MusicReportTests {
    static let rate = 44100

    static func tone(_ seconds: Double, _ frequency: Double) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(0.2 * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// A show of three tracks with their rights, in `root`'s recordings.
    static func play(title: String, showTitle: String, air: String = "2026-12-03T18:00:00+01:00", items: String,
                     keys: [(Int, Int32)]?, root: URL, wallClock: @escaping @Sendable () -> Int64) throws -> LiveShow.Summary {
        let show = try TestShow(extra: "")
        try "title: \(showTitle)\n".write(to: show.directory.appendingPathComponent("show.yaml"), atomically: true, encoding: .utf8)
        for (name, f) in [("a", 330.0), ("b", 440.0), ("c", 550.0)] {
            try show.writeAudio("audio/\(name).wav", samples: tone(4, f), sampleRate: rate)
        }
        let rundown = try show.writeRundown("""
            title: \(title)
            air: \(air)
            slot: 12
            items:
            \(items)
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first, "\(workspace.diagnostics)")
        let device = try LiveShowTests.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate)
        let folder = root.appendingPathComponent(showTitle.replacingOccurrences(of: " ", with: "-"))
        let configuration = LiveShow.Configuration(
            plan: plan, playout: keys == nil ? .automation : .interactive, playback: device, paceByClock: true,
            recordingsFolder: folder, publish: false, console: keys.map { k in { ScriptedScreen(k.map { ($0.0, $0.1) }) } },
            wallClock: wallClock)
        defer { device.close() }
        return try LiveShow(configuration, logger: LogRecorder().logger).run()
    }

    /// The cells of the first sheet of an .xlsx (Python's zipfile and ElementTree): strings as
    /// strings, numbers as {"number": text}.
    static let readXLSX = """
        import json, sys, zipfile, re
        import xml.etree.ElementTree as ET
        m = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
        z = zipfile.ZipFile(sys.argv[1])
        shared = [''.join(t.text or '' for t in si.iter(m + 't'))
                  for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall(m + 'si')] if 'xl/sharedStrings.xml' in z.namelist() else []
        rows = []
        for row in ET.fromstring(z.read('xl/worksheets/sheet1.xml')).iter(m + 'row'):
            cells = {}
            for c in row.findall(m + 'c'):
                index = 0
                for ch in re.match(r'[A-Z]+', c.get('r')).group(0): index = index * 26 + ord(ch) - 64
                v = c.find(m + 'v')
                if c.get('t') == 's': value = shared[int(v.text)]
                elif c.get('t') == 'inlineStr': value = ''.join(t.text or '' for t in c.iter(m + 't'))
                elif c.get('t') == 'str': value = v.text or ''
                else: value = {'number': v.text} if v is not None else ''
                cells[index - 1] = value
            rows.append([cells.get(i, '') for i in range(max(cells) + 1)] if cells else [])
        print(json.dumps(rows, ensure_ascii=False))
        """

    @Test func theMusicThatAiredWithWhatWasHeardOfIt() throws {
        let root = try TempDir("regie-report").url
        defer { try? FileManager.default.removeItem(at: root) }
        let (space, skip, escape) = (Int32(32), Int32(UInt8(ascii: "s")), Int32(27))
        // At the console: GO, the first track skipped after about a second, the second faded
        // after about a second (then GO again), the third whole.
        let console = try Self.play(title: "Desk show", showTitle: "Campus Magazine", items: """
              - music: audio/a.wav
                title: Skipped song
                artist: The Demo Band
                composer: A. Writer
                album: Demo Tapes
                label: Campus Records
                isrc: FR-Z03-14-00123
              - music: audio/b.wav
                title: Faded, "the long one"
                artist: Night Shift Trio
                composer: B. Writer
                album: Late
                label: Owl
                isrc: FRZ031400124
                podcast: false
              - music: audio/c.wav
                title: Whole song
                artist: The Demo Band
                composer: C. Writer
                album: Demo Tapes
                label: Campus Records
                isrc: FRZ031400125
                out: 2
            """, keys: [(400, space), (1000, skip), (1000, escape), (2500, space)], root: root,
            wallClock: LiveShowTests.clock(at: LiveShowTests.air))
        #expect(console.ranToTheEnd, "\(console)")
        // Unattended, a week later in its own slot, a track without its composer.
        let week: Int64 = 7 * 86_400 * 1_000_000_000
        _ = try Self.play(title: "Night show", showTitle: "Night Shift", air: "2026-12-10T18:00:00+01:00", items: """
              - music: audio/a.wav
                title: No composer
                artist: Night Shift Trio
                isrc: GBAYE0000351
            """, keys: nil, root: root, wallClock: LiveShowTests.clock(at: LiveShowTests.air + week))
        // A rehearsal (a day before its slot): left out.
        _ = try Self.play(title: "Rehearsal", showTitle: "Rehearsed", items: """
              - music: audio/a.wav
                title: Rehearsed song
                artist: X
            """, keys: nil, root: root, wallClock: LiveShowTests.clock(at: LiveShowTests.air - 86_400_000_000_000))

        let csvFile = root.appendingPathComponent("report.csv")
        let made = try run(TestSupport.regie.path, ["report", root.path, "-o", csvFile.path])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stderr.contains("1 rehearsal left out"), "\(made.stderr)")
        #expect(made.stderr.contains("\"No composer\" — Night Shift Trio (Night Shift) lacks composer, album, label"), "\(made.stderr)")
        let read = try python("""
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='utf-8') as f:
                print(json.dumps(list(csv.reader(f))))
            """, [csvFile.path])
        let rows = try JSONSerialization.jsonObject(with: read.stdoutData) as! [[String]]
        #expect(rows.first == ["Date", "Heure", "Durée", "Titre", "Interprète", "Compositeur", "Album", "Label", "ISRC", "Émission", "Podcast"])
        #expect(rows.dropFirst().map { $0[3] } == ["Skipped song", "Faded, \"the long one\"", "Whole song", "No composer"])
        #expect(rows[2][8] == "FRZ031400124" && rows[2][10] == "non" && rows[1][10] == "oui")
        #expect(rows[1][9] == "Campus Magazine" && rows[4][9] == "Night Shift")

        // A real spreadsheet import: LibreOffice Calc reads the CSV (UTF-8, comma, double quote)
        // and writes it as .xlsx, read back cell by cell: every text cell as the csv module read
        // it, the dates and times as Calc's day numbers and fractions of a day for the same values.
        let office = root.appendingPathComponent("office")
        let converted = try RunningProgram("soffice", ["-env:UserInstallation=file://\(office.path)/profile", "--headless",
                                                       "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", office.path,
                                                       csvFile.path]).result(timeout: 120)
        #expect(converted.status == 0, "\(converted.stderr)")
        let sheet = try JSONSerialization.jsonObject(with: python(Self.readXLSX, [office.appendingPathComponent("report.xlsx").path]).stdoutData) as! [[Any]]
        #expect(sheet.count == rows.count, "\(sheet)")
        for (r, row) in rows.enumerated() where r < sheet.count {
            for (c, text) in row.enumerated() {
                let cell: Any = c < sheet[r].count ? sheet[r][c] : ""
                if let number = (cell as? [String: String])?["number"].flatMap(Double.init) {
                    // Calc took it for a date (days since 1899-12-30) or a time (a fraction of a day).
                    if c == 0 {
                        let day = DateFormatter()
                        day.timeZone = TimeZone(identifier: "UTC")
                        day.dateFormat = "yyyy-MM-dd"
                        #expect(day.string(from: Date(timeIntervalSince1970: (number - 25_569) * 86_400)) == text, "row \(r) column \(c): \(number) for \(text)")
                    } else {
                        let parts = text.split(separator: ":").compactMap { Double($0) }
                        let seconds = parts.reduce(0) { $0 * 60 + $1 }
                        #expect(abs(number * 86_400 - seconds) < 0.01, "row \(r) column \(c): \(number) for \(text)")
                    }
                } else {
                    #expect(cell as? String ?? "" == text, "row \(r) column \(c)")
                }
            }
        }

        // The durations are what went out, from the logs: the JSON has them to the millisecond.
        let json = try run(TestSupport.regie.path, ["report", root.path, "--format", "json"])
        let plays = (try JSONSerialization.jsonObject(with: json.stdoutData) as! [String: Any])["plays"] as! [[String: Any]]
        let seconds = Dictionary(uniqueKeysWithValues: plays.map { ($0["title"] as! String, $0["seconds"] as! Double) })
        let skipped = try #require(seconds["Skipped song"]), faded = try #require(seconds["Faded, \"the long one\""])
        #expect(skipped > 0.5 && skipped < 2.5, "skipped after about a second: \(skipped)")
        #expect(faded > 1 && faded < 3.9, "faded before its end: \(faded)")
        #expect(abs(try #require(seconds["Whole song"]) - 2) < 0.01)
        #expect(abs(try #require(seconds["No composer"]) - 4) < 0.01)
        let log = try #require(console.asRunLog)
        let entries = try AsRunLog.read(log)
        let start = try #require(entries.first { $0.kind == .itemStarted && $0.title == "Skipped song" })
        let skipEvent = try #require(entries.first { $0.kind == .itemSkipped && $0.item == start.item })
        #expect(abs(skipped - Double(skipEvent.position - start.position) / Double(Self.rate)) < 0.001)

        // Filters and the other format.
        let night = try run(TestSupport.regie.path, ["report", root.path, "--show", "Night Shift", "--format", "soundexchange",
                                                    "--service", "Campus Radio"])
        #expect(night.stdout == "NAME_OF_SERVICE,TRANSMISSION_CATEGORY,FEATURED_ARTIST,SOUND_RECORDING_TITLE,ISRC,ALBUM_TITLE,MARKETING_LABEL,ACTUAL_TOTAL_PERFORMANCES\r\nCampus Radio,A,Night Shift Trio,No composer,GBAYE0000351,,,1\r\n", "\(night.stdout)")
        let first = try run(TestSupport.regie.path, ["report", root.path, "--to", "2026-12-09"])
        #expect(first.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 4, "the header and the first show's three")
        let later = try run(TestSupport.regie.path, ["report", root.path, "--from", "2026-12-04"])
        #expect(later.stdout.contains("No composer") && !later.stdout.contains("Whole song"))
        let bad = try run(TestSupport.regie.path, ["report", root.path, "--from", "03/12/2026"])
        #expect(bad.status != 0 && bad.stderr.contains("YYYY-MM-DD"))
    }
}
