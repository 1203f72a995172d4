import Foundation
import Podcast
import Testing
import TestSupport

/// What curl saw: status, headers (lower-cased names) and body bytes.
struct CurlResponse {
    var status: Int
    var headers: [String: String]
    var body: Data
}

/// One request with curl; `--path-as-is` keeps `..` and `%2e` exactly as written.
func curl(_ url: String, _ extra: [String] = []) async throws -> CurlResponse {
    let dir = FileManager.default.temporaryDirectory
    let headerFile = dir.appendingPathComponent("curl-h-\(UUID().uuidString)")
    let bodyFile = dir.appendingPathComponent("curl-b-\(UUID().uuidString)")
    defer {
        try? FileManager.default.removeItem(at: headerFile)
        try? FileManager.default.removeItem(at: bodyFile)
    }
    let r = try await sh("curl", ["-sS", "--path-as-is", "-D", headerFile.path, "-o", bodyFile.path,
                          "-w", "%{http_code}"] + extra + [url])
    var headers: [String: String] = [:]
    let raw = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
    for line in raw.split(separator: "\r\n").dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let body = (try? Data(contentsOf: bodyFile)) ?? Data()
    return CurlResponse(status: Int(r.stdout) ?? -1, headers: headers, body: body)
}

@Suite struct HTTPTests {
    @Test func headRangesConditionalsAndContentTypes() async throws {
        try await withShow { show in
            let ep = show.episodes[0]
            let url = show.showURL + ep.mp3File
            let file = try Data(contentsOf: show.mp3s[0])
            let len = file.count

            let head = try await curl(url, ["-I"])
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == String(len))
            #expect(head.headers["accept-ranges"] == "bytes")
            #expect(head.headers["content-type"] == "audio/mpeg")
            // On the wire: after a HEAD response's headers, nothing (read until the server closes).
            let wire = try await py("""
                import socket, sys
                s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
                s.sendall(('HEAD %s HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' % sys.argv[2]).encode())
                data = b''
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                head, _, rest = data.partition(b'\\r\\n\\r\\n')
                print(head.split(b'\\r\\n')[0].decode(), len(rest))
                """, [String(show.server.port), "/campus-magazine/" + ep.mp3File])
            #expect(wire.stdout == "HTTP/1.1 200 OK 0\n")
            let etag = try #require(head.headers["etag"])
            let lastModified = try #require(head.headers["last-modified"])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))

            let full = try await curl(url)
            #expect(full.status == 200 && full.body == file)

            let mid = try await curl(url, ["-H", "Range: bytes=100-1099"])
            #expect(mid.status == 206)
            #expect(mid.headers["content-range"] == "bytes 100-1099/\(len)")
            #expect(mid.headers["content-length"] == "1000")
            #expect(mid.body == file[100..<1100])

            let suffix = try await curl(url, ["-H", "Range: bytes=-500"])
            #expect(suffix.status == 206)
            #expect(suffix.headers["content-range"] == "bytes \(len - 500)-\(len - 1)/\(len)")
            #expect(suffix.body == file[(len - 500)...])

            let open = try await curl(url, ["-H", "Range: bytes=100-"])
            #expect(open.status == 206 && open.body == file[100...])

            let past = try await curl(url, ["-H", "Range: bytes=-999999999"])  // longer than the file: all of it
            #expect(past.status == 206 && past.body == file)

            let unsatisfiable = try await curl(url, ["-H", "Range: bytes=\(len)-"])
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.headers["content-range"] == "bytes */\(len)")

            let multi = try await curl(url, ["-H", "Range: bytes=0-1,5-6"])  // served whole, allowed by RFC 9110
            #expect(multi.status == 200 && multi.body == file)

            let inm = try await curl(url, ["-H", "If-None-Match: \(etag)"])
            #expect(inm.status == 304 && inm.body.isEmpty)
            #expect(inm.headers["etag"] == etag)
            #expect(inm.headers["content-length"] == nil || inm.headers["content-length"] == String(len))
            // 304 and HEAD followed by a GET on the same keep-alive connection: no stray body bytes.
            let keepAlive = try await py("""
                import sys, http.client
                c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))
                out = []
                for method, headers in [('GET', {'If-None-Match': sys.argv[3]}), ('HEAD', {}), ('GET', {})]:
                    c.request(method, sys.argv[2], headers=headers)
                    r = c.getresponse()
                    out.append('%d:%d' % (r.status, len(r.read())))
                print(' '.join(out))
                """, [String(show.server.port), "/campus-magazine/" + ep.mp3File, etag])
            #expect(keepAlive.stdout == "304:0 200:0 200:\(len)\n")
            let inmOther = try await curl(url, ["-H", "If-None-Match: \"other\", W/\(etag)"])
            #expect(inmOther.status == 304)  // weak comparison for If-None-Match
            let inmMiss = try await curl(url, ["-H", "If-None-Match: \"other\""])
            #expect(inmMiss.status == 200)
            let ims = try await curl(url, ["-H", "If-Modified-Since: \(lastModified)"])
            #expect(ims.status == 304)
            let imsOld = try await curl(url, ["-H", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"])
            #expect(imsOld.status == 200 && imsOld.body == file)

            let ifRangeSame = try await curl(url, ["-H", "Range: bytes=0-9", "-H", "If-Range: \(etag)"])
            #expect(ifRangeSame.status == 206 && ifRangeSame.body == file[0..<10])
            let ifRangeDate = try await curl(url, ["-H", "Range: bytes=0-9", "-H", "If-Range: \(lastModified)"])
            #expect(ifRangeDate.status == 206)
            let ifRangeStale = try await curl(url, ["-H", "Range: bytes=0-9", "-H", "If-Range: \"stale\""])
            #expect(ifRangeStale.status == 200 && ifRangeStale.body == file)

            let types: [(String, String)] = [
                ("feed.xml", "application/rss+xml; charset=utf-8"),
                ("index.html", "text/html; charset=utf-8"),
                ("", "text/html; charset=utf-8"),
                (ep.chaptersFile!, "application/json+chapters"),
                ("episodes.json", "application/json"),
                ("artwork.png", "image/png"),
            ]
            for (name, type) in types {
                let r = try await curl(show.showURL + name, ["-I"])
                #expect(r.status == 200, "\(name)")
                #expect(r.headers["content-type"] == type, "\(name)")
            }
            // The page at / of the show folder is index.html, byte for byte.
            let page = try await curl(show.showURL)
            let indexBytes = try Data(contentsOf: show.showDir.appendingPathComponent("index.html"))
            #expect(page.body == indexBytes)
            // Without the trailing slash: a redirect to it, never a listing.
            let noSlash = try await curl(String(show.showURL.dropLast()))
            #expect(noSlash.status == 301 && noSlash.headers["location"] == "/campus-magazine/")

            let post = try await curl(show.feedURL, ["-X", "POST", "-d", "x"])
            #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
            let missing = try await curl(show.showURL + "nope.mp3")
            #expect(missing.status == 404)
        }
    }

    @Test func nothingOutsideTheFolderIsEverServed() async throws {
        try await withShow { show in
            // A secret next to the served folder, and links inside the folder pointing out of it.
            let secret = show.tmp.url.appendingPathComponent("secret.txt")
            try "TOP-SECRET-\(UUID())".write(to: secret, atomically: true, encoding: .utf8)
            let marker = try String(contentsOf: secret, encoding: .utf8)
            try FileManager.default.createSymbolicLink(at: show.showDir.appendingPathComponent("leak.txt"), withDestinationURL: secret)
            try FileManager.default.createSymbolicLink(at: show.showDir.appendingPathComponent("up"), withDestinationURL: show.tmp.url)
            try FileManager.default.createSymbolicLink(at: show.showDir.appendingPathComponent("etc"), withDestinationURL: URL(fileURLWithPath: "/etc"))
            // An empty sub-folder: no listing.
            try FileManager.default.createDirectory(at: show.publicDir.appendingPathComponent("empty"), withIntermediateDirectories: true)

            let attempts = [
                "campus-magazine/../../secret.txt", "../secret.txt", "../../../../etc/passwd",
                "campus-magazine/%2e%2e/%2e%2e/secret.txt", "%2e%2e%2fsecret.txt", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
                "campus-magazine%2f..%2f..%2fsecret.txt", "campus-magazine/..%2f..%2fsecret.txt",
                "campus-magazine/leak.txt", "campus-magazine/up/secret.txt", "campus-magazine/etc/passwd",
                "campus-magazine/%00/feed.xml", "campus-magazine/%zz", "campus-magazine/..\\..\\secret.txt",
                "campus-magazine/.publish.lock", "empty/", "empty",
            ]
            for path in attempts {
                let r = try await curl(show.server.base + path)
                #expect([400, 403, 404].contains(r.status), "\(path) → \(r.status)")
                let text = String(decoding: r.body, as: UTF8.self)
                #expect(!text.contains(marker) && !text.contains("root:"), "\(path) leaked")
            }
            // A symlink that stays inside the folder is fine.
            try FileManager.default.createSymbolicLink(at: show.publicDir.appendingPathComponent("latest.mp3"),
                                                       withDestinationURL: show.showDir.appendingPathComponent(show.episodes[0].mp3File))
            let inside = try await curl(show.server.base + "latest.mp3")
            let episodeBytes = try Data(contentsOf: show.mp3s[0])
            #expect(inside.status == 200 && inside.body == episodeBytes)
        }
    }

    @Test func oneAccessLogLinePerRequest() async throws {
        try await withShow { show in
            let before = show.server.log.lines.count
            _ = try await curl(show.feedURL, ["-A", "TestAgent/1.0", "-e", "https://ref.example/"])
            _ = try await curl(show.showURL + show.episodes[0].mp3File, ["-I"])
            _ = try await curl(show.showURL + "missing?x=1")
            let lines = Array(show.server.log.lines.dropFirst(before))
            #expect(lines.count == 3)
            let feedSize = try Data(contentsOf: show.showDir.appendingPathComponent("feed.xml")).count
            let pattern = #/^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "(GET|HEAD) (\S+) HTTP/1\.1" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$/#
            let parsed = lines.compactMap { try? pattern.wholeMatch(in: $0)?.output }
            #expect(parsed.count == 3, "\(lines)")
            if parsed.count == 3 {
                #expect(parsed[0].2 == "/campus-magazine/feed.xml" && parsed[0].3 == "200" && parsed[0].4 == "\(feedSize)")
                #expect(parsed[0].5 == "https://ref.example/" && parsed[0].6 == "TestAgent/1.0")
                #expect(parsed[1].1 == "HEAD" && parsed[1].3 == "200" && parsed[1].4 == "0")
                #expect(parsed[2].2 == "/campus-magazine/missing?x=1" && parsed[2].3 == "404")
            }
        }
    }

    @Test func largeFilesAreStreamedNotLoaded() async throws {
        try await withShow { show in
            // 512 MiB, sparse on disk: if the server read it whole, resident memory would jump by that much.
            let big = show.showDir.appendingPathComponent("big.mp3")
            let size: Int64 = 512 << 20
            #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
            let h = try FileHandle(forWritingTo: big)
            try h.truncate(atOffset: UInt64(size))
            try h.close()
            let before = residentBytes()
            let r = try await sh("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", show.showURL + "big.mp3"])
            #expect(r.stdout == "200 \(size)")
            let after = residentBytes()
            #expect(after - before < 256 << 20, "resident memory grew by \((after - before) >> 20) MiB")
        }
    }
}

/// Peak resident set size of this process (VmHWM), in bytes.
func residentBytes() -> Int64 {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
    return 0
}
