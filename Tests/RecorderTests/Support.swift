import Foundation
import Recorder
import Testing
import TestSupport

/// Result of running an external tool.
struct ToolOutput {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `tool` (looked up in PATH, or an absolute path) and collects its output.
func run(_ tool: String, _ args: [String]) throws -> ToolOutput {
    let result = try TestSupport.run(tool, args)
    return ToolOutput(status: result.status, stdout: result.stdoutData, stderr: result.stderr)
}

/// A fresh temporary folder, removed by the caller with `cleanup`.
func makeTempDir(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("regie-recorder-\(safe)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Interleaved stereo Float32 from a sox synth expression, e.g. `["sine", "440"]`.
func soxTone(seconds: Double, rate: Int, in dir: URL, synth: [String] = ["sine", "440", "vol", "0.5"]) throws -> [Float] {
    let raw = dir.appendingPathComponent("tone-\(rate).f32")
    let r = try run("sox", ["-n", "-r", "\(rate)", "-c", "2", "-e", "floating-point", "-b", "32",
                            "-t", "raw", raw.path, "synth", "\(seconds)"] + synth)
    #expect(r.status == 0, "sox failed: \(r.stderr)")
    let data = try Data(contentsOf: raw)
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

/// A stereo tone computed here (exact length), interleaved.
func sineInterleaved(frames: Int, rate: Int, hz: Double = 440) -> [Float] {
    var out = [Float](repeating: 0, count: 2 * frames)
    for i in 0..<frames {
        let v = Float(0.5 * sin(2 * Double.pi * hz * Double(i) / Double(rate)))
        out[2 * i] = v
        out[2 * i + 1] = v * 0.5
    }
    return out
}

/// Decodes an MP3 to interleaved stereo Float32 with ffmpeg (gapless: delay/padding removed).
func ffmpegDecode(_ url: URL) throws -> (samples: [Float], stderr: String) {
    let r = try run("ffmpeg", ["-nostdin", "-v", "error", "-i", url.path, "-f", "f32le", "-ac", "2", "-"])
    #expect(r.status == 0, "ffmpeg failed: \(r.stderr)")
    let samples = r.stdout.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return (samples, r.stderr)
}

/// Sum of `nb_samples` over the frames ffprobe decodes.
func ffprobeDecodedFrames(_ url: URL) throws -> Int {
    let r = try run("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "frame=nb_samples",
                                "-of", "csv=p=0", url.path])
    #expect(r.status == 0, "ffprobe failed: \(r.stderr)")
    return r.text.split(whereSeparator: \.isNewline).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        .reduce(0, +)
}

/// ffprobe's JSON for streams, format, chapters and packets.
func ffprobeJSON(_ url: URL, _ extra: [String] = []) throws -> [String: Any] {
    let r = try run("ffprobe", ["-v", "error", "-of", "json"] + extra + [url.path])
    #expect(r.status == 0, "ffprobe failed: \(r.stderr)")
    return try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any] ?? [:]
}

/// Runs a Python script with the system python (where python3-mutagen lives) and parses its JSON.
func python(_ script: String, _ args: [String]) throws -> Any {
    let py = FileManager.default.fileExists(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    let r = try run(py, ["-c", script] + args)
    #expect(r.status == 0, "python failed: \(r.stderr)")
    return try JSONSerialization.jsonObject(with: r.stdout)
}

/// Encodes interleaved stereo samples with a bare `MP3Encoder` (no ID3), writing the LAME tag over
/// the first frame as a file writer would.
func encodeRaw(_ interleaved: [Float], rate: Int, planar: Bool) throws -> [UInt8] {
    let enc = try MP3Encoder(sampleRate: rate, channels: 2, bitrateKbps: 128, quality: 2)
    let frames = interleaved.count / 2
    var out: [UInt8] = []
    if planar {
        let l = (0..<frames).map { interleaved[2 * $0] }
        let r = (0..<frames).map { interleaved[2 * $0 + 1] }
        out += try enc.encode(left: l, right: r)
    } else {
        try interleaved.withUnsafeBufferPointer {
            try enc.encode(interleaved: $0.baseAddress!, frames: frames) { out += $0 }
        }
    }
    out += try enc.flush()
    let tag = enc.lameTagFrame()
    #expect(!tag.isEmpty)
    out.replaceSubrange(0..<tag.count, with: tag)
    return out
}

/// Writes `samples` through an `MP3FileWriter` in blocks of `block` frames.
func writeBlocks(_ writer: MP3FileWriter, _ samples: [Float], block: Int = 4096) throws {
    let frames = samples.count / 2
    try samples.withUnsafeBufferPointer { buf in
        var done = 0
        while done < frames {
            let n = min(block, frames - done)
            try writer.write(interleaved: buf.baseAddress! + 2 * done, frames: n)
            done += n
        }
    }
}

/// Directory of the test binary (where SwiftPM also puts `recorder-crash-probe`).
func buildProductsDir() -> URL {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // On Linux the test bundle is a plain executable `RegiePackageTests.xctest` in the products dir.
    if url.pathExtension == "xctest" { url = url.deletingLastPathComponent() }
    return url
}
