import Foundation
import Glibc
import Testing
import TestSupport

// Bad input at `regie check` (issue 14): paths that are not files, cut-off audio, every problem
// in one run, text that is not UTF-8.

/// Paths that are there but are not files (issue 14): a FIFO as the artwork, as audio or as the
/// rundown, a device, a symbolic link loop. `regie check` says what each is, by `stat`, and never
/// opens a FIFO (which would wait for a writer forever): each run is bounded, and a hang fails.
@Suite struct NotAFileTests {
    static func check(_ path: String) throws -> (status: Int32, text: String) {
        let program = try RunningProgram(TestSupport.regie.path, ["check", path])
        let (status, signalled) = program.wait(timeout: 20)
        #expect(!signalled, "regie check \(path) hung and was killed")
        return (status, program.stdout + program.stderr)
    }

    @Test("a FIFO as artwork or as a segment, /dev/zero as a segment, a link loop, a FIFO as the rundown: located, named, no hang")
    func notAFileIsSaidAndNeverOpened() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        let audio = show.directory.appendingPathComponent("audio")
        try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
        #expect(mkfifo(audio.appendingPathComponent("pipe.wav").path, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: audio.appendingPathComponent("loop.wav").path,
                                                   withDestinationPath: audio.appendingPathComponent("loop.wav").path)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Not files
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 60
            items:
              - segment: audio/pipe.wav
              - segment: /dev/zero
              - segment: audio/loop.wav
            """)
        var (status, text) = try Self.check(rundown.path)
        #expect(status == 1)
        #expect(text.contains(":7:14: error: 'segment' file 'audio/pipe.wav' is a FIFO (named pipe), not a file"), "\(text)")
        #expect(text.contains(":8:14: error: 'segment' file '/dev/zero' is a device, not a file"), "\(text)")
        #expect(text.contains(":9:14: error: 'segment' file 'audio/loop.wav' is a symbolic link loop"), "\(text)")
        #expect(!text.contains("is empty") && !text.contains("did you mean"), "\(text)")

        // The artwork a FIFO: said, and the check still ends.
        let artwork = show.directory.appendingPathComponent("cover.png")
        #expect(mkfifo(artwork.path, 0o644) == 0)
        let showFile = show.directory.appendingPathComponent("show.yaml")
        let showText = try String(contentsOf: showFile, encoding: .utf8)
        let lines = showText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let replaced = lines.map { $0.hasPrefix("artwork:") ? "artwork: cover.png" : $0 }
        try replaced.joined(separator: "\n").write(to: showFile, atomically: true, encoding: .utf8)
        (status, text) = try Self.check(rundown.path)
        #expect(status == 1)
        #expect(text.contains("error: 'artwork' file 'cover.png' is a FIFO (named pipe), not a file"), "\(text)")
        // Problems in the rundown and in the show.yaml it reads: counted in two files.
        #expect(text.contains("errors, 0 warnings in 2 files (1 given, and the show files they read)"), "\(text)")

        // The rundown itself a FIFO.
        let fifoRundown = show.directory.appendingPathComponent("2026-12-10.yaml")
        #expect(mkfifo(fifoRundown.path, 0o644) == 0)
        (status, text) = try Self.check(fifoRundown.path)
        #expect(status == 1)
        #expect(text.contains("2026-12-10.yaml: is a FIFO (named pipe), not a file"), "\(text)")
    }
}

/// A cut-off Ogg Vorbis file (libsndfile then reports INT64_MAX frames): as a segment, a bed and
/// a cart, `regie check` says it is truncated or damaged, and nothing traps (issue 14).
@Suite struct TruncatedOggTests {
    @Test func aTruncatedOggIsAnErrorNeverATrap() throws {
        let show = try TestShow(extra: """
            carts:
              - {key: "1", jingle: cut, title: Cut}
            """)
        defer { try? FileManager.default.removeItem(at: show.root) }
        let whole = show.root.appendingPathComponent("whole.ogg")
        try runChecked("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=60", "-c:a", "libvorbis", whole.path])
        let data = try Data(contentsOf: whole)
        let cut = data.prefix(data.count * 9 / 10)
        for place in ["audio/cut.ogg", "jingles/cut.ogg"] {
            let url = (place.hasPrefix("jingles/") ? show.root : show.directory).appendingPathComponent(place)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try cut.write(to: url)
        }
        let rundown = try show.writeRundown("""
            episode: 1
            title: Cut off
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 600
            items:
              - segment: audio/cut.ogg
                title: Cut
              - live: Talk
                planned: 60
                bed: audio/cut.ogg
            """)
        let program = try RunningProgram(TestSupport.regie.path, ["check", rundown.path])
        let (status, signalled) = program.wait(timeout: 60)
        let text = program.stdout + program.stderr
        #expect(!signalled && status == 1, "\(status): \(text)")
        #expect(text.contains(":7:14: error: 'segment' file") && text.contains("the file is truncated or damaged"), "\(text)")
        #expect(!text.contains("Fatal error"), "\(text)")
        let damaged = text.split(separator: "\n").filter { $0.contains("truncated or damaged") }
        #expect(damaged.count >= 2, "the segment and the cart (the bed is the same file): \(text)")
    }
}

/// A rundown saved in Latin-1: the byte that is not UTF-8 is located (issue 14: it was 1:1).
@Suite struct NotUTF8Tests {
    @Test func theFirstByteThatIsNotUTF8IsLocated() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        let rundown = show.directory.appendingPathComponent("2026-12-03.yaml")
        try Data("episode: 1\ntitle: Caf".utf8 + [0xE9] + Data(" talk\n".utf8)).write(to: rundown)
        let result = try run(TestSupport.regie.path, ["check", rundown.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("2026-12-03.yaml:2:11: error: the file is not UTF-8 text (byte 0xE9): save it as UTF-8"), "\(result.stdout)")
    }
}

/// A FLAC cut to a tenth and an MP3 cut to a seventh (their headers still announce the whole
/// length): `regie check` decodes every file whole once and says each is truncated, with the
/// length really present; a cue point is measured against that length; the decoder's chatter is
/// part of the message, not loose on either stream; `regie render` refuses (issue 14: both
/// checked clean and rendered as silence).
@Suite struct TruncatedAudioTests {
    @Test func aCutOffFileIsAnErrorWithTheLengthReallyPresent() throws {
        let show = try TestShow()
        defer { try? FileManager.default.removeItem(at: show.root) }
        let audio = show.directory.appendingPathComponent("audio")
        try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
        for (name, codec, seconds, keep) in [("cut.flac", "flac", 47, 10), ("cut.mp3", "libmp3lame", 60, 7)] {
            let whole = show.root.appendingPathComponent("whole-" + name)
            try runChecked("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=\(seconds)",
                                      "-ac", "2", "-ar", "44100", "-c:a", codec, whole.path])
            let data = try Data(contentsOf: whole)
            try data.prefix(data.count / keep).write(to: audio.appendingPathComponent(name))
            try FileManager.default.copyItem(at: whole, to: audio.appendingPathComponent("whole-" + name))
        }
        let rundown = try show.writeRundown("""
            episode: 1
            title: Cut off
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 300
            items:
              - segment: audio/cut.flac
                title: Flac
                out: 0:30
              - segment: audio/cut.mp3
                title: MP3
              - segment: audio/whole-cut.flac
                title: Whole FLAC
              - segment: audio/whole-cut.mp3
                title: Whole MP3
            """)
        let result = try run(TestSupport.regie.path, ["check", rundown.path])
        #expect(result.status == 1)
        let flac = result.stdout.split(separator: "\n").first { $0.contains(":7:14: error: 'segment' file") }.map(String.init) ?? ""
        #expect(flac.contains("cut.flac' is truncated or damaged: its header says 0:47.0, but only 0:04"), "\(result.stdout)")
        #expect(result.stdout.contains(":9:10: error: cue point 'out' (0:30) is outside the file, which lasts 0:04."), "\(result.stdout)")
        let mp3 = result.stdout.split(separator: "\n").first { $0.contains(":10:14: error: 'segment' file") }.map(String.init) ?? ""
        #expect(mp3.contains("cut.mp3' is truncated or damaged: its header says 1:00.0, but only 0:08"), "\(result.stdout)")
        // The whole files are clean, and nothing else was said.
        #expect(!result.stdout.contains(":12:14:") && !result.stdout.contains(":14:14:"), "\(result.stdout)")
        // libmpg123's own line is quoted in the MP3's message, and on neither stream by itself.
        #expect(mp3.contains("(the decoder said: Warning: Xing stream size off"), "\(mp3)")
        let loose = (result.stdout + result.stderr).split(separator: "\n").filter { $0.hasPrefix("Warning:") }
        #expect(loose.isEmpty, "\(loose)")
        #expect(result.stderr.contains("3 errors, 0 warnings in 1 file"), "\(result.stderr)")

        // The whole decode is kept in the show's loudness cache with the frames found: the next
        // check finds the same from the cache.
        let cache = try String(contentsOf: show.directory.appendingPathComponent(".loudness-cache.json"), encoding: .utf8)
        #expect(cache.contains("\"frames\" : 2072700"), "the whole FLAC's 47 s at 44.1 kHz: \(cache)")
        let again = try run(TestSupport.regie.path, ["check", rundown.path])
        #expect(again.stdout == result.stdout)

        let render = try run(TestSupport.regie.path, ["render", rundown.path, "-o", show.root.appendingPathComponent("out.mp3").path])
        #expect(render.status == 1)
        #expect(render.stderr.contains("truncated or damaged") && render.stderr.contains("nothing rendered"), "\(render.stderr)")
        #expect(!FileManager.default.fileExists(atPath: show.root.appendingPathComponent("out.mp3").path))

        // With no cache (render never ran check), the render's own loudness pass finds it, and
        // still nothing is written.
        try FileManager.default.removeItem(at: show.directory.appendingPathComponent(".loudness-cache.json"))
        let flacOnly = try show.writeRundown("""
            episode: 1
            title: Cut off
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 60
            items:
              - segment: audio/cut.flac
                title: Flac
            """, name: "2026-12-10.yaml")
        let cold = try run(TestSupport.regie.path, ["render", flacOnly.path, "-o", show.root.appendingPathComponent("out.mp3").path])
        #expect(cold.status == 1)
        #expect(cold.stderr.contains("cut.flac cannot be read: it is truncated or damaged: its header says 0:47.0, but only 0:04"), "\(cold.stderr)")
        #expect(cold.stderr.contains("nothing rendered"), "\(cold.stderr)")
        #expect(!FileManager.default.fileExists(atPath: show.root.appendingPathComponent("out.mp3").path))
    }
}

/// One `regie check` says every problem of every file: an error in show.yaml, an unknown key, a
/// missing file, a cue point past the end and a warning, all at once (issue 14: they came over
/// three runs, syntax and missing files first, cue points next, warnings last).
@Suite struct EveryProblemInOneRunTests {
    @Test func oneRunSaysEverything() throws {
        let show = try TestShow(extra: "bitrate: 127")
        defer { try? FileManager.default.removeItem(at: show.root) }
        try show.writeAudio("audio/ten.wav", samples: [Float](repeating: 0.1, count: 48000 * 10), sampleRate: 48000)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Everything wrong
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 600
            items:
              - segment: audio/missing.wav
                title: Missing
              - segment: audio/ten.wav
                title: Ten seconds at 48 kHz
                out: 0:30
                fade_inn: 2
              - live: Talk
                planned: 1:00
                bed: audio/nobed.wav
            """)
        let result = try run(TestSupport.regie.path, ["check", rundown.path])
        #expect(result.status == 1)
        let expected = [
            "2026-12-03.yaml:7:14: error: 'segment' file 'audio/missing.wav' does not exist",
            "2026-12-03.yaml:9:14: warning: 'segment' file is sampled at 48000 Hz, the show at 44100 Hz: it will be resampled",
            "2026-12-03.yaml:11:10: error: cue point 'out' (0:30) is outside the file, which lasts 0:10.000",
            "2026-12-03.yaml:12:5: error: unknown key 'fade_inn' in item 2 (segment); did you mean 'fade_in'?",
            "2026-12-03.yaml:15:10: error: 'bed' file 'audio/nobed.wav' does not exist",
            "show.yaml:11:10: error: 'bitrate' must be an MP3 bitrate in kb/s",
        ]
        for line in expected { #expect(result.stdout.contains(line), "\(line)\n\(result.stdout)") }
        #expect(result.stderr.contains("5 errors, 1 warning in 2 files"), "\(result.stderr)")

        // An item that cannot be read at all (no kind): its neighbours are still checked, and no
        // timing is worked out from a rundown missing an item (no "cannot fill its slot").
        let partial = try show.writeRundown("""
            episode: 1
            title: One item unreadable
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 600
            items:
              - title: No kind
              - segment: audio/ten.wav
                title: Ten
                out: 0:30
            """, name: "2026-12-10.yaml")
        let second = try run(TestSupport.regie.path, ["check", partial.path])
        #expect(second.stdout.contains("2026-12-10.yaml:7:5: error: item 1 has no kind"), "\(second.stdout)")
        #expect(second.stdout.contains("2026-12-10.yaml:10:10: error: cue point 'out' (0:30)"), "\(second.stdout)")
        #expect(!second.stdout.contains("fill its slot"), "\(second.stdout)")
        // And nothing in error is played or rendered.
        let render = try run(TestSupport.regie.path, ["render", rundown.path, "-o", show.root.appendingPathComponent("x.mp3").path])
        #expect(render.status == 1 && render.stderr.contains("nothing rendered"), "\(render.stderr)")
    }
}
