import Foundation
import Testing

/// Reference buffers stored as raw little-endian Float32 (`.f32`) files in `Golden/`.
///
/// To regenerate after an intended change in DSP behaviour, run
///     REGIE_REGENERATE_GOLDEN=1 swift test --filter DSPTests
/// then review the new files (e.g. `python3 -c "import array; a=array.array('f');
/// a.frombytes(open('Tests/DSPTests/Golden/NAME.f32','rb').read()); print(list(a))"`) and commit.
/// On a mismatch the test writes `Golden/<name>.actual.f32` next to the golden file (ignored by git).
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func read(_ url: URL) -> [Float]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func write(_ samples: [Float], to url: URL) throws {
        var data = Data(capacity: samples.count * 4)
        for s in samples { withUnsafeBytes(of: s.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: url)
    }

    /// Compares `actual` with `Golden/<name>.f32` within `tolerance` (absolute, per sample).
    static func check(_ name: String, _ actual: [Float], tolerance: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let goldenURL = directory.appendingPathComponent("\(name).f32")
        let actualURL = directory.appendingPathComponent("\(name).actual.f32")
        if ProcessInfo.processInfo.environment["REGIE_REGENERATE_GOLDEN"] == "1" {
            try write(actual, to: goldenURL)
        }
        guard let golden = read(goldenURL) else {
            try write(actual, to: actualURL)
            Issue.record("missing golden file \(goldenURL.path); wrote \(actualURL.lastPathComponent)", sourceLocation: sourceLocation)
            return
        }
        var firstBad: Int? = nil
        if golden.count == actual.count {
            for i in 0..<golden.count where !(abs(golden[i] - actual[i]) <= tolerance) {
                firstBad = i
                break
            }
        }
        if golden.count != actual.count || firstBad != nil {
            try write(actual, to: actualURL)
            let detail = firstBad.map { "first difference at sample \($0): golden \(golden[$0]), actual \(actual[$0])" }
                ?? "length golden \(golden.count), actual \(actual.count)"
            Issue.record("\(name) differs from its golden buffer (\(detail)); wrote \(actualURL.path)", sourceLocation: sourceLocation)
        } else {
            try? FileManager.default.removeItem(at: actualURL)
        }
    }
}

/// Deterministic noise for property tests (SplitMix64).
struct Noise {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in −1…1.
    mutating func sample() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
}
