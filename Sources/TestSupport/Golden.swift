import Foundation
import Testing

/// Reference buffers stored as raw little-endian Float32 (`.f32`) files in a test target's
/// `Golden/` folder.
///
/// To regenerate after an intended change in the signal path, run
///     REGIE_REGENERATE_GOLDEN=1 swift test --filter <Suite>
/// then review the new files (e.g. `python3 -c "import array; a=array.array('f');
/// a.frombytes(open('Tests/DSPTests/Golden/NAME.f32','rb').read()); print(list(a))"`) and commit.
/// On a mismatch the test writes `Golden/<name>.actual.f32` next to the golden file (ignored by git).
package struct Golden: Sendable {
    /// The folder of the golden files.
    package let directory: URL

    /// The `Golden/` folder beside the calling test file.
    package init(beside file: StaticString = #filePath) {
        directory = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Golden")
    }

    /// Reads a `.f32` file.
    package static func read(_ url: URL) -> [Float]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// Writes a `.f32` file.
    package static func write(_ samples: [Float], to url: URL) throws {
        var data = Data(capacity: samples.count * 4)
        for s in samples { withUnsafeBytes(of: s.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: url)
    }

    /// Compares `actual` with `Golden/<name>.f32` within `tolerance` (absolute, per sample).
    package func check(_ name: String, _ actual: [Float], tolerance: Float = 1e-6,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let goldenURL = directory.appendingPathComponent("\(name).f32")
        let actualURL = directory.appendingPathComponent("\(name).actual.f32")
        if ProcessInfo.processInfo.environment["REGIE_REGENERATE_GOLDEN"] == "1" {
            try Self.write(actual, to: goldenURL)
        }
        guard let golden = Self.read(goldenURL) else {
            try Self.write(actual, to: actualURL)
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
            try Self.write(actual, to: actualURL)
            let detail = firstBad.map { "first difference at sample \($0): golden \(golden[$0]), actual \(actual[$0])" }
                ?? "length golden \(golden.count), actual \(actual.count)"
            Issue.record("\(name) differs from its golden buffer (\(detail)); wrote \(actualURL.path)", sourceLocation: sourceLocation)
        } else {
            try? FileManager.default.removeItem(at: actualURL)
        }
    }
}
