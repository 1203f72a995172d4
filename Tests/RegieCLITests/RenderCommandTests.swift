import Foundation
import Testing
import TestSupport

/// `regie render` end to end, checked by third-party readers: ffmpeg decodes and measures,
/// ffprobe and mutagen read the chapters and tags.
@Suite(.serialized) struct RenderCommandTests {
    static let episode = "shows/campus-magazine/2026-11-05.yaml"

    /// Renders the demo's pre-produced episode once for the tests that inspect it.
    static let renderedOnce: Result<(mp3: URL, plan: Data), Error> = Result {
        let folder = try TempDir("regie-render").url
        let mp3 = folder.appendingPathComponent("episode 11.mp3")
        let result = try TestSupport.regie(["render", episode, "-o", mp3.path])
        guard result.status == 0 else { throw RenderFailure(stderr: result.stderr) }
        let plan = try TestSupport.regie(["plan", "--format", "json", episode])
        return (mp3, plan.stdoutData)
    }

    /// The rendered MP3 and `regie plan --format json` of the same episode.
    static func rendered() throws -> (URL, [String: Any]) {
        let (mp3, plan) = try renderedOnce.get()
        return (mp3, try JSONSerialization.jsonObject(with: plan) as? [String: Any] ?? [:])
    }

    struct RenderFailure: Error { var stderr: String }

    @Test func theDecodedLengthIsThePlannedTotalToTheFrame() throws {
        let (mp3, plan) = try Self.rendered()
        let frames = try decodedFrameCount(mp3)
        #expect(frames == plan["total_frames"] as? Int)
        #expect(frames > 44100 * 60 * 6, "about seven minutes")
    }

    @Test func loudnessIsOnTargetAndTruePeakUnderTheCeiling() throws {
        let (mp3, _) = try Self.rendered()
        let result = try run("ffmpeg", ["-nostats", "-i", mp3.path, "-af", "ebur128=peak=true", "-f", "null", "-"])
        let summary = try #require(result.stderr.components(separatedBy: "Summary:").last)
        let integrated = try #require(summary.firstMatch(of: /I:\s+(-?[0-9.]+) LUFS/).flatMap { Double($0.1) })
        let peak = try #require(summary.firstMatch(of: /Peak:\s+(-?[0-9.]+) dBFS/).flatMap { Double($0.1) })
        #expect(abs(integrated - -16) <= 1, "integrated \(integrated) LUFS, target −16")
        #expect(peak <= -1.0, "true peak \(peak) dBTP, ceiling −1")
    }

    @Test func chaptersReadBackWithFFprobeAtThePlannedStarts() throws {
        let (mp3, plan) = try Self.rendered()
        let result = try run("ffprobe", ["-v", "error", "-show_chapters", "-of", "json", mp3.path])
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        let chapters = try #require(object["chapters"] as? [[String: Any]])
        let items = try #require(plan["items"] as? [[String: Any]])
        let expected = items.filter { ($0["kind"] as? String) != "jingle" }
        #expect(chapters.count == expected.count)
        for (chapter, item) in zip(chapters, expected) {
            let title = (chapter["tags"] as? [String: Any])?["title"] as? String
            let wanted = [item["title"] as? String, item["artist"] as? String].compactMap { $0 }.joined(separator: " — ")
            #expect(title == wanted)
            let start = Double(chapter["start_time"] as? String ?? "") ?? -1
            let planned = (item["fitted"] as? [String: Any])?["start"] as? Double ?? -2
            #expect(abs(start - planned) < 0.001, "\(wanted): \(start) vs \(planned)")
        }
    }

    @Test func tagsAndChaptersReadBackWithMutagen() throws {
        let (mp3, _) = try Self.rendered()
        let script = """
        import json, sys
        from mutagen.id3 import ID3
        from mutagen.mp3 import MP3
        tag = ID3(sys.argv[1], translate=False)
        info = MP3(sys.argv[1]).info
        chaps = sorted(tag.getall('CHAP'), key=lambda c: c.start_time)
        print(json.dumps({
          'version': tag.version[1], 'title': str(tag['TIT2']), 'album': str(tag['TALB']),
          'artist': str(tag['TPE1']), 'track': str(tag['TRCK']), 'year': str(tag['TYER']),
          'apic': len(tag.getall('APIC')[0].data), 'toc': tag.getall('CTOC')[0].child_element_ids,
          'chapters': [[c.element_id, c.start_time, str(c.sub_frames['TIT2'])] for c in chaps],
          'bitrate': info.bitrate, 'mode': str(info.bitrate_mode)}))
        """
        let result = try run("/usr/bin/python3", ["-c", script, mp3.path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        #expect(object["version"] as? Int == 3)
        #expect(object["title"] as? String == "Back to the library")
        #expect(object["album"] as? String == "Campus Magazine")
        #expect(object["track"] as? String == "11")
        #expect(object["year"] as? String == "2026")
        #expect(object["bitrate"] as? Int == 128000)
        let artwork = try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("shows/campus-magazine/artwork.png"))
        #expect(object["apic"] as? Int == artwork.count)
        let chapters = try #require(object["chapters"] as? [[Any]])
        #expect(chapters.count == 6)
        #expect((object["toc"] as? [String])?.count == 6)
        #expect(chapters.first?[2] as? String == "The new library, with the dean")
    }

    @Test func theChaptersFileIsPodcastingTwoPointZero() throws {
        let (mp3, _) = try Self.rendered()
        let url = mp3.deletingPathExtension().appendingPathExtension("chapters.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect(object["version"] as? String == "1.2.0")
        let chapters = try #require(object["chapters"] as? [[String: Any]])
        #expect(chapters.count == 6)
        #expect(chapters.allSatisfy { $0["startTime"] is Double && $0["title"] is String })
        #expect(chapters.map { $0["startTime"] as? Double ?? -1 } == chapters.map { $0["startTime"] as? Double ?? -1 }.sorted())
    }

    @Test func anInvalidRundownIsRefusedBeforeAnyAudioIsWritten() throws {
        let folder = try TempDir("regie-render").url
        let mp3 = folder.appendingPathComponent("x.mp3")
        let result = try TestSupport.regie(["render", "Tests/RegieCLITests/Corpus/radio/shows/demo/cue-outside.yaml", "-o", mp3.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cue-outside.yaml:12:10: error: cue point 'out' (0:12) is outside the file"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func anInterruptedRenderLeavesNoFileUnderTheFinalName() throws {
        let show = try TestShow(extra: "crossfade: 1")
        let tone = (0..<(44100 * 60)).map { Float(0.2 * sin(2 * Double.pi * 440 * Double($0) / 44100)) }
        try show.writeAudio("audio/long.wav", samples: tone, sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Long
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 30:00
            items:
            \((1...30).map { "  - segment: audio/long.wav\n    title: Part \($0)" }.joined(separator: "\n"))
            """)
        let mp3 = show.root.appendingPathComponent("out.mp3")
        let wav = show.root.appendingPathComponent("out.wav")
        let process = try RunningProgram(TestSupport.regie.path, ["render", rundown.path, "-o", mp3.path, "--wav", wav.path])
        // Wait until the render is under way (its working file exists), then interrupt it.
        let part = mp3.path + ".part"
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: part) { usleep(50_000) }
        #expect(FileManager.default.fileExists(atPath: part), "the render started")
        usleep(300_000)
        process.send(SIGINT)
        let ended = process.wait()
        #expect(ended.status == 130 && !ended.signalled)
        #expect(!FileManager.default.fileExists(atPath: mp3.path))
        #expect(!FileManager.default.fileExists(atPath: part))
        #expect(!FileManager.default.fileExists(atPath: wav.path))
        #expect(!FileManager.default.fileExists(atPath: wav.path + ".part"))
    }

    /// `--wav` writes the programme that went to LAME: 16-bit stereo at the show's rate, the
    /// planned length to the frame, and the MP3 decodes to the same audio (within what a lossy
    /// codec changes).
    @Test func theWavIsTheProgrammeTheMP3Encodes() throws {
        let show = try TestShow()
        let rate = 44100
        let tone = (0..<(rate * 20)).map { i -> Float in
            let t = Double(i) / Double(rate)
            return Float((0.1 + 0.05 * sin(2 * Double.pi * 0.5 * t)) * sin(2 * Double.pi * 330 * t))
        }
        try show.writeAudio("audio/tone.wav", samples: tone, sampleRate: rate)
        try show.writeAudio("jingles/beep.flac", samples: (0..<(48000 * 2)).map { Float(0.2 * sin(Double($0) * 0.1)) }, sampleRate: 48000)
        let rundown = try show.writeRundown("""
            episode: 1
            title: Master
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: 21
            crossfade: 1
            items:
              - jingle: beep
              - segment: audio/tone.wav
                title: Tone
            """)
        let mp3 = show.root.appendingPathComponent("out.mp3")
        let wav = show.root.appendingPathComponent("out.wav")
        let result = try TestSupport.regie(["render", rundown.path, "-o", mp3.path, "--wav", wav.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: wav.path + ".part"))
        let plan = try TestSupport.regie(["plan", "--format", "json", rundown.path])
        let total = try #require((try JSONSerialization.jsonObject(with: plan.stdoutData) as? [String: Any])?["total_frames"] as? Int)

        let probe = try run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,channels,sample_rate",
                                                    "-of", "csv=p=0", wav.path])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "pcm_s16le,44100,2")
        let master = try decodeWithFFmpeg(wav)
        let encoded = try decodeWithFFmpeg(mp3)
        #expect(master.count == total * 2, "the planned length to the frame")
        #expect(encoded.count == master.count)
        // The MP3 is a lossy copy of the WAV: the difference is far below the signal.
        var signal = 0.0, difference = 0.0
        for (a, b) in zip(master, encoded) { signal += Double(a * a); difference += Double((a - b) * (a - b)) }
        #expect(signal > 0)
        #expect(10 * log10(signal / difference) > 20, "SNR \(10 * log10(signal / difference)) dB")
    }

    @Test func wavMustNameAWavFile() throws {
        let result = try TestSupport.regie(["render", Self.episode, "--wav", "programme.mp3"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--wav must name a .wav file"))
    }
}
