import Foundation

/// Debian's OpenSSH server, started by a test as a plain process on a loopback port with its own
/// configuration, host key and authorised key in a scratch folder (never the system's service),
/// for publishing to a "web host" with rsync over ssh. `environment` hands the client side to
/// `regie` (`REGIE_SSH_COMMAND`: the test's key and known-hosts file, nothing of the user's).
package final class SSHServer: @unchecked Sendable {
    /// The scratch folder: keys, configuration, log.
    package let folder: URL
    package let port: Int

    /// The ssh command a client uses to reach this server as root (its key, its host key pinned).
    package var sshCommand: String {
        "ssh -i \(folder.path)/client_key -o UserKnownHostsFile=\(folder.path)/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o LogLevel=ERROR"
    }

    /// What `regie` needs in its environment to publish here.
    package var environment: [String: String] { ["REGIE_SSH_COMMAND": sshCommand] }

    /// `ssh://root@127.0.0.1:<port><path>`.
    package func url(_ path: String) -> String { "ssh://root@127.0.0.1:\(port)\(path)" }

    /// Makes keys and configuration and starts the server; returns once it accepts a login.
    package init() throws {
        folder = try TempDir("regie-sshd").url
        port = try TestSupport.freePort()
        for key in ["host_key", "client_key"] {
            let made = try run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", folder.appendingPathComponent(key).path])
            guard made.status == 0 else { throw SSHServerError.setup("ssh-keygen: \(made.stderr)") }
        }
        try FileManager.default.copyItem(at: folder.appendingPathComponent("client_key.pub"),
                                         to: folder.appendingPathComponent("authorized_keys"))
        let hostKey = try String(contentsOf: folder.appendingPathComponent("host_key.pub"), encoding: .utf8)
        try "[127.0.0.1]:\(port) \(hostKey)".write(to: folder.appendingPathComponent("known_hosts"), atomically: true, encoding: .utf8)
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(folder.path)/host_key
            PidFile \(folder.path)/sshd.pid
            AuthorizedKeysFile \(folder.path)/authorized_keys
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            LogLevel VERBOSE

            """.write(to: folder.appendingPathComponent("sshd_config"), atomically: true, encoding: .utf8)
        // The privilege-separation folder the Debian service would make.
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try start()
    }

    /// Starts the server (again, after `stop`); returns once a login works (bounded: 15 s).
    package func start() throws {
        // Daemonised (no -D): a long-lived child of the test process kept later children from
        // being reaped (Foundation's Process), so it runs detached and is stopped by its pid file.
        let started = try run("/usr/sbin/sshd", ["-f", folder.appendingPathComponent("sshd_config").path,
                                                 "-E", folder.appendingPathComponent("sshd.log").path])
        guard started.status == 0 else { throw SSHServerError.setup("sshd: \(started.stderr)") }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if Self.accepts(port: port) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw SSHServerError.setup("sshd did not listen on port \(port) in 15 s")
    }

    /// Whether something accepts TCP connections on the loopback port.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// What the server logged (errors only).
    package var log: String { (try? String(contentsOf: folder.appendingPathComponent("sshd.log"), encoding: .utf8)) ?? "" }

    /// Stops the server and cuts the connections in flight (each is a child of the listener: a
    /// listener stopped alone leaves its sessions running, as a real host's restart would not).
    package func stop() {
        let pidFile = folder.appendingPathComponent("sshd.pid").path
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            // The sessions first: once the listener is gone they belong to init.
            let sessions = Self.children(of: pid)
            kill(pid, SIGTERM)
            for session in sessions { kill(session, SIGTERM) }
            let deadline = Date().addingTimeInterval(10)
            while kill(pid, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            try? FileManager.default.removeItem(atPath: pidFile)
        }
    }

    /// The processes whose parent is `pid` (from /proc).
    static func children(of pid: pid_t) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let child = pid_t(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // "pid (comm) state ppid …": the command may hold spaces, so read after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

package enum SSHServerError: Error, CustomStringConvertible {
    case setup(String)
    package var description: String { switch self { case .setup(let s): "the test's SSH server: \(s)" } }
}

/// The regular files under `folder` (dot-files left out), by relative path, with their bytes.
package func filesByPath(under folder: URL) -> [String: Data] {
    var files: [String: Data] = [:]
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                                                      options: [.skipsHiddenFiles]) else { return files }
    for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        let relative = String(url.path.dropFirst(folder.path.count + 1))
        files[relative] = try? Data(contentsOf: url)
    }
    return files
}
