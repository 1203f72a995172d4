import Foundation

/// Where the tests find the repository and the built `regie`. (A library target rather than test code so every test target can use it.)
package enum TestSupport {
    /// The repository root (this file is `Sources/TestSupport/TestSupport.swift`).
    package static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding the test binary, which SwiftPM also builds `regie` into.
    package static var productsDirectory: URL {
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        var directory = executable.deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    /// The built `regie` executable.
    package static var regie: URL { productsDirectory.appendingPathComponent("regie") }

    /// Runs `regie` with arguments from the repository root (or `directory`).
    @discardableResult
    package static func regie(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        try run(regie.path, arguments, in: directory ?? repositoryRoot)
    }

    /// A free TCP port on loopback (asked of the kernel, then released).
    package static func freePort() throws -> Int {
        let result = try run("python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// True when a program is on the PATH.
    package static func hasProgram(_ name: String) -> Bool {
        (try? run("/usr/bin/which", [name]).status) == 0
    }
}

/// A show folder made for one test: show.yaml, artwork, audio files written from samples.
package struct TestShow {
    /// The folder that holds `shows/<name>/` and `jingles/`.
    package let root: URL
    /// `shows/<name>/`.
    package let directory: URL

    /// Creates `shows/<name>/show.yaml` (with `extra` YAML lines appended) under a new scratch folder.
    package init(name: String = "test-show", baseURL: String = "https://radio.example.org/podcasts/test/", extra: String = "") throws {
        root = try TempDir("regie-show").url
        directory = root.appendingPathComponent("shows/\(name)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("audio"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("jingles"), withIntermediateDirectories: true)
        let artwork = TestSupport.repositoryRoot.appendingPathComponent("shows/campus-magazine/artwork.png")
        try FileManager.default.copyItem(at: artwork, to: directory.appendingPathComponent("artwork.png"))
        try """
        title: Test Show & Friends
        description: A show made by a test.
        author: Régie tests
        language: en
        category: News
        explicit: false
        artwork: artwork.png
        link: https://radio.example.org/test
        base_url: \(baseURL)
        owner: {name: Test, email: test@example.org}
        \(extra)
        """.write(to: directory.appendingPathComponent("show.yaml"), atomically: true, encoding: .utf8)
    }

    /// Writes mono samples as an audio file (format from the extension: wav, flac, ogg) with sox.
    @discardableResult
    package func writeAudio(_ relativePath: String, samples: [Float], sampleRate: Int, channels: Int = 1) throws -> URL {
        let url = relativePath.hasPrefix("jingles/") ? root.appendingPathComponent(relativePath)
            : directory.appendingPathComponent(relativePath)
        let raw = url.deletingPathExtension().appendingPathExtension("f32")
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: raw)
        let result = try run("sox", ["-D", "-t", "f32", "-r", "\(sampleRate)", "-c", "\(channels)", raw.path,
                                                 "-b", "16", url.path])
        try? FileManager.default.removeItem(at: raw)
        guard result.status == 0 else { throw TestShowError.sox(result.stderr) }
        return url
    }

    /// Writes an episode rundown and returns its path.
    package func writeRundown(_ text: String, name: String = "2026-12-03.yaml") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    enum TestShowError: Error { case sox(String) }
}
