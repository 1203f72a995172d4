import AudioIO
import Foundation
import Testing
import TestSupport

@Suite struct AudioFileTests {
    @Test func probeAndDecodeSixteenBitWAVBitExact() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let wav = dir.path("tone.wav")
        let raw = dir.path("tone.raw")
        try sox("-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", "1", "sine", "440", "sine", "660", "gain", "-3")
        try sox(wav, "-t", "raw", "-e", "signed", "-b", "16", "-L", raw)
        let info = try AudioFile.probe(path: wav)
        #expect(info.frames == 44100)
        #expect(info.sampleRate == 44100)
        #expect(info.channels == 2)
        #expect(info.formatDescription.contains("WAV"))
        #expect(info.formatDescription.contains("16 bit"))

        let decoder = try SndFileDecoder(path: wav)
        var shorts = [Int16](repeating: 0, count: 44100 * 2 + 20)
        var got = 0
        shorts.withUnsafeMutableBufferPointer { b in
            while true {
                let n = decoder.readShorts(into: b.baseAddress! + got * 2, frames: min(1000, 44110 - got))
                if n == 0 { break }
                got += n
            }
        }
        #expect(got == 44100)
        let expected = try readRaw(raw, as: Int16.self)
        #expect(Array(shorts.prefix(got * 2)) == expected)
    }

    @Test func monoFLACIsDuplicatedToBothChannels() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let flac = dir.path("mono.flac")
        let raw = dir.path("mono.raw")
        try sox("-n", "-r", "48000", "-c", "1", "-b", "16", flac, "synth", "0.5", "sine", "1000")
        try sox(flac, "-t", "raw", "-e", "signed", "-b", "16", "-L", raw)
        let decoder = try SndFileDecoder(path: flac)
        #expect(decoder.info.frames == 24000)
        #expect(decoder.info.channels == 1)
        #expect(decoder.info.formatDescription.contains("FLAC"))
        var floats = [Float](repeating: 0, count: 24000 * 2)
        let n = floats.withUnsafeMutableBufferPointer { decoder.read(into: $0.baseAddress!, frames: 24000) }
        #expect(n == 24000)
        let mono = try readRaw(raw, as: Int16.self)
        var mismatches = 0
        for f in 0..<24000 where floats[2 * f] != floats[2 * f + 1] || floats[2 * f] != Float(mono[f]) / 32768 {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }

    @Test func oggVorbisFrameCountAndSeek() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let ogg = dir.path("music.ogg")
        try sox("-n", "-r", "44100", "-c", "2", ogg, "synth", "2.5", "pinknoise", "gain", "-10")
        let info = try AudioFile.probe(path: ogg)
        #expect(info.frames == 110250)
        #expect(info.formatDescription.contains("OGG"))
        let decoder = try SndFileDecoder(path: ogg)
        try decoder.seek(toFrame: 100000)
        #expect(decoder.position == 100000)
        var floats = [Float](repeating: 0, count: 20000 * 2)
        let n = floats.withUnsafeMutableBufferPointer { decoder.read(into: $0.baseAddress!, frames: 20000) }
        #expect(n == 10250)
        #expect(floats.prefix(n * 2).contains { $0 != 0 })
    }

    /// LAME-encoded jingles decode gaplessly: libsndfile (mpg123) honours the LAME tag, so the
    /// frame count is the source's, and the decoded audio matches the source closely.
    @Test func mp3DecodesGaplessly() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let wav = dir.path("jingle.wav")
        let mp3 = dir.path("jingle.mp3")
        try sox("-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", "1.5", "sine", "440", "gain", "-6")
        try run("/usr/bin/lame", ["--quiet", "-b", "192", wav, mp3])
        let info = try AudioFile.probe(path: mp3)
        #expect(info.frames == 66150)
        #expect(info.formatDescription.contains("MPEG"))
        let source = try SndFileDecoder(path: wav)
        let decoded = try SndFileDecoder(path: mp3)
        var a = [Float](repeating: 0, count: 66150 * 2), b = a
        let na = a.withUnsafeMutableBufferPointer { source.read(into: $0.baseAddress!, frames: 66150) }
        let nb = b.withUnsafeMutableBufferPointer { decoded.read(into: $0.baseAddress!, frames: 66150) }
        #expect(na == 66150 && nb == 66150)
        // Aligned (no encoder delay left): the error is far below the signal (~-6 dBFS sine).
        var errorPower = 0.0, signalPower = 0.0
        for i in 0..<a.count { errorPower += Double((a[i] - b[i]) * (a[i] - b[i])); signalPower += Double(a[i] * a[i]) }
        #expect(10 * log10(errorPower / signalPower) < -30)
    }

    @Test func sixChannelFileYieldsFirstTwo() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let wav = dir.path("six.wav")
        // Channel c holds the constant (c+1)·4096.
        let raw = (0..<800).flatMap { _ in (0..<6).map { Int16(($0 + 1) * 4096) } }
        let rawPath = dir.path("six.raw")
        try writeRaw(raw, to: rawPath)
        try sox("-t", "raw", "-r", "8000", "-c", "6", "-e", "signed", "-b", "16", "-L", rawPath, wav)
        let decoder = try SndFileDecoder(path: wav)
        #expect(decoder.info.channels == 6)
        var shorts = [Int16](repeating: 0, count: 800 * 2)
        let n = shorts.withUnsafeMutableBufferPointer { decoder.readShorts(into: $0.baseAddress!, frames: 800) }
        #expect(n == 800)
        #expect(shorts.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0 ? 4096 : 8192) })
    }

    @Test func probeErrors() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let missing = dir.path("missing.wav")
        #expect(throws: AudioFileError.notFound(missing)) { try AudioFile.probe(path: missing) }

        let corrupt = dir.path("corrupt.wav")
        try Data((0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).write(to: URL(fileURLWithPath: corrupt))
        do {
            _ = try AudioFile.probe(path: corrupt)
            Issue.record("a corrupt file probed successfully")
        } catch {
            guard case .unreadable(let path, let reason) = error else { Issue.record("expected .unreadable, got \(error)"); return }
            #expect(path == corrupt)
            #expect(!reason.isEmpty)
            #expect(error.description.contains("cannot be read"))
        }

        let zeroBytes = dir.path("zero.wav")
        #expect(FileManager.default.createFile(atPath: zeroBytes, contents: Data()))
        #expect(throws: AudioFileError.empty(zeroBytes)) { try AudioFile.probe(path: zeroBytes) }

        let noFrames = dir.path("noframes.wav")
        try sox("-n", "-r", "44100", "-c", "2", "-b", "16", noFrames, "trim", "0", "0")
        #expect(throws: AudioFileError.empty(noFrames)) { try AudioFile.probe(path: noFrames) }
        #expect(AudioFileError.empty(noFrames).description == "Audio file \(noFrames) contains no audio.")
    }
}
