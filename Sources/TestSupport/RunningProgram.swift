import Foundation

/// A program running in the background while a test watches its output, signals it and waits
/// for it (e.g. `regie play` killed mid-show). Both outputs are drained as they come, so the
/// program never blocks on a full pipe.
package final class RunningProgram: @unchecked Sendable {
    private let process = Process()
    private let output = LockedBox(Data())
    private let errors = LockedBox(Data())
    private let drained = DispatchGroup()

    /// Starts `executable` (a path) with `arguments`, the test's environment plus `environment`.
    package init(_ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        for (pipe, box) in [(out, output), (err, errors)] {
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

    /// Sends a signal.
    package func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the end (SIGKILL after `timeout`) and returns how it ended.
    @discardableResult
    package func wait(timeout: TimeInterval = 120) -> (status: Int32, signalled: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        drained.wait()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}
