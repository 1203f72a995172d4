import AudioIO
import DSP
import Foundation
@testable import Production
@testable import MP3
import RegieModel
import Testing
import TestSupport

/// Chapters as mutagen reads them (title, start, end in ms).
private let mutagenChapters = #"""
import sys, json
from mutagen.id3 import ID3
t = ID3(sys.argv[1], translate=False)
print(json.dumps([{"title": str(c.sub_frames["TIT2"].text[0]), "start": c.start_time, "end": c.end_time}
                  for c in t.getall("CHAP")]))
"""#

/// The LAME tag of an MP3 checked independently: the MP3 gain byte, the stored music CRC and a
/// CRC-16/ARC computed here over every byte after the info frame.
private let lameTagCheck = #"""
import sys, json, struct
d = open(sys.argv[1], "rb").read()
off = 10 + ((d[6] << 21) | (d[7] << 14) | (d[8] << 7) | d[9]) if d[:3] == b"ID3" else 0
a = d[off:]
rate = [44100, 48000, 32000][(a[2] >> 2) & 3]
kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320][a[2] >> 4]
length = 144000 * kbps // rate + ((a[2] >> 1) & 1)
x = 4 + (17 if a[3] >> 6 == 3 else 32)
flags = struct.unpack(">I", a[x + 4:x + 8])[0]
p = x + 8 + (4 if flags & 1 else 0) + (4 if flags & 2 else 0) + (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
table = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    table.append(c)
crc = 0
for b in a[length:]:
    crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
print(json.dumps({"version": a[p:p + 9].decode("latin-1"), "mp3gain": struct.unpack("b", a[p + 25:p + 26])[0],
                  "music_crc": struct.unpack(">H", a[p + 32:p + 34])[0], "computed_music_crc": crc}))
"""#

@Suite("Episode finisher paths: as recorded, lossless gain, re-encode")
struct FinisherPathTests {
    static let seconds = 20
    static let rate = 44100
    static let chapters = [Chapter(title: "Opening", startMs: 0, endMs: 8000),
                           Chapter(title: "Interview — Campus", startMs: 8000, endMs: 20000)]

    /// A programme recording made the way the recorder makes one: band-limited pink noise with a
    /// tone (sox, repeatable), `leadingSilence` seconds of digital silence first, scaled to
    /// `loudness` LUFS and limited at `limit` dBTP by the DSP limiter, encoded by the project's
    /// `MP3FileWriter` (crash-safe mode, 128 kb/s, the episode tag with 64 KiB reserve). Returns
    /// the file, its frames and the PCM loudness (what the recorder reports).
    static func record(in dir: URL, plan: Plan, name: String, loudness: Double, limit: Float,
                       leadingSilence: Int = 0, bursts: [Double] = []) throws -> (url: URL, frames: Int, pcmLoudness: Double) {
        let raw = dir.appendingPathComponent("\(name).f32")
        let sox = try run("sox", ["-R", "-n", "-r", "\(rate)", "-c", "2", "-e", "floating-point", "-b", "32", "-t", "raw", raw.path,
                                  "synth", "\(seconds)", "pinknoise", "sine", "330", "lowpass", "9000",
                                  "pad", "\(leadingSilence)", "0"])
        #expect(sox.status == 0, "sox: \(sox.stderr)")
        var audio: [Float] = try Data(contentsOf: raw).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let frames = audio.count / 2
        let before = LoudnessMeter(sampleRate: rate, truePeak: false)
        audio.withUnsafeBufferPointer { before.add($0.baseAddress!, frames: frames) }
        let gain = Float(Decibels.toLinear(loudness - before.integrated))
        for i in audio.indices { audio[i] *= gain }
        // Limit, with the latency compensated so the recording keeps its length.
        let limiter = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: limit)
        audio += [Float](repeating: 0, count: 2 * limiter.latencyFrames)
        audio.withUnsafeMutableBufferPointer { limiter.process($0) }
        audio.removeFirst(2 * limiter.latencyFrames)
        // After the limiter, 3 ms bursts of 1 kHz at −1.5 dBFS (a microphone's plosives).
        for at in bursts {
            let start = Int(at * Double(rate))
            for n in 0..<(3 * rate / 1000) where start + n < frames {
                let x = Float(0.84 * sin(2 * Double.pi * 1000 * Double(n) / Double(rate)))
                audio[2 * (start + n)] += x
                audio[2 * (start + n) + 1] += x
            }
        }
        let meter = LoudnessMeter(sampleRate: rate, truePeak: false)
        audio.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: frames) }

        let url = dir.appendingPathComponent("\(name)-program.mp3")
        var tag = EpisodeTag.of(plan)
        tag.chapters = chapters
        let writer = try MP3FileWriter(url: url, mode: .crashSafe(), sampleRate: rate, tag: tag)
        try writeBlocks(writer, audio, block: 441)
        try writer.finish(tag: tag)
        return (url, frames, meter.integrated)
    }

    static func plan(in dir: URL) throws -> Plan {
        try makePlan(in: dir, rate: rate, items: [TestItem(kind: .live, title: "The show", seconds: seconds)])
    }

    /// What every published episode must be, whatever the path: the recording's length, on target,
    /// under the ceiling, chapters readable by mutagen and ffprobe.
    static func expectPublishable(_ result: EpisodeFinisher.Result, frames: Int) throws {
        #expect(result.frames == Int64(frames))
        #expect(try ffprobeDecodedFrames(result.url) == frames)
        let loudness = try ffmpegLoudness(result.url)
        #expect(abs(loudness.integrated - -16) <= 1, "integrated \(loudness.integrated) LUFS, target −16")
        #expect(loudness.truePeak <= -1.0, "true peak \(loudness.truePeak) dBTP, ceiling −1")
        let chaps = try #require(pythonJSON(mutagenChapters, [result.url.path], interpreter: systemPython) as? [[String: Any]])
        #expect(chaps.map { $0["title"] as? String } == chapters.map(\.title))
        #expect(chaps.map { $0["start"] as? Int } == chapters.map(\.startMs))
        #expect(chaps.map { $0["end"] as? Int } == chapters.map(\.endMs))
        let probe = try ffprobeJSON(result.url, ["-show_chapters"])
        let probed = try #require(probe["chapters"] as? [[String: Any]])
        #expect(probed.compactMap { ($0["tags"] as? [String: Any])?["title"] as? String } == chapters.map(\.title))
        #expect(probed.compactMap { ($0["start_time"] as? String).flatMap(Double.init) } == [0, 8])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: result.chaptersURL)) as? [String: Any])
        #expect((json["chapters"] as? [[String: Any]])?.count == chapters.count)
        #expect(!FileManager.default.fileExists(atPath: result.url.path + ".part"))
    }

    /// The ffprobe stream tags: `encoder` is there only when the LAME tag's own CRC checks out
    /// (ffmpeg's mp3 demuxer exports it after comparing the CRC).
    static func streamEncoder(_ url: URL) throws -> String? {
        let probe = try ffprobeJSON(url, ["-show_streams"])
        let stream = (probe["streams"] as? [[String: Any]])?.first
        return (stream?["tags"] as? [String: Any])?["encoder"] as? String
    }

    @Test("the path is chosen by the MP3's loudness and true peak")
    func choosingThePath() {
        func path(_ loudness: Double, _ peak: Double) -> EpisodeFinisher.Path {
            EpisodeFinisher.choosePath(loudness: loudness, truePeak: peak, target: -16, ceiling: -1)
        }
        #expect(path(-16.4, -1.2) == .asRecorded)
        #expect(path(-15.6, -1.0) == .asRecorded)
        // On target but over the ceiling: one step down misses the target by 1.3 LU.
        if case .reencoded = path(-16.2, -0.8) {} else { Issue.record("on target over the ceiling must re-encode") }
        #expect(path(-19.1, -6) == .gainChanged(steps: 2))
        #expect(path(-13, -0.3) == .gainChanged(steps: -2))          // loud: down, always under the ceiling
        #expect(path(-16.6, -3) == .gainChanged(steps: 1))           // 0.6 LU under: one step lands 0.9 over
        #expect(path(-17.2, -3) == .gainChanged(steps: 1))
        #expect(path(-18.4, -3) == .gainChanged(steps: 1))           // two would land closer but cross the ceiling
        if case .reencoded = path(-20, -2) {} else { Issue.record("quiet with no headroom must re-encode") }
        #expect(path(-40, -30) == .gainChanged(steps: 16))
        if case .reencoded = path(-80, -70) {} else { Issue.record("beyond 40 steps (60 dB) must re-encode") }
    }

    @Test("on target: the recorded frames are published as they are under a new tag, LAME info frame intact")
    func asRecorded() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try Self.plan(in: dir)
        let rec = try Self.record(in: dir, plan: plan, name: "a", loudness: -16, limit: -3)
        let rawBytes = try Data(contentsOf: rec.url)
        let result = try EpisodeFinisher(plan: plan).normalise(recording: rec.url, chapters: Self.chapters,
                                                               measuredLoudness: rec.pcmLoudness)
        print("[paths] as recorded: MP3 \(result.inspection.loudness) LUFS \(result.inspection.truePeak) dBTP, PCM \(rec.pcmLoudness) LUFS")
        #expect(result.path == .asRecorded)
        #expect(result.gainDecibels == 0)
        try Self.expectPublishable(result, frames: rec.frames)
        // The audio after the tag is the recording's, byte for byte (info frame included).
        #expect(try EpisodeFinisher.audioFrames(of: result.url) == (try EpisodeFinisher.audioFrames(of: rec.url)))
        #expect(try Self.streamEncoder(result.url)?.hasPrefix("LAME") == true)
        #expect(try Data(contentsOf: rec.url) == rawBytes, "the raw recording is kept as it was")
    }

    @Test("3 dB under: every granule's global_gain +2, decoded = original × 2^(2/4) exactly, LAME tag valid")
    func losslessGain() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try Self.plan(in: dir)
        let rec = try Self.record(in: dir, plan: plan, name: "b", loudness: -19.1, limit: -6)
        let rawBytes = try Data(contentsOf: rec.url)
        let result = try EpisodeFinisher(plan: plan).normalise(recording: rec.url, chapters: Self.chapters,
                                                               measuredLoudness: rec.pcmLoudness)
        print("[paths] lossless: MP3 \(result.inspection.loudness) LUFS \(result.inspection.truePeak) dBTP -> \(result.path), write \(result.encodeSeconds) s")
        #expect(result.path == .gainChanged(steps: 2))
        #expect(abs(result.gainDecibels - 3.0103) < 0.001)
        try Self.expectPublishable(result, frames: rec.frames)

        // Lossless: the decoded output is the decoded recording scaled, with no coding noise.
        let original = try decodeWithFFmpeg(rec.url)
        let changed = try decodeWithFFmpeg(result.url)
        #expect(changed.count == original.count && original.count == 2 * rec.frames)
        let exact = Float(pow(2, 0.5))
        var worst: Float = 0, worstNominal: Float = 0, peak: Float = 0
        let nominal = Float(pow(10, 2 * 1.5 / 20))
        for i in 0..<min(original.count, changed.count) {
            worst = max(worst, abs(changed[i] - exact * original[i]))
            worstNominal = max(worstNominal, abs(changed[i] - nominal * original[i]))
            peak = max(peak, abs(original[i]))
        }
        print("[paths] lossless: max |out − 2^0.5·in| = \(worst), max |out − 10^(3/20)·in| = \(worstNominal) (peak \(peak))")
        #expect(worst <= 2e-6, "a re-encode would leave ~1e-2 of coding noise")
        // Against the nominal 1.5 dB steps the difference is the factors' (1.41421 vs 1.41254) only.
        #expect(worstNominal <= 0.0018 * peak, "the nominal 1.5 dB vs the exact 1.505 dB step")

        // The LAME info frame stays valid: ffmpeg checks its CRC, and the music CRC and the MP3 gain
        // field match the new frames (checked by a separate implementation in Python).
        #expect(try Self.streamEncoder(result.url)?.hasPrefix("LAME") == true)
        let lame = try #require(pythonJSON(lameTagCheck, [result.url.path], interpreter: systemPython) as? [String: Any])
        #expect(lame["mp3gain"] as? Int == 2)
        #expect(lame["music_crc"] as? Int == lame["computed_music_crc"] as? Int)
        let before = try #require(pythonJSON(lameTagCheck, [rec.url.path], interpreter: systemPython) as? [String: Any])
        #expect(before["mp3gain"] as? Int == 0)
        #expect(before["music_crc"] as? Int == before["computed_music_crc"] as? Int, "LAME's own music CRC, same algorithm")
        #expect(before["music_crc"] as? Int != lame["music_crc"] as? Int)
        #expect(try Data(contentsOf: rec.url) == rawBytes, "the raw recording is kept as it was")
    }

    /// `recording` with one granule's global_gain set to `value` (frame `frame` after the info
    /// frame, first granule, first channel), written beside it.
    static func crafted(_ recording: URL, frame: Int, value: Int) throws -> URL {
        var bytes = [UInt8](try Data(contentsOf: recording))
        let audioStart = bytes.count - (try EpisodeFinisher.audioFrames(of: recording)).count
        let editor = try MP3GainEditor(audio: Array(bytes[audioStart...]))
        let offset = audioStart + editor.frames[frame]
        bytes.withUnsafeMutableBufferPointer { buf in
            let side = buf.baseAddress! + offset + 4
            #expect(MP3GainEditor.bits(side, at: 20, count: 12) > 0, "an audible granule")
            MP3GainEditor.setBits(side, at: 20 + MP3GainEditor.globalGainBit, count: 8, to: value)
        }
        let url = recording.deletingLastPathComponent().appendingPathComponent("crafted-\(value)-program.mp3")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("a granule whose global_gain would leave 0…255 refuses the lossless change; the finisher re-encodes")
    func outOfRangeFallsBackToReencode() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try Self.plan(in: dir)
        // Loud (3 dB over): two steps down, which no natural granule is near the limits for.
        let rec = try Self.record(in: dir, plan: plan, name: "loud", loudness: -13, limit: -1.5)
        let natural = try MP3GainEditor(audio: try EpisodeFinisher.audioFrames(of: rec.url))
        let range = try #require(natural.globalGainRange)
        #expect(range.lowerBound > 40 && range.upperBound < 215, "LAME's gains sit far from the limits: \(range)")
        // Overflow: a granule at 255 cannot go up.
        let high = try Self.crafted(rec.url, frame: 200, value: 255)
        #expect(throws: MP3GainError.globalGainOutOfRange(frame: 200, value: 255, steps: 2)) {
            try MP3GainEditor(audio: try EpisodeFinisher.audioFrames(of: high)).applying(steps: 2)
        }
        // Underflow: a granule at 1 (its 13 ms nearly silenced, too little to move the loudness)
        // cannot go down two steps, so the finisher, which picks −2 for this recording, re-encodes.
        let low = try Self.crafted(rec.url, frame: 200, value: 1)
        #expect(throws: MP3GainError.globalGainOutOfRange(frame: 200, value: 1, steps: -2)) {
            try MP3GainEditor(audio: try EpisodeFinisher.audioFrames(of: low)).applying(steps: -2)
        }
        let asRecorded = try EpisodeFinisher(plan: plan).normalise(recording: rec.url, chapters: Self.chapters,
                                                                   output: dir.appendingPathComponent("loud-normalised.mp3"))
        #expect(asRecorded.path == .gainChanged(steps: -2), "the unaltered recording takes the lossless path")

        let result = try EpisodeFinisher(plan: plan).normalise(recording: low, chapters: Self.chapters)
        print("[paths] out of range: \(result.path)")
        guard case let .reencoded(reason) = result.path else {
            Issue.record("expected a re-encode, got \(result.path)")
            return
        }
        #expect(reason.contains("global_gain 1"))
        try Self.expectPublishable(result, frames: rec.frames)
        // A re-encode is not a scaled copy: the lossless test's comparison fails here by far.
        let original = try decodeWithFFmpeg(low)
        let reencoded = try decodeWithFFmpeg(result.url)
        let factor = Float(Decibels.toLinear(result.gainDecibels))
        var worst: Float = 0
        for i in 0..<min(original.count, reencoded.count) { worst = max(worst, abs(reencoded[i] - factor * original[i])) }
        #expect(worst > 1e-3, "re-encoding leaves coding noise and limiting (\(worst))")
    }

    @Test("granule gains: a peak holds back the three granules that sound in its output block, with a one-step-per-granule ramp into it, then holds and releases one step every four granules")
    func granuleGainPlan() {
        // Decoded frame f is raw decoder output sample f + 576 + 529; granule g sounds in raw blocks g, g+1, g+2.
        var plan = GranuleGainPlan(baseSteps: 3, granules: 40, encoderDelay: 576)
        let ceiling: Float = 0.5
        // Frames 1775…1838 are raw samples 2880…2943: block 5, heard from granules 3, 4 and 5. As
        // recorded 0.42, after +3 steps (×1.68) 0.71: over by 3.0 dB, two steps (3.01 dB) to take back.
        plan.limit([LoudnessMeter.HotBlock(frame: 1775, frames: 64, peak: 0.42)], ceiling: ceiling)
        #expect(GranuleGainPlan.stepsOver(peak: 0.42 * Float(pow(2, 0.75)), ceiling: ceiling) == 2)
        // Ramp in (granule 2), the three granules, a hold of three, then one step every four.
        let expected = [0, 0, 1] + [2, 2, 2] + [2, 2, 2] + [1, 1, 1, 1] + Array(repeating: 0, count: 27)
        #expect(plan.reduction == expected, "\(plan.reduction)")
        #expect(plan.steps.prefix(7) == [3, 3, 2, 1, 1, 1, 1])
        #expect(plan.heldBack == 11 && plan.deepest == 2)
        // Still over in the edited file (0.55): one more step than the deepest there.
        plan.tighten([LoudnessMeter.HotBlock(frame: 1775, frames: 64, peak: 0.55)], ceiling: ceiling)
        #expect(plan.reduction.prefix(18) == [0, 1, 2, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0], "\(plan.reduction)")
        // A block at the very start (raw block 1 without a LAME tag: LAME's 576 assumed) maps to
        // granules 0…2: 1.19 against 0.5 is 7.5 dB, five steps.
        var start = GranuleGainPlan(baseSteps: 1, granules: 10, encoderDelay: nil)
        start.limit([LoudnessMeter.HotBlock(frame: 0, frames: 64, peak: 1)], ceiling: ceiling)
        #expect(start.reduction.prefix(8) == [5, 5, 5, 5, 5, 5, 4, 4], "\(start.reduction)")
    }

    @Test("a quiet desk return with a few loud peaks: the gain everywhere, held back granule by granule at the peaks; on target, under the ceiling, lossless away from them")
    func gainHeldBackAtPeaks() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try Self.plan(in: dir)
        // −20.2 LUFS with headroom (limited at −9 dBTP), then five 3 ms bursts at −1.5 dBTP, as a
        // presenter's plosives: +3 steps (4.5 dB) land on target but take the bursts over the ceiling.
        let bursts = [2.5, 6.0, 9.5, 13.0, 16.5]
        let rec = try Self.record(in: dir, plan: plan, name: "desk", loudness: -20.2, limit: -9, bursts: bursts)
        let result = try EpisodeFinisher(plan: plan).normalise(recording: rec.url, chapters: Self.chapters)
        print("[paths] desk return: MP3 \(result.inspection.loudness) LUFS \(result.inspection.truePeak) dBTP -> \(result.path); measure \(result.measureSeconds) s, write \(result.encodeSeconds) s")
        guard case let .gainChangedAtPeaks(steps, heldBack, granules, deepest) = result.path else {
            Issue.record("expected the gain held back at peaks, got \(result.path)")
            return
        }
        #expect(steps == 3)
        #expect(deepest >= 2 && deepest <= 4)
        #expect(heldBack > 0 && Double(heldBack) < 0.1 * Double(granules), "\(heldBack) of \(granules) granules")
        try Self.expectPublishable(result, frames: rec.frames)

        // Away from the bursts the output is the recording × 2^(3/4), exactly (no re-encoding);
        // at the bursts it is held back.
        let original = try decodeWithFFmpeg(rec.url)
        let changed = try decodeWithFFmpeg(result.url)
        #expect(changed.count == original.count)
        let factor = Float(pow(2, 0.75))
        var worstAway: Float = 0, heldAtBursts = 0
        for i in stride(from: 0, to: min(original.count, changed.count), by: 2) {
            let second = Double(i / 2) / Double(Self.rate)
            let distance = bursts.map { abs($0 - second) }.min()!
            let difference = abs(changed[i] - factor * original[i])
            if distance > 0.4 { worstAway = max(worstAway, difference) }
            else if distance < 0.002 && abs(changed[i]) < 0.9 * factor * abs(original[i]) { heldAtBursts += 1 }
        }
        #expect(worstAway <= 2e-6, "lossless away from the peaks: \(worstAway)")
        #expect(heldAtBursts > 100, "held back at the bursts")
        let lame = try #require(pythonJSON(lameTagCheck, [result.url.path], interpreter: systemPython) as? [String: Any])
        #expect(lame["mp3gain"] as? Int == 3)
        #expect(lame["music_crc"] as? Int == lame["computed_music_crc"] as? Int)
        #expect(try Self.streamEncoder(result.url)?.hasPrefix("LAME") == true)

        // Dense peaks (every 200 ms) would need holding back nearly everywhere: re-encoded instead.
        let dense = try Self.record(in: dir, plan: plan, name: "dense", loudness: -20.2, limit: -9,
                                    bursts: stride(from: 0.1, to: Double(Self.seconds) - 0.1, by: 0.2).map { $0 })
        let reencoded = try EpisodeFinisher(plan: plan).normalise(recording: dense.url, chapters: Self.chapters)
        print("[paths] dense peaks: MP3 \(reencoded.inspection.loudness) LUFS \(reencoded.inspection.truePeak) dBTP -> \(reencoded.path), gain \(reencoded.gainDecibels) (codec \(reencoded.codecCompensation)); out \(try ffmpegLoudness(reencoded.url)), ours \(try LoudnessMeter.measureFile(path: reencoded.url.path).integrated)")
        guard case let .reencoded(reason) = reencoded.path else {
            Issue.record("dense peaks must be re-encoded, got \(reencoded.path)")
            return
        }
        #expect(reason.contains("nor did holding back at peaks"), "\(reason)")
        try Self.expectPublishable(reencoded, frames: dense.frames)
    }

    @Test("the editor walks only MPEG-1 Layer III: a 22.05 kHz (MPEG-2) stream is refused")
    func mpeg2Refused() throws {
        let enc = try MP3Encoder(sampleRate: 22050, channels: 2, bitrateKbps: 64)
        var bytes = try enc.encode(left: [Float](repeating: 0.1, count: 22050), right: [Float](repeating: 0.1, count: 22050))
        bytes += try enc.flush()
        #expect(throws: MP3GainError.unsupported(frameOffset: 0, why: "MPEG-2 or 2.5 (low sample rates)")) {
            try MP3GainEditor(audio: bytes)
        }
    }
}
