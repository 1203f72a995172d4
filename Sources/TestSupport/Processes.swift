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

/// A program running in the background while a test watches its output, signals it and waits
/// for it (`regie play` killed mid-show, a server, a crash probe); `run` is the same thing waited
/// for at once. Both outputs are drained as they come, so the program never blocks on a full pipe.
package final class RunningProgram: @unchecked Sendable {
    private let process = Process()
    private let output = LockedBox(Data())
    private let errors = LockedBox(Data())
    private let drained = DispatchGroup()

    /// Starts `executable` (an absolute path, or a name looked up in PATH) with `arguments`, in
    /// `directory`, with the test's environment plus `environment`, and `input` on standard input
    /// (nothing: /dev/null). Standard output goes to `outputFile` when given (a recorder writing
    /// minutes of audio), else it is collected.
    package init(_ executable: String, _ arguments: [String] = [], in directory: URL? = nil,
                 environment: [String: String] = [:], input: Data? = nil, outputFile: URL? = nil) throws {
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
        let out = Pipe(), err = Pipe(), inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        var file: FileHandle?
        if let outputFile {
            _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
            file = try FileHandle(forWritingTo: outputFile)
        }
        process.standardOutput = file ?? out
        process.standardError = err
        try process.run()
        try? file?.close()
        for (pipe, box) in file == nil ? [(out, output), (err, errors)] : [(err, errors)] {
            drained.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [drained] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    box.value.append(chunk)
                }
                drained.leave()
            }
        }
        if let input {
            let writer = inputPipe.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(input)
                try? writer.close()
            }
        }
    }

    /// The process id.
    package var pid: Int32 { process.processIdentifier }
    /// Standard output so far.
    package var stdout: String { String(decoding: output.value, as: UTF8.self) }
    /// Standard error so far.
    package var stderr: String { String(decoding: errors.value, as: UTF8.self) }
    /// Whether it is still running.
    package var isRunning: Bool { process.isRunning }

    /// Waits until standard error (or output) contains `text`; false on timeout or exit.
    package func waitFor(_ text: String, inStandardError: Bool = true, timeout: TimeInterval = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (inStandardError ? stderr : stdout).contains(text) { return true }
            if !process.isRunning { return (inStandardError ? stderr : stdout).contains(text) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Waits until `satisfied` holds of standard output so far; returns that output (the last
    /// seen, if the program exits or `timeout` passes first).
    @discardableResult
    package func waitForOutput(timeout: TimeInterval = 60, until satisfied: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = stdout
            if satisfied(text) || !process.isRunning { return stdout }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return stdout
    }

    /// Sends a signal.
    package func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the end (SIGKILL after `timeout`: no test waits forever) and returns how it
    /// ended: the exit status or the signal, and whether a signal ended it.
    @discardableResult
    package func wait(timeout: TimeInterval = 120) -> (status: Int32, signalled: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        drained.wait()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    /// Waits for the end and returns everything it said.
    package func result(timeout: TimeInterval = 600) -> ProcessResult {
        let (status, _) = wait(timeout: timeout)
        return ProcessResult(status: status, stdoutData: output.value, stderrData: errors.value)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// Runs a program to its end (see `RunningProgram`; killed after ten minutes) and captures both
/// outputs.
@discardableResult
package func run(_ executable: String, _ arguments: [String] = [], in directory: URL? = nil,
                 environment: [String: String] = [:], input: Data? = nil) throws -> ProcessResult {
    try RunningProgram(executable, arguments, in: directory, environment: environment, input: input).result()
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
