// Running real programs from the tests (sox, ffmpeg, curl, podcast clients, Python parsers, the
// built `regie`): the one runner every test target uses. Never mocks.
import Foundation

/// What a finished program left behind.
package struct ProcessResult: Sendable {
    /// Exit status (or the signal number if it was killed).
    package var status: Int32
    /// Everything it wrote to standard output.
    package var stdoutData: Data
    /// Everything it wrote to standard error.
    package var stderrData: Data
    /// Standard output as UTF-8 text.
    package var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    package var stderr: String { String(decoding: stderrData, as: UTF8.self) }
}

/// A program that exited with a non-zero status (tests that `try` it fail with its output).
package struct CommandFailure: Error, Sendable, CustomStringConvertible {
    /// The command line.
    package var command: String
    /// What it left behind.
    package var result: ProcessResult
    /// The command, its status and its output.
    package var description: String { "\(command) exited \(result.status)\n\(result.stdout)\n\(result.stderr)" }
}

/// Runs `executable` (an absolute path, or a name looked up in PATH) with `arguments` to its end,
/// in `directory`, with extra `environment` and optional standard input, and captures both
/// outputs (read concurrently, so a chatty program cannot fill a pipe and stall).
@discardableResult
package func run(_ executable: String, _ arguments: [String] = [], in directory: URL? = nil,
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
    return ProcessResult(status: process.terminationStatus, stdoutData: outputData, stderrData: errorData.value)
}

/// `run`, throwing `CommandFailure` (with the output) unless the program exits 0.
@discardableResult
package func runChecked(_ executable: String, _ arguments: [String] = [], in directory: URL? = nil,
                       environment: [String: String] = [:], input: Data? = nil) throws -> ProcessResult {
    let result = try run(executable, arguments, in: directory, environment: environment, input: input)
    guard result.status == 0 else {
        throw CommandFailure(command: ([executable] + arguments).joined(separator: " "), result: result)
    }
    return result
}

/// Runs a Python 3 snippet (`args` become `sys.argv[1...]`) and throws unless it exits 0.
/// `interpreter` is `python3` from PATH (the PyPI parsers), or `/usr/bin/python3` for Debian's
/// own modules (python3-mutagen).
@discardableResult
package func python(_ code: String, _ args: [String] = [], interpreter: String = "python3") throws -> ProcessResult {
    try runChecked(interpreter, ["-c", code] + args)
}

/// Debian's Python, where python3-mutagen lives.
package let systemPython = FileManager.default.fileExists(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

/// Runs a Python snippet and decodes its standard output as JSON.
package func pythonJSON(_ code: String, _ args: [String] = [], interpreter: String = "python3") throws -> Any {
    try JSONSerialization.jsonObject(with: python(code, args, interpreter: interpreter).stdoutData)
}

/// A value shared with a background closure (tests only).
package final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    /// A box holding `value`.
    package init(_ value: Value) { stored = value }
    /// The value, read or written under the lock.
    package var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); defer { lock.unlock() }; stored = newValue }
    }
}
