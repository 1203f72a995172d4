import Foundation
import Logging
import Podcast
import Server
import Testing
import TestSupport

/// Appends log messages to a file (the access log under load, like nginx's).
struct FileLogHandler: LogHandler {
    final class Sink: @unchecked Sendable {
        let handle: FileHandle
        let lock = NSLock()
        init(_ url: URL) throws {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            handle = try FileHandle(forWritingTo: url)
        }
        func write(_ line: String) { lock.withLock { handle.write(Data((line + "\n").utf8)) } }
    }
    let sink: Sink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { sink.write(event.message.description) }
}

/// What wrk reported.
struct WrkResult: CustomStringConvertible {
    var requests = 0
    var perSecond = 0.0
    var p50 = "", p99 = ""
    var non2xx = 0
    var socketErrors = ""
    var description: String {
        "\(requests) requests, \(String(format: "%.0f", perSecond)) req/s, latency p50 \(p50) p99 \(p99), non-2xx \(non2xx), socket errors: \(socketErrors.isEmpty ? "none" : socketErrors)"
    }

    static func parse(_ out: String) -> WrkResult {
        var r = WrkResult()
        for line in out.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let v = f.last.flatMap({ Double($0) }) { r.perSecond = v }
            if line.contains("requests in"), let v = f.first.flatMap({ Int($0) }) { r.requests = v }
            if line.hasPrefix("50%") { r.p50 = String(f.last ?? "") }
            if line.hasPrefix("99%") { r.p99 = String(f.last ?? "") }
            if line.hasPrefix("Non-2xx"), let v = f.last.flatMap({ Int($0) }) { r.non2xx = v }
            if line.hasPrefix("Socket errors:") { r.socketErrors = String(line.dropFirst("Socket errors:".count)).trimmingCharacters(in: .whitespaces) }
        }
        return r
    }
}

/// 1,000 concurrent connections against this server and against nginx serving the same folder.
/// A measurement, run on demand: `REGIE_LOADTEST=1 swift test -c release -Xswiftc -enable-testing
/// --filter LoadTests`. Both servers and wrk share the machine's cores, so the figures compare
/// the two servers with each other, not with a production box. Loopback only; wrk runs 10 s.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["REGIE_LOADTEST"] != nil))
struct LoadTests {
    @Test func thousandConnectionsAgainstThisServerAndNginx() async throws {
        let tmp = try TempDir("regie-load")
        defer { tmp.cleanup() }
        let showDir = tmp.url.appendingPathComponent("public/campus-magazine")
        try FileManager.default.createDirectory(at: showDir, withIntermediateDirectories: true)
        let art = tmp.url.appendingPathComponent("art.png"), mp3 = tmp.url.appendingPathComponent("ep.mp3")
        try Media.png(art)
        try Media.mp3(mp3, seconds: 30)
        // Port numbers are only needed in URLs inside the feed; the feed is fetched as bytes here.
        let channel = testChannel(baseURL: "http://127.0.0.1/campus-magazine/", artwork: art)
        for n in 1...50 {
            try Publisher().publish(channel: channel, episode: testEpisode(n, title: "Episode \(n)", mp3: mp3, day: n), to: showDir)
        }

        // This server, logging every request to a file.
        let sink = try FileLogHandler.Sink(tmp.url.appendingPathComponent("regie-access.log"))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = PublishedFolderServer(root: tmp.url.appendingPathComponent("public"), port: 0,
                                           logger: Logger(label: "load") { _ in FileLogHandler(sink: sink) },
                                           onServerRunning: { continuation.yield($0) })
        let task = Task { try await server.runUntilCancelled() }
        var it = ports.makeAsyncIterator()
        let port = try #require(await it.next())

        // nginx on the same folder, two workers (one per core), access log on.
        let nginxPort = port == 18_080 ? 18_081 : 18_080
        let prefix = tmp.url.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try """
            user root;
            worker_processes 2;
            pid \(prefix.path)/nginx.pid;
            error_log \(prefix.path)/logs/error.log;
            events { worker_connections 4096; }
            http {
              include /etc/nginx/mime.types;
              access_log \(prefix.path)/logs/access.log;
              sendfile on;
              server {
                listen 127.0.0.1:\(nginxPort) backlog=4096;
                root \(tmp.url.path)/public;
              }
            }
            """.write(to: prefix.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let nginx = try RunningProgram("/usr/sbin/nginx", ["-p", prefix.path, "-c", prefix.appendingPathComponent("nginx.conf").path,
                                                           "-g", "daemon off;"])
        defer { nginx.send(SIGTERM); nginx.wait() }
        // Wait (bounded) until nginx answers.
        for _ in 0..<50 {
            if try await sh("curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(nginxPort)/campus-magazine/feed.xml"], check: false).status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        var report: [String] = []
        // Peak memory: this process's VmHWM (the server runs in it; reset before each round), and
        // the sum of nginx's workers' VmHWM (they keep their peak over the run).
        let nginxWorkers = { () -> [Int32] in
            let children = (try? String(contentsOfFile: "/proc/\(nginx.pid)/task/\(nginx.pid)/children", encoding: .utf8)) ?? ""
            return children.split(separator: " ").compactMap { Int32($0) }
        }
        let regieIdle = currentResidentBytes()
        report.append("[load] regie resident before the rounds: \(regieIdle >> 20) MiB")
        for (name, p) in [("regie", port), ("nginx", nginxPort)] {
            for (what, path, conns) in [("feed.xml", "feed.xml", 1000), ("index.html", "", 1000), ("mp3 (~480 KB)", "001-episode-1.mp3", 1000)] {
                if name == "regie" { _ = currentResidentBytes() }
                let r = try await sh("wrk", ["-t2", "-c\(conns)", "-d10s", "--timeout", "10s", "--latency",
                                      "http://127.0.0.1:\(p)/campus-magazine/\(path)"], check: false)
                let w = WrkResult.parse(r.stdout)
                let peak = name == "regie" ? peakResidentSinceReset()
                    : nginxWorkers().map { procStatusBytes("VmHWM:", pid: $0) }.reduce(0, +)
                report.append("[load] \(name) \(what), \(conns) connections: \(w), peak resident \(peak >> 20) MiB")
                #expect(w.requests > 0, "\(name) \(what): \(r.stdout) \(r.stderr)")
                #expect(w.non2xx == 0, "\(name) \(what)")
            }
        }
        for line in report { print(line) }
        task.cancel()
        _ = try? await task.value
    }
}
