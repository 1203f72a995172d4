import CSndFile
import Foundation
import Testing

/// A temporary directory removed when the value goes away.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("regie-audioio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs a tool, returning its standard error (ffmpeg and sox report there); fails on non-zero exit.
@discardableResult
func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus != 0 {
        throw ToolError(message: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
    }
    return text
}

struct ToolError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// sox with its arguments.
@discardableResult
func sox(_ arguments: String...) throws -> String { try run("/usr/bin/sox", arguments) }

/// Reads a raw little-endian file of `T` values.
func readRaw<T: BitwiseCopyable>(_ path: String, as: T.Type) throws -> [T] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { raw in
        (0..<(raw.count / MemoryLayout<T>.size)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
    }
}

/// Writes raw values to a file.
func writeRaw<T: BitwiseCopyable>(_ values: [T], to path: String) throws {
    let data = values.withUnsafeBytes { Data($0) }
    try data.write(to: URL(fileURLWithPath: path))
}

/// Writes an interleaved stereo 32-bit float WAV with libsndfile.
func writeFloatWAV(_ samples: [Float], sampleRate: Int, to path: String) throws {
    var info = SF_INFO()
    info.samplerate = Int32(sampleRate)
    info.channels = 2
    info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
    guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
        throw ToolError(message: "cannot write \(path): \(String(cString: sf_strerror(nil)))")
    }
    defer { sf_close(file) }
    let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(samples.count / 2)) }
    if written != samples.count / 2 { throw ToolError(message: "short write to \(path)") }
}

/// ffmpeg's ebur128 summary for a file: integrated loudness (LUFS) and true peak (dBTP).
func ffmpegLoudness(_ path: String) throws -> (integrated: Double, truePeak: Double) {
    let text = try run("/usr/bin/ffmpeg", ["-hide_banner", "-nostats", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"])
    let summary = text.components(separatedBy: "Summary:").last ?? ""
    func number(after label: String, in block: String) -> Double? {
        guard let line = block.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else { return nil }
        return line.split(separator: " ").compactMap { Double($0) }.first
    }
    guard let i = number(after: "I:", in: summary),
          let peakBlock = summary.components(separatedBy: "True peak:").last,
          let p = number(after: "Peak:", in: peakBlock)
    else { throw ToolError(message: "cannot parse ffmpeg summary: \(summary)") }
    return (i, p)
}
