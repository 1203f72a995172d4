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

    package var description: String {
        switch self {
        case .transfer(let status, let message): "rsync failed (exit \(status)): \(message)"
        case .missingTool(let tool): "\(tool) is not installed (Debian: apt-get install rsync openssh-client)"
        }
    }
}

/// What one mirror did.
package struct MirrorReport: Sendable {
    /// Bytes rsync sent over the connection (file data after its delta encoding, and protocol).
    package var bytesSent: Int64 = 0
    package var seconds: Double = 0
    /// Attempts made (1 when the first worked).
    package var attempts = 1
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
/// ones). Dot-files (the publisher's lock, the pending mark) stay local. ssh runs with
/// `BatchMode`: key-based only, never a password prompt. `REGIE_SSH_COMMAND` replaces the ssh
/// command (as `GIT_SSH_COMMAND` does for git): an identity file, a known-hosts file.
package struct RemoteMirror: Sendable {
    package let destination: RemoteDestination
    /// The ssh command rsync runs (`-e`).
    package let sshCommand: String

    package init(destination: RemoteDestination, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.destination = destination
        var ssh = environment["REGIE_SSH_COMMAND"] ?? "ssh"
        ssh += " -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3"
        if let port = destination.port { ssh += " -p \(port)" }
        sshCommand = ssh
    }

    /// Mirrors `folder` (a show's published folder, named `show` on the host) once.
    package func mirror(folder: URL, show: String) throws(RemoteMirrorError) -> MirrorReport {
        let start = Date()
        let local = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        let target = destination.rsyncTarget(show: show)
        let common = ["--archive", "--mkpath", "--timeout=30", "--stats", "-e", sshCommand]
        let passes: [[String]] = [
            ["--exclude=.*", "--exclude=/feed.xml", "--exclude=/index.html"],
            ["--include=/feed.xml", "--include=/index.html", "--exclude=*"],
            ["--exclude=.*", "--delete"],
        ]
        var report = MirrorReport()
        for pass in passes {
            let output = try Self.rsync(common + pass + [local, target])
            report.bytesSent += Self.bytesSent(in: output)
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// Mirrors, trying again after a failure with backoff (1 s, 2 s, 4 s … at most 30 s apart)
    /// until `retryFor` has passed; `onFailure` hears of each failed attempt.
    package func mirror(folder: URL, show: String, retryFor: Double,
                        onFailure: (RemoteMirrorError, _ nextInSeconds: Double?) -> Void) throws(RemoteMirrorError) -> MirrorReport {
        let deadline = Date().addingTimeInterval(retryFor)
        var wait = 1.0
        var attempts = 0
        while true {
            attempts += 1
            do {
                var report = try mirror(folder: folder, show: show)
                report.attempts = attempts
                return report
            } catch {
                if case .missingTool = error { onFailure(error, nil); throw error }
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { onFailure(error, nil); throw error }
                let next = min(wait, remaining)
                onFailure(error, next)
                Thread.sleep(forTimeInterval: next)
                wait = min(wait * 2, 30)
            }
        }
    }

    static func rsync(_ arguments: [String]) throws(RemoteMirrorError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["rsync"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw .missingTool("rsync") }
        // Both pipes drained while it runs (a full pipe would stall rsync).
        let collected = LockedData()
        let group = DispatchGroup()
        for (pipe, isError) in [(out, false), (err, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.append(data, isError: isError)
                group.leave()
            }
        }
        process.waitUntilExit()
        group.wait()
        let (stdout, stderr) = collected.texts
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 { throw .missingTool("rsync") }
            let said = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("rsync error:") && !$0.hasPrefix("rsync: connection unexpectedly closed") }
            let message = said.last ?? stderr.split(separator: "\n").last.map(String.init) ?? "no message"
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
}

/// Standard output and error of a child, gathered from two threads.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func append(_ data: Data, isError: Bool) { lock.withLock { if isError { err.append(data) } else { out.append(data) } } }
    var texts: (String, String) { lock.withLock { (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)) } }
}

/// A mirror not done yet, kept in the show's published folder as `.publish-pending` (a dot-file:
/// never served, never mirrored) until `regie publish --retry` or the next publish sends it.
package struct PendingMirror: Codable, Sendable, Equatable {
    package var destination: RemoteDestination
    package var show: String
    /// Since when (seconds since 1970) and why.
    package var since: Double
    package var reason: String

    package static let fileName = ".publish-pending"

    package init(destination: RemoteDestination, show: String, since: Double, reason: String) {
        self.destination = destination; self.show = show; self.since = since; self.reason = reason
    }

    package static func read(in folder: URL) -> PendingMirror? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else { return nil }
        return try? JSONDecoder().decode(PendingMirror.self, from: data)
    }

    package func write(in folder: URL) throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    package static func clear(in folder: URL) {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(fileName))
    }
}
