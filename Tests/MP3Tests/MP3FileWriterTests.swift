import Foundation
import MP3
import Testing
import TestSupport

/// Reads the tag back with mutagen (ID3 as written: no v2.4 translation) and the MPEG info.
private let mutagenDump = #"""
import sys, json, hashlib
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
t = ID3(sys.argv[1], translate=False)
out = {"version": list(t.version), "size": t.size, "text": {}, "enc": {}}
for k in ["TIT2", "TALB", "TPE1", "TRCK", "TYER", "TDAT", "TCON", "TLEN"]:
    f = t.get(k)
    if f is not None:
        out["text"][k] = [str(x) for x in f.text]
        out["enc"][k] = int(f.encoding)
out["COMM"] = [{"lang": c.lang, "desc": c.desc, "text": [str(x) for x in c.text]} for c in t.getall("COMM")]
out["APIC"] = [{"mime": a.mime, "type": int(a.type), "desc": a.desc,
                "sha256": hashlib.sha256(a.data).hexdigest()} for a in t.getall("APIC")]
out["CHAP"] = [{"id": c.element_id, "start": c.start_time, "end": c.end_time,
                "start_offset": c.start_offset, "end_offset": c.end_offset,
                "title": [str(x) for x in c.sub_frames["TIT2"].text] if "TIT2" in c.sub_frames else None}
               for c in t.getall("CHAP")]
out["CTOC"] = [{"id": c.element_id, "flags": int(c.flags), "children": list(c.child_element_ids)}
               for c in t.getall("CTOC")]
m = MP3(sys.argv[1])
out["mp3"] = {"length": m.info.length, "bitrate": m.info.bitrate, "mode": str(m.info.bitrate_mode),
              "encoder": m.info.encoder_info, "sample_rate": m.info.sample_rate}
print(json.dumps(out))
"""#

private func sha256Hex(_ file: URL) throws -> String {
    let r = try run("sha256sum", [file.path])
    return String(r.stdout.prefix(64))
}

private func makeCover(_ dir: URL, ext: String) throws -> (URL, [UInt8]) {
    let url = dir.appendingPathComponent("cover.\(ext)")
    let r = try run("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x96",
                               "-frames:v", "1", "-y", url.path])
    #expect(r.status == 0, "ffmpeg cover: \(r.stderr)")
    return (url, [UInt8](try Data(contentsOf: url)))
}

private let unicodeTitle = "Café — 日本の冬 🎙️"
private let chapterTitles = ["Opener", "Été à Montréal", "日本のニュース", "Emoji 🎧🎶 time"]

private func episodeTag(cover: [UInt8]) -> ID3v2Tag {
    var tag = ID3v2Tag()
    tag.title = unicodeTitle
    tag.album = "Campus Magazine — été"   // fits ISO-8859-1? no: the em dash is U+2014
    tag.artist = "Campus Radio"
    tag.track = 12
    tag.date = (2026, 12, 3)
    tag.comment = "Interviews, music and the weather. Ça va?"
    tag.cover = ID3v2Tag.Picture(imageData: cover, description: "Cover")
    return tag
}

/// Chapters covering `frames` frames in four equal parts (ms computed from frames).
private func chapters(frames: Int64, rate: Int) -> [Chapter] {
    (0..<4).map { i in
        Chapter(title: chapterTitles[i], startFrame: frames * Int64(i) / 4,
                endFrame: frames * Int64(i + 1) / 4, sampleRate: rate)
    }
}

/// Everything a podcast app sees, checked with mutagen and ffprobe/ffmpeg.
private func verifyEpisode(_ url: URL, frames: Int, rate: Int, coverSHA: String, mime: String,
                           chapters expected: [Chapter]) throws {
    // Decoded length is exact, even behind a big ID3 tag.
    let (decoded, err) = try decodeWithFFmpegReportingErrors(url)
    #expect(err.isEmpty, "ffmpeg: \(err)")
    #expect(decoded.count / 2 == frames)
    #expect(try ffprobeDecodedFrames(url) == frames)

    let m = try #require(pythonJSON(mutagenDump, [url.path], interpreter: systemPython) as? [String: Any])
    #expect(m["version"] as? [Int] == [2, 3, 0])
    let text = try #require(m["text"] as? [String: [String]])
    let enc = try #require(m["enc"] as? [String: Int])
    #expect(text["TIT2"] == [unicodeTitle])
    #expect(enc["TIT2"] == 1, "non-Latin-1 text must be UTF-16")
    #expect(text["TALB"] == ["Campus Magazine — été"])
    #expect(text["TPE1"] == ["Campus Radio"])
    #expect(enc["TPE1"] == 0, "Latin-1 text is written as ISO-8859-1")
    #expect(text["TRCK"] == ["12"])
    #expect(text["TYER"] == ["2026"])
    #expect(text["TDAT"] == ["0312"])
    #expect(text["TCON"] == ["Podcast"])
    #expect(text["TLEN"] == ["\(Chapter.milliseconds(frames: Int64(frames), sampleRate: rate))"])
    let comm = try #require((m["COMM"] as? [[String: Any]])?.first)
    #expect(comm["lang"] as? String == "eng")
    #expect(comm["text"] as? [String] == ["Interviews, music and the weather. Ça va?"])
    let apic = try #require((m["APIC"] as? [[String: Any]])?.first)
    #expect(apic["mime"] as? String == mime)
    #expect(apic["type"] as? Int == 3)
    #expect(apic["sha256"] as? String == coverSHA)

    let chaps = try #require(m["CHAP"] as? [[String: Any]])
    #expect(chaps.count == expected.count)
    for (c, e) in zip(chaps, expected) {
        #expect(c["title"] as? [String] == [e.title])
        #expect(c["start"] as? Int == e.startMs)
        #expect(c["end"] as? Int == e.endMs)
        #expect(c["start_offset"] as? Int == 0xFFFF_FFFF)
    }
    let toc = try #require((m["CTOC"] as? [[String: Any]])?.first)
    #expect(toc["flags"] as? Int == 3, "top-level + ordered")
    #expect(toc["children"] as? [String] == chaps.compactMap { $0["id"] as? String })

    let mp3 = try #require(m["mp3"] as? [String: Any])
    // mutagen derives the bitrate from the info tag's byte count over the exact length: ±1 kb/s.
    #expect(abs((mp3["bitrate"] as? Int ?? 0) - 128_000) < 1000)
    #expect(mp3["sample_rate"] as? Int == rate)
    #expect((mp3["encoder"] as? String)?.hasPrefix("LAME") == true)
    #expect(mp3["mode"] as? String == "BitrateMode.CBR")
    // mutagen takes delay and padding from the LAME tag: its length is exact too.
    #expect(Int(((mp3["length"] as? Double ?? 0) * Double(rate)).rounded()) == frames)

    // ffprobe lists the chapters with their titles and start times.
    let probe = try ffprobeJSON(url, ["-show_chapters"])
    let fc = try #require(probe["chapters"] as? [[String: Any]])
    #expect(fc.count == expected.count)
    for (c, e) in zip(fc, expected) {
        #expect((c["tags"] as? [String: String])?["title"] == e.title)
        let start = Double(c["start_time"] as? String ?? "") ?? -1
        #expect(abs(start - Double(e.startMs) / 1000) < 0.0005)
    }
}

@Suite("MP3FileWriter (tags read back by mutagen and ffprobe)")
struct MP3FileWriterTests {
    @Test("atomic render: tag with chapters rewritten in place, everything reads back", arguments: [44100, 48000])
    func atomicEpisode(rate: Int) throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let (coverURL, cover) = try makeCover(dir, ext: "png")
        let input = try soxTone(seconds: 7.25, rate: rate, in: dir)
        let frames = input.count / 2
        let url = dir.appendingPathComponent("episode.mp3")
        let writer = try MP3FileWriter(url: url, mode: .atomic, sampleRate: rate, tag: episodeTag(cover: cover))
        try writeBlocks(writer, input, block: 1000)
        #expect(FileManager.default.fileExists(atPath: url.path + ".part"))
        #expect(!FileManager.default.fileExists(atPath: url.path))
        var final = episodeTag(cover: cover)
        final.chapters = chapters(frames: Int64(frames), rate: rate)
        let summary = try writer.finish(tag: final)
        #expect(summary.frames == Int64(frames))
        #expect(!summary.rewroteFile)
        #expect(!FileManager.default.fileExists(atPath: url.path + ".part"))
        try verifyEpisode(url, frames: frames, rate: rate, coverSHA: try sha256Hex(coverURL),
                          mime: "image/png", chapters: final.chapters)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
        #expect(Int64(size ?? 0) == Int64(summary.tagBytes) + summary.audioBytes)
    }

    @Test("final tag larger than the reserve: file is rewritten, still exact and readable")
    func tagOutgrowsReserve() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let (coverURL, cover) = try makeCover(dir, ext: "jpg")
        let rate = 44100
        let input = sineInterleaved(frames: 3 * rate + 5, rate: rate)
        let url = dir.appendingPathComponent("small-reserve.mp3")
        var first = ID3v2Tag()
        first.title = "tmp"
        let writer = try MP3FileWriter(url: url, mode: .atomic, sampleRate: rate, tag: first, reservedTagSpace: 0)
        try writeBlocks(writer, input)
        var final = episodeTag(cover: cover)
        final.chapters = chapters(frames: Int64(input.count / 2), rate: rate)
        let summary = try writer.finish(tag: final)
        #expect(summary.rewroteFile)
        #expect(!FileManager.default.fileExists(atPath: url.path + ".part.retag"))
        try verifyEpisode(url, frames: input.count / 2, rate: rate, coverSHA: try sha256Hex(coverURL),
                          mime: "image/jpeg", chapters: final.chapters)
    }

    @Test("atomic: an unfinished render leaves no file under the final name, and no .part")
    func atomicUnfinished() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ep.mp3")
        // A previous render stays untouched until the new one finishes.
        try Data("previous".utf8).write(to: url)
        do {
            let writer = try MP3FileWriter(url: url, mode: .atomic, sampleRate: 44100, tag: ID3v2Tag())
            try writeBlocks(writer, sineInterleaved(frames: 44100, rate: 44100))
            #expect(FileManager.default.fileExists(atPath: url.path + ".part"))
            #expect(try Data(contentsOf: url) == Data("previous".utf8))
        } // dropped without finish()
        #expect(!FileManager.default.fileExists(atPath: url.path + ".part"))
        #expect(try Data(contentsOf: url) == Data("previous".utf8))

        let writer = try MP3FileWriter(url: url, mode: .atomic, sampleRate: 44100, tag: ID3v2Tag())
        try writeBlocks(writer, sineInterleaved(frames: 22050, rate: 44100))
        try writer.finish()
        #expect(try ffprobeDecodedFrames(url) == 22050, "finish replaces the previous file")
        #expect(throws: MP3FileWriterError.closed) { try writer.finish() }
    }

    @Test("crash-safe: refuses to overwrite an existing file")
    func crashSafeRefusesExisting() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("live.mp3")
        try Data("earlier recording".utf8).write(to: url)
        #expect(throws: MP3FileWriterError.fileExists(path: url.path)) {
            _ = try MP3FileWriter(url: url, mode: .crashSafe(), sampleRate: 44100, tag: ID3v2Tag())
        }
        #expect(try Data(contentsOf: url) == Data("earlier recording".utf8))
    }

    @Test("crash-safe: finished file is exact; a dropped writer leaves a playable file")
    func crashSafeFinishAndDrop() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 48000
        let done = dir.appendingPathComponent("done.mp3")
        let w = try MP3FileWriter(url: done, mode: .crashSafe(syncInterval: 0.5), sampleRate: rate, tag: ID3v2Tag())
        try writeBlocks(w, sineInterleaved(frames: 5 * rate + 3, rate: rate), block: 480)
        #expect(w.framesDurable > 0)
        try w.finish()
        #expect(try ffprobeDecodedFrames(done) == 5 * rate + 3)

        let dropped = dir.appendingPathComponent("dropped.mp3")
        do {
            let w = try MP3FileWriter(url: dropped, mode: .crashSafe(), sampleRate: rate, tag: ID3v2Tag())
            try writeBlocks(w, sineInterleaved(frames: 3 * rate, rate: rate), block: 480)
        }
        let (decoded, err) = try decodeWithFFmpegReportingErrors(dropped)
        #expect(err.isEmpty, "ffmpeg: \(err)")
        // No info frame: the decoder keeps delay and padding, so allow a few MP3 frames either way.
        #expect(abs(decoded.count / 2 - 3 * rate) < 4 * 1152)
    }

    @Test("crash-safe: kill -9 during a live recording leaves a playable MP3 of what was written")
    func crashSafeSurvivesKill() throws {
        let probe = TestSupport.productsDirectory.appendingPathComponent("recorder-crash-probe")
        try #require(FileManager.default.isExecutableFile(atPath: probe.path), "missing \(probe.path)")
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("live.mp3")
        let rate = 44100

        let p = try RunningProgram(probe.path, [url.path, "120", "\(rate)", "1"])
        // Read progress lines ("written W durable D") until at least 3 s of audio is written, then kill -9.
        var written: Int64 = 0, durable: Int64 = 0
        p.waitForOutput { text in
            for line in text.split(separator: "\n") where text.hasSuffix("\n") || line != text.split(separator: "\n").last {
                let parts = line.split(separator: " ")
                if parts.count == 4, let w = Int64(parts[1]), let d = Int64(parts[3]) { written = w; durable = d }
            }
            return written >= 3 * Int64(rate)
        }
        p.send(SIGKILL)
        let ended = p.wait()
        #expect(ended.signalled && ended.status == SIGKILL)
        #expect(written >= 3 * Int64(rate))
        #expect(durable > 0)

        let (decoded, err) = try decodeWithFFmpegReportingErrors(url)
        #expect(err.isEmpty, "ffmpeg: \(err)")
        let frames = Int64(decoded.count / 2)
        // Everything made durable is there; nothing beyond what was written (plus codec delay).
        #expect(frames >= durable)
        #expect(frames <= written + 2 * 1152)
        #expect(written - frames < 3 * Int64(rate), "lost more than a few seconds")
        let probeJSON = try ffprobeJSON(url, ["-show_streams"])
        #expect((probeJSON["streams"] as? [[String: Any]])?.first?["codec_name"] as? String == "mp3")
    }
}
