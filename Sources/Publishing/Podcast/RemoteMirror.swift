import Foundation

import RegieModel

extension RemoteDestination {
    /// rsync's form of the folder for one show: `user@host:path/show/`.
    func rsyncTarget(show: String) -> String {
        (user.map { "\($0)@" } ?? "") + host + ":" + path + "/" + show + "/"
    }
}

/// Why a mirror did not happen.
package enum RemoteMirrorError: Error, Equatable, CustomStringConvertible {
    /// rsync failed: its exit status and what it said last.
    case transfer(status: Int32, message: String)
    /// rsync or ssh is not installed.
    case missingTool(String)
    /// Someone stopped it (q on the console, Ctrl-C).
    case cancelled

    package var description: String {
        switch self {
        case .transfer(let status, let message): "rsync failed (exit \(status)): \(message)"
        case .missingTool(let tool): "\(tool) is not installed (Debian: apt-get install rsync openssh-client)"
        case .cancelled: "stopped before it was through"
        }
    }
}

/// What one mirror did.
package struct MirrorReport: Sendable, Equatable {
    /// Bytes rsync sent over the connection (file data after its delta encoding, and protocol).
    package var bytesSent: Int64 = 0
    package var seconds: Double = 0
    /// Attempts made (1 when the first worked).
    package var attempts = 1
}

/// What a mirror is doing, for a console or a log, heard from the thread that runs it (and,
/// for progress, from the thread that reads rsync's output).
package enum MirrorEvent: Sendable, Equatable {
    /// Attempt `n` starts.
    case attempt(Int)
    /// rsync's overall progress in this attempt: bytes of files handled (sent or found already
    /// there), percent of the whole, and its rate as rsync prints it ("19.12MB/s").
    case progress(bytes: Int64, percent: Int, rate: String)
    /// The attempt failed; the next one follows in that many seconds (nil: no more attempts).
    case failed(RemoteMirrorError, retryIn: Double?)
}

/// Stops a mirror from another thread: the rsync running is ended (it keeps what it received
/// for the next attempt, see `RemoteMirror`) and no further attempt starts.
package final class MirrorCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var running: Process?

    package init() {}

    package var isCancelled: Bool { lock.withLock { cancelled } }

    package func cancel() {
        let process = lock.withLock { () -> Process? in
            cancelled = true
            return running
        }
        if let process, process.isRunning { process.terminate() }
    }

    /// Runs `process` unless cancelled; a later `cancel` terminates it.
    func start(_ process: Process) throws -> Bool {
        try lock.withLock {
            guard !cancelled else { return false }
            try process.run()
            running = process
            return true
        }
    }

    func finished() { lock.withLock { running = nil } }

    /// Waits `seconds`, or less when cancelled meanwhile.
    func sleep(_ seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while !isCancelled && Date() < until { Thread.sleep(forTimeInterval: min(0.05, max(0, until.timeIntervalSinceNow))) }
    }
}

/// Mirrors a show's published folder to a web host with the system's rsync over ssh, so that a
/// podcast app fetching meanwhile never sees a feed naming a file that is not there yet:
///
/// 1. everything but the feed and the page (episodes, chapters, artwork): each file written under
///    a temporary name and renamed into place by rsync, nothing deleted;
/// 2. `feed.xml` and `index.html`, each replaced by a rename;
/// 3. what the local folder no longer has is deleted (an unpublished episode: after the feed
///    that stopped naming it).
///
/// rsync sends only what changed (its delta algorithm on changed files, nothing for unchanged
/// ones). A transfer cut off (the host gone, the link down, a cancel) keeps what arrived in
/// `.regie-partial/` on the host, and the next attempt sends only the rest; rsync removes the
/// folder once the file is whole. Dot-files (the publisher's lock, the pending mark, that
/// folder) are never served nor deleted by the mirror. ssh runs with `BatchMode`: key-based
/// only, never a password prompt. `REGIE_SSH_COMMAND` replaces the ssh command (as
/// `GIT_SSH_COMMAND` does for git): an identity file, a known-hosts file.
package struct RemoteMirror: Sendable {
    package let destination: RemoteDestination
    /// The ssh command rsync runs (`-e`).
    package let sshCommand: String
    /// Upload limit in kilobits per second (rsync's `--bwlimit`), nil for none: a campus uplink
    /// shared with the live stream and the offices.
    package let limitKbps: Int?

    package static let partialFolder = ".regie-partial"

    package init(destination: RemoteDestination, limitKbps: Int? = nil,
                 environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.destination = destination
        self.limitKbps = limitKbps
        var ssh = environment["REGIE_SSH_COMMAND"] ?? "ssh"
        ssh += " -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3"
        if let port = destination.port { ssh += " -p \(port)" }
        sshCommand = ssh
    }

    /// Mirrors `folder` (a show's published folder, named `show` on the host) once.
    package func mirror(folder: URL, show: String, cancel: MirrorCancellation = MirrorCancellation(),
                        onEvent: @escaping @Sendable (MirrorEvent) -> Void = { _ in }) throws(RemoteMirrorError) -> MirrorReport {
        let start = Date()
        let local = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        let target = destination.rsyncTarget(show: show)
        // The three passes share one SSH connection (OpenSSH's multiplexing): one handshake, not
        // three. The master is closed when the passes are done; a path in /tmp because a
        // socket's path is limited to 108 bytes.
        let control = "/tmp/regie-mirror-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let ssh = sshCommand + " -o ControlMaster=auto -o ControlPath=\(control) -o ControlPersist=60"
        defer { closeSharedConnection(ssh) }
        var common = ["--archive", "--mkpath", "--timeout=30", "--stats", "--info=progress2",
                      "--partial-dir=\(Self.partialFolder)", "-e", ssh]
        // kbit/s to rsync's kilobytes (1000 bytes) per second.
        if let limitKbps { common.append("--bwlimit=\(max(1, limitKbps / 8))KB") }
        let passes: [[String]] = [
            ["--exclude=.*", "--exclude=/feed.xml", "--exclude=/index.html"],
            ["--include=/feed.xml", "--include=/index.html", "--exclude=*"],
            ["--exclude=.*", "--delete"],
        ]
        var report = MirrorReport()
        for pass in passes {
            let output = try Self.rsync(common + pass + [local, target], cancel: cancel, onEvent: onEvent)
            report.bytesSent += Self.bytesSent(in: output)
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// Ends the shared connection's master (`ssh -O exit`), which would otherwise linger for
    /// its `ControlPersist` time.
    private func closeSharedConnection(_ ssh: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The ssh command is a shell line (as rsync's -e); the host goes as an argument, unparsed.
        process.arguments = ["-c", ssh + " -O exit \"$1\"", "sh", (destination.user.map { "\($0)@" } ?? "") + destination.host]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return }
        process.waitUntilExit()
    }

    /// Mirrors, trying again after a failure with backoff (1 s, 2 s, 4 s … at most 30 s apart)
    /// until `retryFor` seconds have passed or `cancel` is cancelled.
    package func mirror(folder: URL, show: String, retryFor: Double, cancel: MirrorCancellation = MirrorCancellation(),
                        onEvent: @escaping @Sendable (MirrorEvent) -> Void) throws(RemoteMirrorError) -> MirrorReport {
        let deadline = Date().addingTimeInterval(retryFor)
        var wait = 1.0
        var attempts = 0
        while true {
            attempts += 1
            onEvent(.attempt(attempts))
            do {
                var report = try mirror(folder: folder, show: show, cancel: cancel, onEvent: onEvent)
                report.attempts = attempts
                return report
            } catch {
                let failure = cancel.isCancelled ? RemoteMirrorError.cancelled : error
                if failure == .cancelled { onEvent(.failed(failure, retryIn: nil)); throw failure }
                if case .missingTool = failure { onEvent(.failed(failure, retryIn: nil)); throw failure }
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { onEvent(.failed(failure, retryIn: nil)); throw failure }
                let next = min(wait, remaining)
                onEvent(.failed(failure, retryIn: next))
                cancel.sleep(next)
                if cancel.isCancelled { throw RemoteMirrorError.cancelled }
                wait = min(wait * 2, 30)
            }
        }
    }

    static func rsync(_ arguments: [String], cancel: MirrorCancellation,
                      onEvent: @escaping @Sendable (MirrorEvent) -> Void) throws(RemoteMirrorError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["rsync"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            guard try cancel.start(process) else { throw RemoteMirrorError.cancelled }
        } catch let error as RemoteMirrorError {
            throw error
        } catch {
            throw .missingTool("rsync")
        }
        defer { cancel.finished() }
        // Both pipes drained while it runs (a full pipe would stall rsync); standard output read
        // as it comes, for the progress lines (ended by carriage returns).
        let collected = LockedData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let handle = out.fileHandleForReading
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                collected.append(chunk, isError: false)
                pending.append(chunk)
                while let end = pending.firstIndex(where: { $0 == 13 || $0 == 10 }) {
                    let line = String(decoding: pending[pending.startIndex..<end], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...end)
                    if let progress = Self.progress(in: line) { onEvent(progress) }
                }
            }
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            collected.append(err.fileHandleForReading.readDataToEndOfFile(), isError: true)
            group.leave()
        }
        process.waitUntilExit()
        group.wait()
        let (stdout, stderr) = collected.texts
        guard process.terminationStatus == 0 else {
            if cancel.isCancelled { throw .cancelled }
            if process.terminationStatus == 127 { throw .missingTool("rsync") }
            // By lines, whatever ends them (ssh ends its own with CR LF); rsync's closing words
            // left out for the cause before them.
            let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let said = lines.filter { !$0.hasPrefix("rsync error:") && !$0.hasPrefix("rsync: connection unexpectedly closed") }
            let message = said.last ?? lines.last ?? "no message"
            throw .transfer(status: process.terminationStatus, message: message)
        }
        return stdout
    }

    /// "Total bytes sent: 1,234" in rsync's `--stats`.
    static func bytesSent(in stats: String) -> Int64 {
        for line in stats.split(separator: "\n") where line.hasPrefix("Total bytes sent:") {
            return Int64(line.dropFirst("Total bytes sent:".count).filter(\.isNumber)) ?? 0
        }
        return 0
    }

    /// One line of `--info=progress2`: "     21,299,200  41%   19.12MB/s    0:00:01 (xfr#1, …)".
    static func progress(in line: String) -> MirrorEvent? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 3, fields[1].hasSuffix("%"),
              let bytes = Int64(fields[0].filter(\.isNumber)), let percent = Int(fields[1].dropLast()) else { return nil }
        return .progress(bytes: bytes, percent: percent, rate: String(fields[2]))
    }
}

/// Standard output and error of a child, gathered from two threads.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func append(_ data: Data, isError: Bool) { lock.withLock { if isError { err.append(data) } else { out.append(data) } } }
    var texts: (String, String) { lock.withLock { (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)) } }
}
