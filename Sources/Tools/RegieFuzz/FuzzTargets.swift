import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import RegieModel
import RegieYAML
import Server

/// What the fuzzer throws at Régie: each target takes any bytes and must neither crash, hang nor
/// break an invariant (a broken invariant is a `fatalError`, which libFuzzer reports as a crash
/// with the input that caused it).
enum FuzzTarget: String, CaseIterable {
    /// A rundown file: read, checked and planned (audio lengths made up: no decoding).
    case rundown
    /// A time as a producer writes it (`1:30`, `90.5`, `1:02:03`).
    case timecode
    /// A `Range` header against a file size taken from the input.
    case range
    /// A request target's path, split into segments.
    case path
    /// Raw bytes from a client, through the server's whole connection pipeline.
    case request

    /// Runs one input; returns what a person replaying it may want to see (the answers' status
    /// lines for a request, nothing otherwise).
    @discardableResult
    func run(_ data: [UInt8]) -> String {
        switch self {
        case .rundown: FuzzRundown.shared.run(data)
        case .timecode: Self.timecode(data)
        case .range: Self.range(data)
        case .path: Self.path(data)
        case .request: return FuzzRequest.shared.run(data)
        }
        return ""
    }

    private static func timecode(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        guard case .success(let t) = Timecode.parse(text) else { return }
        if t.nanoseconds < 0 { fatalError("negative time from '\(text)'") }
    }

    private static func range(_ data: [UInt8]) {
        guard data.count >= 8 else { return }
        var size: Int64 = 0
        for byte in data.prefix(8) { size = size << 8 | Int64(byte) }
        size = size & Int64.max
        let header = String(decoding: data.dropFirst(8), as: UTF8.self)
        if case .satisfiable(let r) = ByteRangeRequest.parse(header, size: size) {
            if r.lowerBound < 0 || r.upperBound >= size { fatalError("range \(r) outside a file of \(size) bytes from '\(header)'") }
        }
    }

    private static func path(_ data: [UInt8]) {
        let target = String(decoding: data, as: UTF8.self)
        let path = FolderResponder.path(ofTarget: target)
        guard case .ok(let segments) = FolderResponder.pathSegments(path) else { return }
        for segment in segments where segment == "." || segment == ".." || segment.hasPrefix(".")
            || segment.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 }) {
            fatalError("segment '\(segment)' let through from '\(target)'")
        }
    }
}

/// A show folder in a scratch directory; each input is written as its rundown and checked.
final class FuzzRundown: Sendable {
    static let shared = FuzzRundown()
    let rundown: String

    private init() {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("regie-fuzz-\(getpid())")
        let show = root.appendingPathComponent("shows/fuzz")
        try! FileManager.default.createDirectory(at: show.appendingPathComponent("audio"), withIntermediateDirectories: true)
        try! FileManager.default.createDirectory(at: root.appendingPathComponent("jingles"), withIntermediateDirectories: true)
        try! """
            title: Fuzz
            description: d
            author: a
            language: en
            category: News
            explicit: false
            link: https://radio.example.org/
            base_url: https://radio.example.org/fuzz/
            owner: {name: n, email: n@example.org}
            """.write(to: show.appendingPathComponent("show.yaml"), atomically: true, encoding: .utf8)
        rundown = show.appendingPathComponent("2026-01-01.yaml").path
    }

    func run(_ data: [UInt8]) {
        guard FileManager.default.createFile(atPath: rundown, contents: Data(data)) else { fatalError("cannot write \(rundown)") }
        let (found, diagnostics) = RundownReader.read(path: rundown, keepingErrors: true)
        for d in diagnostics where (d.location?.line ?? 1) < 1 || (d.location?.column ?? 1) < 1 {
            fatalError("diagnostic at no line or column: \(d)")
        }
        guard let found else { return }
        // Every audio file 10 s at 44.1 kHz: the planner's arithmetic on the rundown's numbers.
        var audio: [String: AudioSourceInfo] = [:]
        for item in found.items {
            if let path = item.audioPath { audio[path] = AudioSourceInfo(frames: 441_000, sampleRate: 44_100, channels: 2, format: "FLAC") }
            if let bed = item.bed { audio[bed] = AudioSourceInfo(frames: 441_000, sampleRate: 44_100, channels: 2, format: "FLAC") }
        }
        _ = Planner.plan(found, audio: audio)
    }
}

/// A published folder (a feed, an episode, a page) next to a secret file, served by the real
/// connection pipeline on an embedded channel: whatever the bytes, no crash, every answer a
/// well-formed HTTP/1.1 response, and never a byte of the secret.
final class FuzzRequest: Sendable {
    static let shared = FuzzRequest()
    let responder: FolderResponder
    let secret = "SECRET-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    let connections = ConnectionTable(limit: 1 << 20)

    private init() {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("regie-fuzz-serve-\(getpid())")
        let published = root.appendingPathComponent("public")
        try! FileManager.default.createDirectory(at: published.appendingPathComponent("show"), withIntermediateDirectories: true)
        try! "<rss/>\n".write(to: published.appendingPathComponent("show/feed.xml"), atomically: true, encoding: .utf8)
        try! "<html></html>\n".write(to: published.appendingPathComponent("show/index.html"), atomically: true, encoding: .utf8)
        try! Data(repeating: 0xFF, count: 300_000).write(to: published.appendingPathComponent("show/episode.mp3"))
        try! secret.write(to: root.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try? FileManager.default.createSymbolicLink(atPath: published.appendingPathComponent("show/leak").path,
                                                    withDestinationPath: root.appendingPathComponent("secret.txt").path)
        responder = try! FolderResponder(root: published)
    }

    /// Serves `data` as a client's bytes; returns the status codes answered, in order.
    func run(_ data: [UInt8]) -> String {
        let channel = EmbeddedChannel()
        let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
        do {
            try channel.pipeline.syncOperations.addHandler(RequestLineGuard())
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try channel.pipeline.syncOperations.addHandler(FolderConnection(responder: responder, logger: logger,
                                                                            timeout: .seconds(60), connections: connections))
            _ = connections.admit(channel)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            // Two halves, as a client's packets may split a request anywhere.
            let cut = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
            for part in [data[..<cut], data[cut...]] where !part.isEmpty {
                _ = try? channel.writeInbound(channel.allocator.buffer(bytes: part))
            }
        } catch {}
        var out: [UInt8] = []
        while let part = try? channel.readOutbound(as: IOData.self) {
            switch part {
            case .byteBuffer(let b): out += b.readableBytesView
            case .fileRegion(let r):
                // The file's bytes, as sendfile would send them.
                let bytes = try? r.fileHandle.withUnsafeFileDescriptor { fd -> [UInt8] in
                    var buffer = [UInt8](repeating: 0, count: r.readableBytes)
                    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, r.readableBytes, off_t(r.readerIndex)) }
                    return Array(buffer.prefix(max(0, n)))
                }
                out += bytes ?? []
            }
        }
        _ = try? channel.finish()
        // An embedded loop keeps what was scheduled on it (a connection's clock) until it is
        // shut down: without this, every input the server closed itself left 8 KB behind.
        try? channel.embeddedEventLoop.syncShutdownGracefully()
        if !out.isEmpty && !out.starts(with: Array("HTTP/1.1 ".utf8)) {
            fatalError("an answer that is not HTTP/1.1: \(String(decoding: out.prefix(80), as: UTF8.self))")
        }
        let text = String(decoding: out, as: UTF8.self)
        if out.count >= secret.utf8.count, text.contains(secret) {
            fatalError("the secret outside the folder was served")
        }
        return text.matches(of: #/HTTP/1\.1 (\d{3}) /#).map { String($0.1) }.joined(separator: " ")
    }
}
