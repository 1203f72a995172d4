import CSndFile
import Foundation
import TestSupport

/// sox with its arguments; fails on a non-zero exit.
@discardableResult
func sox(_ arguments: String...) throws -> String { try runChecked("sox", arguments).stderr }

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
        throw ToolOutputError(message: "cannot write \(path): \(String(cString: sf_strerror(nil)))")
    }
    defer { sf_close(file) }
    let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(samples.count / 2)) }
    if written != samples.count / 2 { throw ToolOutputError(message: "short write to \(path)") }
}

/// ffmpeg's ebur128 reading of a file at `path`.
func ffmpegLoudness(_ path: String) throws -> (integrated: Double, truePeak: Double) {
    try ffmpegLoudness(URL(fileURLWithPath: path), rawStereoFloatRate: nil)
}
