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
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    if let cwd { p.currentDirectoryURL = cwd }
    let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
    p.standardOutput = outPipe
    p.standardError = errPipe
    p.standardInput = inPipe
    try p.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently: a full stderr pipe must not block the child.
    let errBox = DataBox()
    let reader = Thread { errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while !errBox.done { usleep(1000) }
    return RunResult(status: p.terminationStatus, stdout: out, stderr: errBox.data)
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

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data = Data()
    private var _done = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }
    var done: Bool { lock.withLock { _done } }
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
