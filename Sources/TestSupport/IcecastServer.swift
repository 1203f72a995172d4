import Foundation

/// Debian's `icecast2`, started by a test with a configuration of its own in a scratch folder (a
/// loopback port, its own passwords, logs and pid file; never the system's service), stopped at
/// the end. Run as root it drops to `nobody`, as Icecast insists, so its folder is theirs.
/// `relayOf` makes it a relay of another server's mount (Icecast's own master/relay setup).
package final class IcecastServer: @unchecked Sendable {
    package let folder: URL
    package private(set) var port: Int
    package let sourcePassword: String
    package let adminPassword = "admin-\(UUID().uuidString.prefix(8))"
    private var process: RunningProgram?
    private let relay: (server: IcecastServer, mount: String, localMount: String)?

    package init(sourcePassword: String = "hackme-\(UUID().uuidString.prefix(6))",
                 relayOf relay: (server: IcecastServer, mount: String, localMount: String)? = nil) throws {
        folder = try TempDir("regie-icecast").url
        port = try TestSupport.freePort()
        self.sourcePassword = sourcePassword
        self.relay = relay
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("log"), withIntermediateDirectories: true)
        // A port another test took between the probe and the bind: a new port, up to three times.
        for attempt in 1...3 {
            if attempt > 1 { port = try TestSupport.freePort() }
            let relayXML = relay.map { r in
                """
                <relay>
                    <server>127.0.0.1</server><port>\(r.server.port)</port>
                    <mount>\(r.mount)</mount><local-mount>\(r.localMount)</local-mount>
                    <on-demand>0</on-demand><relay-shoutcast-metadata>1</relay-shoutcast-metadata>
                </relay>
                <master-update-interval>1</master-update-interval>
                """
            } ?? ""
            let owner = getuid() == 0 ? "<security><chroot>0</chroot><changeowner><user>nobody</user><group>nogroup</group></changeowner></security>" : ""
            try """
                <icecast>
                    <location>test</location><admin>test@example.org</admin>
                    <limits>
                        <clients>100</clients><sources>4</sources><queue-size>524288</queue-size>
                        <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
                        <source-timeout>10</source-timeout><burst-on-connect>1</burst-on-connect>
                        <burst-size>65535</burst-size>
                    </limits>
                    <authentication>
                        <source-password>\(sourcePassword)</source-password>
                        <relay-password>\(sourcePassword)</relay-password>
                        <admin-user>admin</admin-user><admin-password>\(adminPassword)</admin-password>
                    </authentication>
                    <hostname>127.0.0.1</hostname>
                    <listen-socket><port>\(port)</port><bind-address>127.0.0.1</bind-address></listen-socket>
                    \(relayXML)
                    <mount type="default"><charset>UTF-8</charset></mount>
                    <fileserve>1</fileserve>
                    <paths>
                        <basedir>/usr/share/icecast2</basedir>
                        <logdir>\(folder.path)/log</logdir>
                        <webroot>/usr/share/icecast2/web</webroot>
                        <adminroot>/usr/share/icecast2/admin</adminroot>
                        <pidfile>\(folder.path)/icecast.pid</pidfile>
                        <alias source="/" destination="/status.xsl"/>
                    </paths>
                    <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
                    \(owner)
                </icecast>
                """.write(to: folder.appendingPathComponent("icecast.xml"), atomically: true, encoding: .utf8)
            if getuid() == 0 { _ = try run("chown", ["-R", "nobody:nogroup", folder.path]) }
            do {
                try start()
                return
            } catch where attempt < 3 {
                stop()
            }
        }
    }

    /// Starts the server (again, after `stop`: same port, same configuration); returns once it
    /// answers `status-json.xsl` (bounded: 20 s).
    package func start() throws {
        process = try RunningProgram("icecast2", ["-c", folder.appendingPathComponent("icecast.xml").path])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if status() != nil { return }
            if process?.isRunning == false { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw IcecastServerError.setup("icecast2 did not answer on port \(port): \(process?.stderr ?? "") \(errorLog)")
    }

    /// Stops it (its sources and listeners are cut).
    package func stop() {
        guard let process else { return }
        process.send(SIGTERM)
        _ = process.wait(timeout: 10)
        self.process = nil
    }

    /// `http://127.0.0.1:<port><mount>`.
    package func listenURL(_ mount: String) -> String { "http://127.0.0.1:\(port)\(mount)" }

    /// `icecast://source@127.0.0.1:<port><mount>`.
    package func sourceURL(_ mount: String) -> String { "icecast://source@127.0.0.1:\(port)\(mount)" }

    /// `status-json.xsl` parsed, nil when the server does not answer.
    package func status() -> [String: Any]? {
        guard let url = URL(string: "http://127.0.0.1:\(port)/status-json.xsl"),
              let result = try? run("curl", ["-s", "-m", "3", url.absoluteString]), result.status == 0,
              let object = try? JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any] else { return nil }
        return object["icestats"] as? [String: Any]
    }

    /// The sources the server has: mount → (title, listeners).
    package func sources() -> [String: (title: String?, listeners: Int)] {
        guard let stats = status() else { return [:] }
        let list = (stats["source"] as? [[String: Any]]) ?? ((stats["source"] as? [String: Any]).map { [$0] } ?? [])
        var result: [String: (title: String?, listeners: Int)] = [:]
        for source in list {
            guard let listen = source["listenurl"] as? String, let path = URL(string: listen)?.path else { continue }
            let title = (source["title"] as? String) ?? (source["title"] as? NSNumber)?.stringValue
            result[path] = (title, (source["listeners"] as? NSNumber)?.intValue ?? 0)
        }
        return result
    }

    /// Icecast's error log (for failure messages).
    package var errorLog: String {
        (try? String(contentsOf: folder.appendingPathComponent("log/error.log"), encoding: .utf8)) ?? ""
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

package enum IcecastServerError: Error, CustomStringConvertible {
    case setup(String)
    package var description: String { switch self { case .setup(let s): "the test's Icecast server: \(s)" } }
}
