import Foundation
import MP3
import Testing
import TestSupport

/// Lag (in frames, within ±maxLag) where the decoded left channel best matches the input's.
private func bestLag(_ input: [Float], _ decoded: [Float], maxLag: Int = 40) -> Int {
    let frames = min(input.count, decoded.count) / 2
    let lo = maxLag, hi = frames - maxLag
    var best = (lag: 0, score: -Double.infinity)
    for lag in -maxLag...maxLag {
        var s = 0.0
        var i = lo
        while i < hi { s += Double(input[2 * i]) * Double(decoded[2 * (i + lag)]); i += 1 }
        if s > best.score { best = (lag, s) }
    }
    return best.lag
}

/// Signal-to-error ratio in dB between input and decoded output, both channels, sample by sample.
private func snr(_ input: [Float], _ decoded: [Float]) -> Double {
    var sig = 0.0, err = 0.0
    // Skip the first and last 2048 frames, where the codec's transient is largest.
    for i in 4096..<(min(input.count, decoded.count) - 4096) {
        sig += Double(input[i] * input[i])
        err += Double((input[i] - decoded[i]) * (input[i] - decoded[i]))
    }
    return 10 * log10(sig / max(err, 1e-30))
}

@Suite("MP3Encoder (real LAME, decoded by ffmpeg)")
struct MP3EncoderTests {
    @Test("decoded length equals input length to the frame", arguments: [44100, 48000], [1, 1152, 44100 * 3 + 17])
    func exactLength(rate: Int, frames: Int) throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = sineInterleaved(frames: frames, rate: rate)
        for planar in [false, true] {
            let url = dir.appendingPathComponent("x-\(planar).mp3")
            try Data(try encodeRaw(input, rate: rate, planar: planar)).write(to: url)
            let (decoded, err) = try decodeWithFFmpegReportingErrors(url)
            #expect(err.isEmpty, "ffmpeg complained: \(err)")
            #expect(decoded.count / 2 == frames, "ffmpeg decoded \(decoded.count / 2) frames, want \(frames) (\(rate) Hz, planar \(planar))")
            #expect(try ffprobeDecodedFrames(url) == frames)
        }
    }

    @Test("sox tone: samples line up (no gap), ffprobe sees 128 kb/s CBR with an Info/LAME tag", arguments: [44100, 48000])
    func soxToneRoundTrip(rate: Int) throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try soxTone(seconds: 5.3, rate: rate, in: dir)
        #expect(input.count == 2 * Int((5.3 * Double(rate)).rounded()))
        let bytes = try encodeRaw(input, rate: rate, planar: false)
        let url = dir.appendingPathComponent("tone.mp3")
        try Data(bytes).write(to: url)

        let decoded = try decodeWithFFmpeg(url)
        #expect(decoded.count == input.count)
        #expect(bestLag(input, decoded) == 0, "decoded audio is shifted against the input")
        let s = snr(input, decoded)
        #expect(s > 20, "SNR \(s) dB")

        let probe = try ffprobeJSON(url, ["-show_streams", "-show_format", "-show_packets"])
        let stream = try #require((probe["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec_name"] as? String == "mp3")
        #expect(stream["sample_rate"] as? String == "\(rate)")
        #expect(stream["channels"] as? Int == 2)
        #expect(stream["bit_rate"] as? String == "128000")
        // CBR: every packet is the same size, up to the one padding byte.
        let sizes = Set(((probe["packets"] as? [[String: Any]]) ?? []).compactMap { ($0["size"] as? String).flatMap(Int.init) })
        let frameBytes = 144 * 128_000 / rate
        #expect(sizes.isSubset(of: [frameBytes, frameBytes + 1]), "packet sizes \(sizes)")
        // The first frame is the CBR info tag ("Info", not the VBR "Xing") followed by LAME's.
        let head = Array(bytes.prefix(200))
        let ascii = String(decoding: head.map { (32...126).contains($0) ? $0 : 46 }, as: UTF8.self)
        #expect(ascii.contains("Info") && ascii.contains("LAME"), "first frame: \(ascii)")
    }

    @Test("mono encoder and channel-layout errors")
    func monoAndErrors() throws {
        let mono = try MP3Encoder(sampleRate: 44100, channels: 1, bitrateKbps: 64)
        var out = try mono.encode(left: [Float](repeating: 0.25, count: 10_000), right: nil)
        #expect(throws: MP3EncoderError.channelMismatch) {
            try [Float](repeating: 0, count: 2).withUnsafeBufferPointer {
                try mono.encode(interleaved: $0.baseAddress!, frames: 1) { _ in }
            }
        }
        out += try mono.flush()
        #expect(out.count > 0)
        #expect(throws: MP3EncoderError.alreadyFlushed) { _ = try mono.flush() }
        // Rates/bitrates MPEG cannot carry are refused, not silently changed.
        #expect(throws: MP3EncoderError.self) { _ = try MP3Encoder(sampleRate: 12345, bitrateKbps: 128) }
        #expect(throws: MP3EncoderError.self) { _ = try MP3Encoder(sampleRate: 44100, bitrateKbps: 130) }
    }
}
