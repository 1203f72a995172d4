// Audio made and read back by real tools: sox makes tones, ffmpeg and ffprobe decode and measure
// what Régie wrote (a third party's reading, not Régie's own).
import Foundation
import Testing

/// A tool's output could not be understood.
package struct ToolOutputError: Error, CustomStringConvertible {
    /// What went wrong.
    package var message: String
    package var description: String { message }
    package init(message: String) { self.message = message }
}

/// Decodes an audio file with ffmpeg to interleaved stereo Float32 at the file's rate (an MP3
/// gaplessly: LAME's delay and padding removed).
package func decodeWithFFmpeg(_ url: URL) throws -> [Float] {
    try decodeWithFFmpegReportingErrors(url).samples
}

/// `decodeWithFFmpeg`, with what ffmpeg reported about the stream (`-v error`: empty for a clean
/// file; a damaged frame or a bad header shows here).
package func decodeWithFFmpegReportingErrors(_ url: URL) throws -> (samples: [Float], errors: String) {
    var errors = ""
    let raw = try decodeWithFFmpegToFile(url, errors: &errors)
    defer { try? FileManager.default.removeItem(at: raw) }
    let data = try Data(contentsOf: raw)
    let count = data.count / MemoryLayout<Float>.size
    let samples = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        _ = data.withUnsafeBytes { memcpy(buffer.baseAddress!, $0.baseAddress!, count * MemoryLayout<Float>.size) }
        initialized = count
    }
    return (samples, errors)
}

/// Frames ffmpeg decodes from an audio file (stereo Float32 counted by size, without loading it).
package func decodedFrameCount(_ url: URL) throws -> Int {
    var errors = ""
    let raw = try decodeWithFFmpegToFile(url, errors: &errors)
    defer { try? FileManager.default.removeItem(at: raw) }
    let size = try FileManager.default.attributesOfItem(atPath: raw.path)[.size] as? NSNumber
    return (size?.intValue ?? 0) / 8
}

/// Decodes to a temporary raw file (piping 100 MB through Foundation is slow in debug builds).
private func decodeWithFFmpegToFile(_ url: URL, errors: inout String) throws -> URL {
    let raw = FileManager.default.temporaryDirectory.appendingPathComponent("regie-decoded-\(UUID().uuidString).f32")
    let result = try run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", url.path, "-f", "f32le", "-ac", "2", raw.path])
    guard result.status == 0 else { throw ToolOutputError(message: "ffmpeg cannot decode \(url.path): \(result.stderr)") }
    errors = result.stderr
    return raw
}

/// Sum of `nb_samples` over the frames ffprobe decodes.
package func ffprobeDecodedFrames(_ url: URL) throws -> Int {
    let r = try runChecked("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "frame=nb_samples",
                                       "-of", "csv=p=0", url.path])
    return r.stdout.split(whereSeparator: \.isNewline).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        .reduce(0, +)
}

/// ffprobe's JSON for streams, format, chapters and packets.
package func ffprobeJSON(_ url: URL, _ extra: [String] = []) throws -> [String: Any] {
    let r = try runChecked("ffprobe", ["-v", "error", "-of", "json"] + extra + [url.path])
    return try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any] ?? [:]
}

/// Integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's ebur128 filter reads them; a raw
/// file of interleaved stereo Float32 when `rawStereoFloatRate` gives its rate.
package func ffmpegLoudness(_ url: URL, rawStereoFloatRate: Int? = nil) throws -> (integrated: Double, truePeak: Double) {
    let input = rawStereoFloatRate.map { ["-f", "f32le", "-ar", "\($0)", "-ac", "2"] } ?? []
    let r = try runChecked("ffmpeg", ["-nostdin", "-hide_banner", "-nostats"] + input + ["-i", url.path, "-map", "0:a",
                                      "-af", "ebur128=peak=true", "-f", "null", "-"])
    let summary = r.stderr.components(separatedBy: "Summary:").last ?? ""
    guard let integrated = summary.firstMatch(of: /I:\s+(-?[0-9.]+|-inf) LUFS/).map({ Double($0.1) ?? -.infinity }),
          let peak = summary.components(separatedBy: "True peak:").last?
              .firstMatch(of: /Peak:\s+(-?[0-9.]+|-inf) dBFS/).map({ Double($0.1) ?? -.infinity }) else {
        throw ToolOutputError(message: "cannot read ffmpeg's ebur128 summary: \(summary)")
    }
    return (integrated, peak)
}

/// Interleaved stereo Float32 from a sox synth expression, e.g. `["sine", "440"]`.
package func soxTone(seconds: Double, rate: Int, in dir: URL, synth: [String] = ["sine", "440", "vol", "0.5"]) throws -> [Float] {
    let raw = dir.appendingPathComponent("tone-\(rate)-\(UUID().uuidString.prefix(6)).f32")
    defer { try? FileManager.default.removeItem(at: raw) }
    try runChecked("sox", ["-n", "-r", "\(rate)", "-c", "2", "-e", "floating-point", "-b", "32",
                           "-t", "raw", raw.path, "synth", "\(seconds)"] + synth)
    let data = try Data(contentsOf: raw)
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

/// A stereo tone computed here (exact length), interleaved; the right channel at half level.
package func sineInterleaved(frames: Int, rate: Int, hz: Double = 440) -> [Float] {
    var out = [Float](repeating: 0, count: 2 * frames)
    for i in 0..<frames {
        let v = Float(0.5 * sin(2 * Double.pi * hz * Double(i) / Double(rate)))
        out[2 * i] = v
        out[2 * i + 1] = v * 0.5
    }
    return out
}
