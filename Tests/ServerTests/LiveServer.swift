import Foundation
import Logging
import Podcast
import Server
import Testing
import TestSupport

/// Collects log messages in memory (the access log under test).
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    /// Messages logged so far.
    var lines: [String] { lock.withLock { _lines } }
    func append(_ s: String) { lock.withLock { _lines.append(s) } }

    /// A logger writing into this capture.
    func logger() -> Logger {
        Logger(label: "test.access") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.append(event.message.description)
        }
    }
}

/// The real server on 127.0.0.1 with an ephemeral port, for the length of one test.
struct LiveServer {
    /// Bound port.
    let port: Int
    /// Captured access log.
    let log: LogCapture
    private let task: Task<Void, any Error>

    /// `http://127.0.0.1:<port>/`.
    var base: String { "http://127.0.0.1:\(port)/" }

    /// Starts serving `root`; returns once the socket listens.
    static func start(root: URL, timeout: Duration = .seconds(60), maxConnections: Int = 16_384) async throws -> LiveServer {
        let log = LogCapture()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = PublishedFolderServer(root: root, host: "127.0.0.1", port: 0, logger: log.logger(), timeout: timeout,
                                           maxConnections: maxConnections,
                                           onServerRunning: { continuation.yield($0) })
        let task = Task {
            defer { continuation.finish() }
            try await server.runUntilCancelled()
        }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next() else {
            _ = try await task.value
            throw CancellationError()
        }
        return LiveServer(port: port, log: log, task: task)
    }

    /// Stops the server and waits until it has shut down.
    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Runs an external command on its own thread, off Swift's cooperative pool, so that a blocked
/// test never starves the server it is talking to.
@discardableResult
func sh(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
        cwd: URL? = nil, check: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
    let input = stdin.map { Data($0.utf8) }
    let r: ProcessResult = try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try run(executable, arguments, in: cwd, environment: environment, input: input) }) }.start()
    }
    if check {
        #expect(r.status == 0, "\(([executable] + arguments).joined(separator: " ")) exited \(r.status)\n\(r.stdout)\n\(r.stderr)",
                sourceLocation: sourceLocation)
    }
    return r
}

/// Runs Python code (args in sys.argv[1:]) off the cooperative pool.
@discardableResult
func py(_ code: String, _ args: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
    try await sh("python3", ["-c", code] + args, sourceLocation: sourceLocation)
}

/// A show published into `<tmp>/public/campus-magazine/` and served by a live server.
struct ServedShow {
    let tmp: TempDir
    let server: LiveServer
    let publicDir: URL
    let showDir: URL
    let channel: PodcastChannel
    let mp3s: [URL]
    let episodes: [PublishedEpisode]

    /// Public URL of the show folder.
    var showURL: String { server.base + "campus-magazine/" }
    /// Public URL of the feed.
    var feedURL: String { showURL + "feed.xml" }

    /// Publishes two episodes (real MP3s, chapters) and serves them.
    static func make() async throws -> ServedShow {
        let tmp = try TempDir("regie-server")
        let publicDir = tmp.url.appendingPathComponent("public")
        let showDir = publicDir.appendingPathComponent("campus-magazine")
        try FileManager.default.createDirectory(at: showDir, withIntermediateDirectories: true)
        let server = try await LiveServer.start(root: publicDir)
        let art = tmp.url.appendingPathComponent("art.png")
        let mp3a = tmp.url.appendingPathComponent("winter.mp3")
        let mp3b = tmp.url.appendingPathComponent("spring.mp3")
        try Media.png(art)
        try Media.mp3(mp3a, seconds: 4, frequency: 440, title: "Winter on campus")
        try Media.mp3(mp3b, seconds: 3, frequency: 660, title: "Spring")
        let channel = testChannel(baseURL: server.base + "campus-magazine/", artwork: art)
        let p = Publisher()
        let e1 = try p.publish(channel: channel, episode: testEpisode(12, title: "Winter on campus", mp3: mp3a), to: showDir)
        let e2 = try p.publish(channel: channel, episode: testEpisode(13, title: "Frühling — spring", mp3: mp3b, day: 30,
                                                                      chapters: [PodcastChapter(startTime: 0, title: "Hello"),
                                                                                 PodcastChapter(startTime: 2.25, title: "Bye")]),
                               to: showDir)
        return ServedShow(tmp: tmp, server: server, publicDir: publicDir, showDir: showDir, channel: channel,
                          mp3s: [mp3a, mp3b], episodes: [e1, e2])
    }

    /// Stops the server and removes the files.
    func finish() async {
        await server.stop()
        tmp.cleanup()
    }
}

/// Runs `body` with a freshly published and served show, then stops the server and cleans up.
func withShow(_ body: (ServedShow) async throws -> Void) async throws {
    let show = try await ServedShow.make()
    do {
        try await body(show)
    } catch {
        await show.finish()
        throw error
    }
    await show.finish()
}
