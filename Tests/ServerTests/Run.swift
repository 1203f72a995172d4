import Foundation
import Testing

/// What a finished external command left behind.
struct RunResult: Sendable {
    /// Exit status (or the signal number if it was killed).
    var status: Int32
    /// Everything it wrote to standard output.
    var stdout: Data
    /// Everything it wrote to standard error.
    var stderr: Data
    /// Standard output as UTF-8 text.
    var out: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `arguments[0]` (looked up in PATH) with the rest as arguments, optional stdin text and
/// extra environment, and waits for it. Output is drained while it runs so big outputs cannot block.
@discardableResult
func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
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

/// Runs a command and records an issue (with its output) unless it exits 0.
@discardableResult
func runChecked(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                cwd: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
    let r = try run(arguments, stdin: stdin, environment: environment, cwd: cwd)
    #expect(r.status == 0, "\(arguments.joined(separator: " ")) exited \(r.status)\n\(r.out)\n\(r.err)",
            sourceLocation: sourceLocation)
    return r
}

/// Runs a Python 3 snippet; `args` become `sys.argv[1...]`.
@discardableResult
func python(_ code: String, _ args: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
    try runChecked(["python3", "-c", code] + args, sourceLocation: sourceLocation)
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
struct TempDir {
    /// Its location.
    let url: URL
    init(_ prefix: String = "regie-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    /// Removes the directory and everything in it.
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}
