// Running external programs from tests (PodcastTests, ServerTests): real tools, never mocks.
import Foundation

/// What a finished external command left behind.
public struct RunResult: Sendable {
    /// Exit status (or the signal number if it was killed).
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: Data
    /// Everything it wrote to standard error.
    public var stderr: Data
    /// Standard output as UTF-8 text.
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    public var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `arguments[0]` (looked up in PATH) with the rest as arguments, optional stdin text and
/// extra environment, and waits for it. Output is drained while it runs so big outputs cannot block.
@discardableResult
public func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
         cwd: URL? = nil) throws -> RunResult {
    precondition(!arguments.isEmpty, "run needs a command")
    let result = try TestSupport.run(arguments[0], Array(arguments.dropFirst()), in: cwd, environment: environment,
                                     input: stdin.map { Data($0.utf8) })
    return RunResult(status: result.status, stdout: result.stdoutData, stderr: Data(result.stderr.utf8))
}

/// A command that exited with a non-zero status (tests that `try` it fail with its output).
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    /// The command line.
    public var command: String
    /// What it left behind.
    public var result: RunResult
    /// The command, its status and its output.
    public var description: String { "\(command) exited \(result.status)\n\(result.out)\n\(result.err)" }
}

/// Runs a command and throws `CommandFailure` (with its output) unless it exits 0.
@discardableResult
public func runChecked(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                       cwd: URL? = nil) throws -> RunResult {
    let r = try run(arguments, stdin: stdin, environment: environment, cwd: cwd)
    guard r.status == 0 else { throw CommandFailure(command: arguments.joined(separator: " "), result: r) }
    return r
}

/// Runs a Python 3 snippet; `args` become `sys.argv[1...]`; throws unless it exits 0.
@discardableResult
public func python(_ code: String, _ args: [String] = []) throws -> RunResult {
    try runChecked(["python3", "-c", code] + args)
}

/// A fresh temporary directory, removed by `cleanup()`.
public struct TempDir: Sendable {
    /// Its location.
    public let url: URL
    /// A new directory named `<prefix>-<uuid>` in the temporary folder.
    public init(_ prefix: String = "regie-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    /// Removes the directory and everything in it.
    public func cleanup() { try? FileManager.default.removeItem(at: url) }
}
