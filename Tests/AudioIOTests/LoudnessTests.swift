import AudioIO
import Foundation
import Testing
import TestSupport

@Suite struct LoudnessTests {
    /// libebur128 through `LoudnessMeter.measureFile` agrees with ffmpeg's ebur128 filter on
    /// sox-generated stereo material within 0.2 LU (integrated) and 0.3 dB (true peak).
    @Test(arguments: [
        ["synth", "8", "pinknoise", "gain", "-18"],
        ["synth", "6", "sine", "997", "sine", "1500", "gain", "-9"],
        ["synth", "10", "brownnoise", "tremolo", "3", "60", "gain", "-5"],
    ])
    func matchesFFmpeg(effects: [String]) throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("material.wav")
        // -R: repeatable noise (a fixed seed), so the comparison is the same on every run.
        try run("/usr/bin/sox", ["-R", "-n", "-r", "48000", "-c", "2", "-b", "24", path] + effects)
        let ours = try LoudnessMeter.measureFile(path: path)
        let theirs = try ffmpegLoudness(path)
        #expect(abs(ours.integrated - theirs.integrated) <= 0.2, "ours \(ours.integrated) LUFS, ffmpeg \(theirs.integrated) LUFS")
        #expect(abs(ours.truePeak - theirs.truePeak) <= 0.3, "ours \(ours.truePeak) dBTP, ffmpeg \(theirs.truePeak) dBTP")
        #expect(ours.integrated < -5 && ours.integrated > -40)
    }

    /// Calibration per BS.1770: a 997 Hz sine at −6.02 dBFS in both channels reads −6.02 LUFS
    /// (a full-scale sine in both channels is 0 LUFS); momentary, short-term and true peak agree.
    @Test func fullScaleSineCalibration() {
        let rate = 48000
        let meter = LoudnessMeter(sampleRate: rate)
        let frames = rate * 5
        var samples = [Float](repeating: 0, count: frames * 2)
        for f in 0..<frames {
            let s = Float(sin(2 * Double.pi * 997 * Double(f) / Double(rate)))
            samples[2 * f] = s * 0.5
            samples[2 * f + 1] = s * 0.5
        }
        samples.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: frames) }
        // −6.02 dB per channel, both channels: −6.02 LUFS.
        #expect(abs(meter.integrated + 6.02) < 0.1)
        #expect(abs(meter.momentary + 6.02) < 0.1)
        #expect(abs(meter.shortTerm + 6.02) < 0.1)
        #expect(abs(meter.truePeak + 6.02) < 0.1)
    }

    /// The analysis measures sources' true peaks with `TruePeakMeter` (8×, the limiter's filters)
    /// instead of libebur128's true-peak mode, which costs several times more: on the real
    /// programme material in the repository (the demo show's music and speech, the station's
    /// jingles and beds, the test corpus) both read within 0.1 dB, and the integrated loudness of
    /// the one-pass measurement is libebur128's own.
    @Test func interpolatedTruePeakAgreesWithLibebur128() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folders = ["shows/campus-magazine/audio", "jingles", "Tests/RegieCLITests/Corpus/radio/jingles",
                       "Tests/RegieCLITests/Corpus/radio/shows/demo/audio"]
        var measured = 0
        for folder in folders {
            let directory = root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where ["wav", "flac", "ogg"].contains((name as NSString).pathExtension) && !name.hasPrefix("corrupt") && !name.hasPrefix("empty") {
                let path = directory.appendingPathComponent(name).path
                let reference = try LoudnessMeter.measureFile(path: path)
                let onePass = try LoudnessMeter.measureFile(path: path, truePeakMethod: .interpolated)
                #expect(abs(onePass.truePeak - reference.truePeak) <= 0.1, "\(folder)/\(name): \(onePass.truePeak) vs libebur128 \(reference.truePeak) dBTP")
                #expect(onePass.integrated == reference.integrated, "\(folder)/\(name)")
                #expect(try LoudnessMeter.interpolatedTruePeak(path: path) == onePass.truePeak, "\(folder)/\(name)")
                measured += 1
            }
        }
        #expect(measured >= 15, "found \(measured) files")
    }

    /// A long file is measured in two halves on two threads: the true peak is exactly that of one
    /// pass even when the loudest intersample peak straddles the cut (the second half's meter is
    /// primed with the frames before it), and the pooled integrated loudness is within 0.02 LU of
    /// one pass (only the 400 ms blocks across the cut differ). Shorter files stay in one part.
    @Test func longFilesAreMeasuredInTwoPartsAsIfInOne() throws {
        let rate = 48_000
        let frames = 150 * rate
        #expect(LoudnessMeter.parts(frames: Int64(frames), maximum: 2) == 2)
        #expect(LoudnessMeter.parts(frames: LoudnessMeter.minimumPartFrames * 2 - 1, maximum: 2) == 1)
        #expect(LoudnessMeter.parts(frames: Int64(frames), maximum: 1) == 1)
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("long.wav")
        let writer = try AudioFileWriter(path: path, sampleRate: rate, encoding: .wav16)
        var samples = [Float](repeating: 0, count: frames * 2)
        var seed: UInt32 = 12345
        for f in 0..<frames {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let noise = Float(Int32(bitPattern: seed)) / Float(Int32.max) * 0.05
            // Louder in the second half, so the halves' gating blocks matter.
            let level: Float = f < frames / 2 ? 1 : 3
            samples[2 * f] = noise * level
            samples[2 * f + 1] = -noise * level
        }
        // The loudest intersample peak sits right at the cut: full-scale samples of alternating sign.
        let cut = frames / 2
        for f in (cut - 3)...(cut + 2) {
            let sign: Float = (f - cut) % 2 == 0 ? 1 : -1
            samples[2 * f] = 0.95 * sign
            samples[2 * f + 1] = 0.95 * sign
        }
        try samples.withUnsafeBufferPointer { try writer.write(interleaved: $0.baseAddress!, frames: frames) }
        writer.close()
        let halves = try LoudnessMeter.measure(path: path, integrated: true, truePeak: .interpolated)
        let whole = try LoudnessMeter.measure(path: path, integrated: true, truePeak: .interpolated, maximumParts: 1)
        #expect(halves.info.frames == Int64(frames))
        #expect(halves.truePeak == whole.truePeak, "halves \(halves.truePeak) dBTP, one pass \(whole.truePeak) dBTP")
        #expect(whole.truePeak > 0, "the alternating full-scale samples overshoot: \(whole.truePeak) dBTP")
        #expect(abs(halves.integrated - whole.integrated) <= 0.02, "halves \(halves.integrated), one pass \(whole.integrated) LUFS")
        #expect(whole.integrated > -40 && whole.integrated < -10)
    }
}
