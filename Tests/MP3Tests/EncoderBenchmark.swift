import Foundation
import MP3
import Testing
import TestSupport

/// Encoding speed against the `lame` command on the same 10-minute WAV. Prints figures, asserts
/// only that both produced a decodable file of the right length (no timing assertions).
/// Slow (~1 min on 2 cores): runs only with `REGIE_BENCH=1`.
@Suite("Encoder benchmark", .enabled(if: ProcessInfo.processInfo.environment["REGIE_BENCH"] == "1"))
struct EncoderBenchmark {
    @Test("MP3FileWriter vs lame -q 2 -b 128 on a 10-minute WAV")
    func versusLameCommand() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 44100, seconds = 600
        let wav = dir.appendingPathComponent("bench.wav")
        // Pink noise plus a tone: broadband, so the psychoacoustic model has work to do.
        #expect(try run("sox", ["-n", "-r", "\(rate)", "-c", "2", "-b", "16", wav.path, "synth", "\(seconds)",
                                "pinknoise", "sine", "440", "vol", "0.4"]).status == 0)
        // The same samples as Float32, decoded before timing (reading the WAV is not encoding).
        let raw = dir.appendingPathComponent("bench.f32")
        #expect(try run("sox", [wav.path, "-e", "floating-point", "-b", "32", "-t", "raw", raw.path]).status == 0)
        let samples: [Float] = try Data(contentsOf: raw).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(samples.count == 2 * rate * seconds)

        let clock = ContinuousClock()
        let ours = dir.appendingPathComponent("ours.mp3")
        let tOurs = try clock.measure {
            let w = try MP3FileWriter(url: ours, mode: .atomic, sampleRate: rate, bitrateKbps: 128, quality: 2,
                                      tag: ID3v2Tag())
            try writeBlocks(w, samples, block: 4096)
            try w.finish()
        }
        var cli: [(String, Duration)] = []
        for extra in [[], ["--noreplaygain"]] {
            let out = dir.appendingPathComponent("lame\(extra.count).mp3")
            let t = try clock.measure {
                let r = try run("lame", ["--quiet", "-q", "2", "-b", "128"] + extra + [wav.path, out.path])
                #expect(r.status == 0, "lame: \(r.stderr)")
            }
            cli.append((extra.joined(), t))
            #expect(try ffprobeDecodedFrames(out) == rate * seconds)
        }
        #expect(try ffprobeDecodedFrames(ours) == rate * seconds)

        func secs(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        print("""
        [bench] 10 min stereo 44.1 kHz, 128 kb/s CBR, -q 2
        [bench] MP3FileWriter: \(String(format: "%.2f", secs(tOurs))) s (\(String(format: "%.1f", Double(seconds) / secs(tOurs)))x real time)
        [bench] lame CLI: \(String(format: "%.2f", secs(cli[0].1))) s -> ratio CLI/ours \(String(format: "%.2f", secs(cli[0].1) / secs(tOurs)))
        [bench] lame CLI --noreplaygain: \(String(format: "%.2f", secs(cli[1].1))) s -> ratio \(String(format: "%.2f", secs(cli[1].1) / secs(tOurs)))
        """)
    }
}
