import Foundation

/// A new empty folder under the system's temporary folder: the one scratch folder of the tests.
package struct TempDir: Sendable {
    /// Its location.
    package let url: URL

    /// A new folder named `<prefix>-<random>` (letters and digits of `prefix` only).
    package init(_ prefix: String = "regie-test") throws {
        let safe = prefix.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder.
    package func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Removes the folder and everything in it.
    package func cleanup() { try? FileManager.default.removeItem(at: url) }
}
