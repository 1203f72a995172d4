import Foundation
import Testing
import TestSupport

/// Clients that do not play by the rules (issue 14): a FIFO dropped in the published folder, an
/// HTTP/0.9 request, connections that send nothing or half a request, a client that asks for a
/// large file and never reads. Each gets an answer or a closed connection within the server's
/// timeout (2 s here), and the server goes on serving everyone else.
@Suite(.serialized) struct HostileClientTests {
    /// A folder with a feed, a 48 MB file and a FIFO, served with a 2 s timeout.
    static func serve(maxConnections: Int = 16_384, _ body: (LiveServer, URL) async throws -> Void) async throws {
        let tmp = try TempDir("regie-hostile")
        defer { tmp.cleanup() }
        let root = tmp.url
        try "<rss/>\n".write(to: root.appendingPathComponent("feed.xml"), atomically: true, encoding: .utf8)
        var big = Data(count: 48 << 20)
        big.withUnsafeMutableBytes { raw in for i in stride(from: 0, to: raw.count, by: 4096) { raw[i] = UInt8(i / 4096 & 0xFF) } }
        try big.write(to: root.appendingPathComponent("big.mp3"))
        #expect(mkfifo(root.appendingPathComponent("stuck.mp3").path, 0o644) == 0)
        let server = try await LiveServer.start(root: root, timeout: .seconds(2), maxConnections: maxConnections)
        do { try await body(server, root) } catch { await server.stop(); throw error }
        await server.stop()
    }

    @Test func aFIFOInTheFolderIsNotFoundAndHoldsNothing() async throws {
        try await Self.serve { server, _ in
            // More requests for the FIFO than the server has threads: each answered, none blocks
            // (30 s bounds a loaded test run; a blocked open() would hold for ever).
            for _ in 0..<8 {
                let fifo = try await curl(server.base + "stuck.mp3", ["--max-time", "30"])
                #expect(fifo.status == 404)
            }
            let feed = try await curl(server.base + "feed.xml", ["--max-time", "30"])
            #expect(feed.status == 200 && String(decoding: feed.body, as: UTF8.self) == "<rss/>\n")
        }
    }

    @Test func anHTTP09RequestGetsA400AndAClosedConnection() async throws {
        try await Self.serve { server, _ in
            let result = try await py("""
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
                start = time.monotonic()
                s.sendall(b"GET /feed.xml\\r\\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                print(round(time.monotonic() - start, 3))
                print(data.split(b"\\r\\n")[0].decode())
                """, [String(server.port)])
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2 && lines[1] == "HTTP/1.1 400 Bad Request", "\(result.stdout)")
            #expect((Double(lines.first ?? "") ?? 99) < 1.5, "answered at once, not at the timeout: \(result.stdout)")
            // An HTTP/1.0 request, even cut in pieces, is untouched by the guard (answered in 1.1,
            // as HTTP allows, and closed).
            let pieces = try await py("""
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
                for part in [b"\\r\\nGE", b"T /feed.xml HT", b"TP/1.0\\r\\n", b"\\r\\n"]:
                    s.sendall(part); time.sleep(0.1)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                print(data.split(b"\\r\\n")[0].decode(), data.endswith(b"<rss/>\\n"))
                """, [String(server.port)])
            #expect(pieces.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "HTTP/1.1 200 OK True", "\(pieces.stdout)")
        }
    }

    @Test func silentHalfSentAndTricklingConnectionsAreClosedAtTheTimeout() async throws {
        try await Self.serve { server, _ in
            let result = try await py("""
                import socket, sys, threading, time
                port = int(sys.argv[1])
                silent = socket.create_connection(("127.0.0.1", port), timeout=15)
                half = socket.create_connection(("127.0.0.1", port), timeout=15)
                half.sendall(b"GET /feed.xml HTTP/1.1\\r\\nHost: x\\r\\n")
                trickle = socket.create_connection(("127.0.0.1", port), timeout=15)
                trickle.sendall(b"GET /feed.xml HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100000\\r\\n\\r\\n")
                def drip():   # a body byte every 0.3 s: a request that never ends
                    try:
                        while True:
                            trickle.send(b"x")
                            time.sleep(0.3)
                    except OSError:
                        pass
                threading.Thread(target=drip, daemon=True).start()
                kept = socket.create_connection(("127.0.0.1", port), timeout=15)
                kept.sendall(b"GET /feed.xml HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                start = time.monotonic()
                for s in (silent, half, trickle, kept):
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk: break
                        data += chunk
                    print(round(time.monotonic() - start, 2), data.split(b"\\r\\n")[0].decode() or "-")
                """, [String(server.port)])
            let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
            #expect(lines.count == 4, "\(result.stdout)")
            for line in lines {
                let seconds = Double(line.first ?? "") ?? 99
                #expect(seconds >= 1.5 && seconds < 6, "closed at the 2 s timeout, not before or long after: \(result.stdout)")
            }
            #expect(lines.prefix(3).allSatisfy { $0.last == "-" }, "no answer to nothing, half a head or a body never finished: \(result.stdout)")
            // The kept-alive connection was answered, then closed when idle.
            #expect(lines.last?.last == "HTTP/1.1 200 OK", "\(result.stdout)")
        }
    }

    @Test func aClientThatNeverReadsIsCutOffAtTheSendTimeout() async throws {
        try await Self.serve { server, root in
            let size = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("big.mp3").path)[.size] as! Int
            let result = try await py("""
                import socket, sys, time
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(20)
                s.connect(("127.0.0.1", int(sys.argv[1])))
                s.sendall(b"GET /big.mp3 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                time.sleep(5)            # reads nothing for more than the 2 s send timeout
                got = 0
                try:
                    while True:
                        chunk = s.recv(1 << 20)
                        if not chunk: break
                        got += len(chunk)
                except ConnectionResetError:
                    pass
                print(got)
                """, [String(server.port)])
            let got = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            #expect(got > 0 && got < size, "the connection ended before the whole \(size) bytes: got \(got)")
            // And everyone else is served meanwhile and after.
            let feed = try await curl(server.base + "feed.xml", ["--max-time", "30"])
            #expect(feed.status == 200)

            let feedAfter = try await curl(server.base + "feed.xml", ["--max-time", "30"])
            #expect(feedAfter.status == 200)
        }
    }

    /// A flood of idle sockets beyond the connection limit (1,100 idle sockets against 1,024
    /// descriptors locked everyone out in issue 14): new connections take the place of the
    /// longest-idle ones, so real requests are answered during the flood, and the server never
    /// holds more connections than its limit.
    @Test func anIdleFloodNeverLocksRealClientsOut() async throws {
        try await Self.serve(maxConnections: 50) { server, _ in
            let result = try await py("""
                import http.client, socket, sys, time
                port = int(sys.argv[1])
                idle = []
                for _ in range(200):
                    s = socket.create_connection(("127.0.0.1", port))
                    idle.append(s)
                time.sleep(0.3)
                served = 0
                for _ in range(5):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1.5)
                    c.request("GET", "/feed.xml")
                    r = c.getresponse()
                    if r.status == 200 and r.read() == b"<rss/>\\n": served += 1
                    c.close()
                    idle.append(socket.create_connection(("127.0.0.1", port)))   # the flood goes on
                # Which idle sockets has the server closed? (well before the 2 s timeout)
                still_open = 0
                for s in idle:
                    s.setblocking(False)
                    try:
                        still_open += 1 if s.recv(1) is None else 0
                    except BlockingIOError:
                        still_open += 1
                    except ConnectionResetError:
                        pass
                print(served, still_open)
                """, [String(server.port)])
            let numbers = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            #expect(numbers.count == 2, "\(result.stdout) \(result.stderr)")
            guard numbers.count == 2 else { return }
            #expect(numbers[0] == 5, "real requests served during the flood: \(numbers[0]) of 5")
            #expect(numbers[1] <= 50, "idle connections the server kept: \(numbers[1]), limit 50")
        }
    }

    /// Pipelined requests are answered in order on one connection; a request that is both
    /// `Content-Length` and `chunked` (request smuggling) gets a 400 and a closed connection; a
    /// client that sends its request and shuts its side gets the whole answer (1 MB, several
    /// sendfile pieces) before the server closes.
    @Test func pipelinedSmugglingAndHalfClosedRequests() async throws {
        try await Self.serve { server, root in
            let result = try await py("""
                import socket, sys
                port = int(sys.argv[1])
                def exchange(data, half_close=False):
                    s = socket.create_connection(("127.0.0.1", port), timeout=10)
                    s.sendall(data)
                    if half_close: s.shutdown(socket.SHUT_WR)
                    out = b""
                    while True:
                        chunk = s.recv(1 << 16)
                        if not chunk: break
                        out += chunk
                    return out
                def responses(raw):
                    found = []
                    while raw:
                        head, _, rest = raw.partition(b"\\r\\n\\r\\n")
                        lines = head.split(b"\\r\\n")
                        status = int(lines[0].split()[1])
                        length = 0
                        for l in lines[1:]:
                            k, _, v = l.partition(b":")
                            if k.strip().lower() == b"content-length": length = int(v)
                        is_head = len(found) == 1   # the second request is a HEAD
                        body = b"" if is_head else rest[:length]
                        raw = rest if is_head else rest[length:]
                        found.append((status, body))
                    return found
                piped = exchange(b"GET /feed.xml HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
                                 b"HEAD /feed.xml HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
                                 b"GET /missing HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
                r = responses(piped)
                print("pipelined", [x[0] for x in r], r[0][1] == b"<rss/>\\n")
                smuggled = exchange(b"GET /feed.xml HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\n"
                                    b"Transfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\nGET /feed.xml HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                print("smuggled", smuggled.split(b"\\r\\n")[0].decode(), smuggled.count(b"HTTP/1.1 "))
                half = exchange(b"GET /big.mp3 HTTP/1.1\\r\\nHost: x\\r\\nRange: bytes=0-999999\\r\\n\\r\\n", half_close=True)
                head, _, body = half.partition(b"\\r\\n\\r\\n")
                with open(sys.argv[2], "rb") as f: expected = f.read(1000000)
                print("half-closed", head.split(b"\\r\\n")[0].decode(), len(body), body == expected)
                """, [String(server.port), root.appendingPathComponent("big.mp3").path])
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("pipelined [200, 200, 404] True"), "\(result.stdout)")
            #expect(lines.contains("smuggled HTTP/1.1 400 Bad Request 1"), "\(result.stdout)")
            #expect(lines.contains("half-closed HTTP/1.1 206 Partial Content 1000000 True"), "\(result.stdout)")
        }
    }

    /// 1,000 clients that ask for a 48 MB file and never read, against `regie serve` in its own
    /// process (its memory alone, whatever other tests run meanwhile): files go out with
    /// sendfile(2) and the server holds no file data for any of them. In issue 14, 200 such
    /// clients took the server from 44 MB to 1.03 GB; the goal is 64 MB at 1,000.
    @Test func aThousandStalledClientsLeaveTheServersMemoryFlat() async throws {
        let tmp = try TempDir("regie-stalled")
        defer { tmp.cleanup() }
        var big = Data(count: 48 << 20)
        big.withUnsafeMutableBytes { raw in for i in stride(from: 0, to: raw.count, by: 4096) { raw[i] = UInt8(i / 4096 & 0xFF) } }
        try big.write(to: tmp.url.appendingPathComponent("big.mp3"))
        let server = try RunningProgram(TestSupport.regie.path, ["serve", tmp.url.path, "--port", "0", "--timeout", "2"])
        defer { server.send(SIGTERM); server.wait() }
        #expect(server.waitFor("Serving ", timeout: 30))
        let port = try #require(server.stderr.firstMatch(of: /127\.0\.0\.1:(\d+)\//).map { String($0.1) })
        let idle = procStatusBytes("VmRSS:", pid: server.pid)
        let crowd = try await py("""
            import resource, socket, sys, time
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            clients = []
            for _ in range(1000):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", int(sys.argv[1])))
                s.sendall(b"GET /big.mp3 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                clients.append(s)
            time.sleep(1.5)
            closed = 0
            for s in clients:
                s.settimeout(10)
                try:
                    while s.recv(1 << 20): pass
                    closed += 1
                except (ConnectionResetError, socket.timeout):
                    closed += 1
            print(closed)
            """, [port])
        let peak = procStatusBytes("VmHWM:", pid: server.pid)
        #expect(crowd.stdout.hasSuffix("1000\n"), "\(crowd.stdout)")
        print("[serve] 1,000 stalled clients: regie serve idle \(idle >> 20) MiB, peak \(peak >> 20) MiB")
        #expect(peak < 64 << 20, "regie serve peaked at \(peak >> 20) MiB with 1,000 stalled clients")
        let after = try await curl("http://127.0.0.1:\(port)/big.mp3", ["--max-time", "30", "-r", "0-9"])
        #expect(after.status == 206 && after.body == big.prefix(10))
    }
}

/// Resident memory of this process now (VmRSS), in bytes; resets the peak (VmHWM) to it.
func currentResidentBytes() -> Int64 {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)   // resets VmHWM
    return procStatusBytes("VmRSS:")
}

/// The peak resident memory since the last `currentResidentBytes()`, in bytes.
func peakResidentSinceReset() -> Int64 { procStatusBytes("VmHWM:") }

/// A `/proc/<pid>/status` field in bytes (this process by default).
func procStatusBytes(_ key: String, pid: Int32? = nil) -> Int64 {
    let status = (try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix(key) {
        return (Int64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
    return 0
}
