import Foundation

/// Helpers shared by the test targets: running real programs, finding the built `regie`,
/// scratch folders. (A library target rather than test code so every test target can use it.)
public enum TestSupport {
    /// The repository root (this file is `Sources/TestSupport/TestSupport.swift`).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding the test binary, which SwiftPM also builds `regie` into.
    public static var productsDirectory: URL {
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        var directory = executable.deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    /// The built `regie` executable.
    public static var regie: URL { productsDirectory.appendingPathComponent("regie") }

    /// What a finished process said.
    public struct ProcessResult: Sendable {
        /// Exit status.
        public var status: Int32
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String
        /// Raw standard output.
        public var stdoutData: Data
    }

    /// Runs a program to its end and captures both outputs.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                           environment: [String: String] = [:], input: Data? = nil) throws -> ProcessResult {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(input)
            try? inputPipe.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a chatty program cannot fill one and stall.
        let errorData = LockedBox(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData.value = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                             stderr: String(decoding: errorData.value, as: UTF8.self), stdoutData: outputData)
    }

    /// Runs `regie` with arguments from the repository root (or `directory`).
    @discardableResult
    public static func regie(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        try run(regie.path, arguments, in: directory ?? repositoryRoot)
    }

    /// A new empty folder under the system's temporary folder.
    public static func scratchDirectory(_ name: String = "regie-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// True when a program is on the PATH.
    public static func hasProgram(_ name: String) -> Bool {
        (try? run("/usr/bin/which", [name]).status) == 0
    }
}

/// A value shared with a background closure (tests only).
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    /// A box holding `value`.
    public init(_ value: Value) { stored = value }
    /// The value, read or written under the lock.
    public var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); defer { lock.unlock() }; stored = newValue }
    }
}

/// A show folder made for one test: show.yaml, artwork, audio files written from samples.
public struct TestShow {
    /// The folder that holds `shows/<name>/` and `jingles/`.
    public let root: URL
    /// `shows/<name>/`.
    public let directory: URL

    /// Creates `shows/<name>/show.yaml` (with `extra` YAML lines appended) under a new scratch folder.
    public init(name: String = "test-show", extra: String = "") throws {
        root = try TestSupport.scratchDirectory("regie-show")
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
        base_url: https://radio.example.org/podcasts/test/
        owner: {name: Test, email: test@example.org}
        \(extra)
        """.write(to: directory.appendingPathComponent("show.yaml"), atomically: true, encoding: .utf8)
    }

    /// Writes mono samples as an audio file (format from the extension: wav, flac, ogg) with sox.
    @discardableResult
    public func writeAudio(_ relativePath: String, samples: [Float], sampleRate: Int, channels: Int = 1) throws -> URL {
        let url = relativePath.hasPrefix("jingles/") ? root.appendingPathComponent(relativePath)
            : directory.appendingPathComponent(relativePath)
        let raw = url.deletingPathExtension().appendingPathExtension("f32")
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: raw)
        let result = try TestSupport.run("sox", ["-D", "-t", "f32", "-r", "\(sampleRate)", "-c", "\(channels)", raw.path,
                                                 "-b", "16", url.path])
        try? FileManager.default.removeItem(at: raw)
        guard result.status == 0 else { throw TestShowError.sox(result.stderr) }
        return url
    }

    /// Writes an episode rundown and returns its path.
    public func writeRundown(_ text: String, name: String = "2026-12-03.yaml") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    enum TestShowError: Error { case sox(String) }
}

/// Decodes an audio file with ffmpeg to interleaved stereo Float32 at the file's rate.
public func decodeWithFFmpeg(_ url: URL) throws -> [Float] {
    let raw = try decodeWithFFmpegToFile(url)
    defer { try? FileManager.default.removeItem(at: raw) }
    let data = try Data(contentsOf: raw)
    let count = data.count / MemoryLayout<Float>.size
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        _ = data.withUnsafeBytes { memcpy(buffer.baseAddress!, $0.baseAddress!, count * MemoryLayout<Float>.size) }
        initialized = count
    }
}

/// Frames ffmpeg decodes from an audio file (stereo Float32 counted by size, without loading it).
public func decodedFrameCount(_ url: URL) throws -> Int {
    let raw = try decodeWithFFmpegToFile(url)
    defer { try? FileManager.default.removeItem(at: raw) }
    let size = try FileManager.default.attributesOfItem(atPath: raw.path)[.size] as? NSNumber
    return (size?.intValue ?? 0) / 8
}

/// Decodes to a temporary raw file (piping 100 MB through Foundation is slow in debug builds).
private func decodeWithFFmpegToFile(_ url: URL) throws -> URL {
    let raw = FileManager.default.temporaryDirectory.appendingPathComponent("regie-decoded-\(UUID().uuidString).f32")
    let result = try TestSupport.run("ffmpeg", ["-v", "error", "-y", "-i", url.path, "-f", "f32le", "-ac", "2", raw.path])
    guard result.status == 0 else { throw DecodeFailure(message: result.stderr) }
    return raw
}

/// ffmpeg could not decode a file.
public struct DecodeFailure: Error { public var message: String }
