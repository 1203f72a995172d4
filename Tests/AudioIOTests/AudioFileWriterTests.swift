import AudioIO
import Foundation
import Testing
import TestSupport

@Suite struct AudioFileWriterTests {
    /// Float WAV round-trips bit-exact through our decoder, and ffprobe agrees on the stream.
    @Test func floatWAVRoundTripsExactly() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("render.wav")
        let frames = 12345
        let samples = (0..<(frames * 2)).map { i in Float(sin(Double(i) * 0.001)) * (i % 2 == 0 ? 1.2 : -0.4) }
        let writer = try AudioFileWriter(path: path, sampleRate: 48000, encoding: .wavFloat)
        try samples.withUnsafeBufferPointer { b in
            try writer.write(interleaved: b.baseAddress!, frames: 5000)
            try writer.write(interleaved: b.baseAddress! + 10000, frames: frames - 5000)
        }
        #expect(writer.framesWritten == Int64(frames))
        writer.close()

        let text = try ffprobeStream(path)
        #expect(text.contains("codec_name=pcm_f32le"))
        #expect(text.contains("sample_rate=48000"))
        #expect(text.contains("channels=2"))
        #expect(text.contains("duration_ts=\(frames)"))

        let decoder = try SndFileDecoder(path: path)
        var back = [Float](repeating: .nan, count: frames * 2)
        #expect(back.withUnsafeMutableBufferPointer { decoder.read(into: $0.baseAddress!, frames: frames) } == frames)
        #expect(back.map(\.bitPattern) == samples.map(\.bitPattern))
    }

    /// 16-bit FLAC clips out-of-range samples instead of wrapping, and rounds to the nearest step.
    @Test func flac16ClipsAndRounds() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("render.flac")
        let samples: [Float] = [0, 0, 0.5, -0.5, 1.5, -1.5, 0.25, -0.25]
        let writer = try AudioFileWriter(path: path, sampleRate: 44100, encoding: .flac16)
        try samples.withUnsafeBufferPointer { try writer.write(interleaved: $0.baseAddress!, frames: 4) }
        writer.close()
        #expect(try ffprobeStream(path).contains("codec_name=flac"))
        let decoder = try SndFileDecoder(path: path)
        var shorts = [Int16](repeating: 0, count: 8)
        #expect(shorts.withUnsafeMutableBufferPointer { decoder.readShorts(into: $0.baseAddress!, frames: 4) } == 4)
        #expect(shorts[0] == 0 && shorts[1] == 0)
        #expect(abs(Int(shorts[2]) - 16384) <= 1 && abs(Int(shorts[3]) + 16384) <= 1)
        #expect(shorts[4] == Int16.max && shorts[5] <= -32767)
    }

    @Test func unwritablePathIsReported() {
        let path = "/nonexistent-dir/render.wav"
        do {
            _ = try AudioFileWriter(path: path, sampleRate: 44100)
            Issue.record("writing into a missing directory succeeded")
        } catch {
            guard case .unwritable(let p, let reason) = error else { Issue.record("expected .unwritable, got \(error)"); return }
            #expect(p == path && !reason.isEmpty)
        }
    }
}

/// ffprobe's description of the first audio stream (key=value lines).
func ffprobeStream(_ path: String) throws -> String {
    try run("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries",
                        "stream=sample_rate,channels,codec_name,duration_ts", "-of", "default=noprint_wrappers=1", path]).stdout
}
