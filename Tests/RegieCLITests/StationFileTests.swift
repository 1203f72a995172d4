import Foundation
import Testing
import TestSupport

/// `station.yaml` beside `shows/`: the technician types `regie play RUNDOWN` and the station's
/// devices, period and folders apply; options override them; `regie check` locates its mistakes.
@Suite struct StationFileTests {
    static func show(station: String) throws -> (TestShow, URL) {
        let show = try TestShow()
        let tone = (0..<(44100 * 2)).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 44100)) }
        try show.writeAudio("audio/talk.wav", samples: tone, sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 8
            title: Station
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 2
            items:
              - segment: audio/talk.wav
                title: Talk
            """)
        try station.write(to: show.root.appendingPathComponent("station.yaml"), atomically: true, encoding: .utf8)
        return (show, rundown)
    }

    @Test("regie play RUNDOWN takes the station's device, period and folders; an option overrides each")
    func playTakesTheStation() throws {
        let (show, rundown) = try Self.show(station: """
            name: Test Station
            playback: "null"
            period_ms: 20
            periods: 3
            record: program
            recordings: on-air
            publish: for-listeners
            """)
        defer { try? FileManager.default.removeItem(at: show.root) }
        let play = try TestSupport.regie(["play", "--auto", rundown.path], in: show.root)
        #expect(play.status == 0, "\(play.stderr)")
        #expect(play.stderr.contains("Playing Station on null: 0:02.0, periods of 882 frames × 3"), "\(play.stderr)")
        let folder = show.root.appendingPathComponent("on-air/test-show/2026-12-03")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("008-station-program.mp3").path), "\(play.stdout)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("008-station.asrun.jsonl").path))
        // A rehearsal (not the air date): the command to publish names the station's publish folder.
        #expect(play.stdout.contains("--to \(show.root.appendingPathComponent("for-listeners/test-show").path)"), "\(play.stdout)")

        let overridden = try TestSupport.regie(["play", "--auto", rundown.path, "--period-ms", "10", "--out", "elsewhere"], in: show.root)
        #expect(overridden.status == 0, "\(overridden.stderr)")
        #expect(overridden.stderr.contains("periods of 441 frames × 3"), "\(overridden.stderr)")
        #expect(FileManager.default.fileExists(atPath: show.root.appendingPathComponent("elsewhere/008-station-program.mp3").path))
    }

    @Test("regie check reads the station file: a misspelt key and a record mode without its device, each at its line, with a suggestion; regie play refuses to start")
    func checkLocatesStationMistakes() throws {
        let (show, rundown) = try Self.show(station: """
            name: Test Station
            playbak: "null"
            record: both
            """)
        defer { try? FileManager.default.removeItem(at: show.root) }
        let station = show.root.appendingPathComponent("station.yaml").path
        let check = try TestSupport.regie(["check", rundown.path])
        #expect(check.status == 1)
        let said = check.stdout + check.stderr
        #expect(said.contains("\(station):2:1: error: unknown key 'playbak'"), "\(said)")
        #expect(said.contains("did you mean 'playback'?"), "\(said)")
        #expect(said.contains("\(station):3:9: error: 'record: both' needs a 'capture' device"), "\(said)")
        let play = try TestSupport.regie(["play", "--auto", rundown.path, "--device", "null"], in: show.root)
        #expect(play.status == 1)
        #expect(play.stderr.contains("\(station):2:1: error: unknown key 'playbak'"), "\(play.stderr)")
        #expect(!play.stderr.contains("Playing"))
    }

    @Test("the web host's keys: a destination that is not one and an upload limit that is not a number, each at its line with the reason")
    func checkLocatesRemoteMistakes() throws {
        let (show, rundown) = try Self.show(station: """
            remote: ssh://podcasts:secret@web.example.org/var/www
            remote_limit_kbps: fast
            """)
        defer { try? FileManager.default.removeItem(at: show.root) }
        let station = show.root.appendingPathComponent("station.yaml").path
        let check = try TestSupport.regie(["check", rundown.path])
        #expect(check.status == 1)
        let said = check.stdout + check.stderr
        #expect(said.contains("\(station):1:9: error: 'remote' a password does not go in the address: Régie logs in with an SSH key, found 'ssh://podcasts:***@web.example.org/var/www'"), "\(said)")
        #expect(said.contains("\(station):2:20: error: 'remote_limit_kbps' must be a number of kilobits per second, found 'fast'"), "\(said)")
        // The password is never repeated (nor by publish: RemotePublishTests).
        #expect(!said.contains("secret"), "\(said)")
    }

    @Test("the stream keys: a mount address that is not one, a password file that cannot be read, a misspelt key, each at its line")
    func checkLocatesStreamMistakes() throws {
        let (show, rundown) = try Self.show(station: """
            streams:
              - url: icecast://source:secret@stream.example.org:8000/live.mp3
              - url: icecast://stream.example.org/live.mp3
                password_file: missing.pass
                genra: Talk
            """)
        defer { try? FileManager.default.removeItem(at: show.root) }
        let station = show.root.appendingPathComponent("station.yaml").path
        let check = try TestSupport.regie(["check", rundown.path])
        #expect(check.status == 1)
        let said = check.stdout + check.stderr
        #expect(said.contains("\(station):2:10: error: stream 'url' a password does not go in the address"), "\(said)")
        #expect(said.contains("icecast://source:***@stream.example.org") && !said.contains("secret"), "\(said)")
        #expect(said.contains("\(station):4:20: error: stream 'password_file' missing.pass cannot be read"), "\(said)")
        #expect(said.contains("\(station):5:5: error: unknown key 'genra'") && said.contains("did you mean 'genre'?"), "\(said)")
    }
}
