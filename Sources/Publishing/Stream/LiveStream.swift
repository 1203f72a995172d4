// The live show to Icecast: a stream thread drains its own ring, encodes MP3 with its own LAME
// instance and sends it to every mount through libshout, reconnecting by itself.
import CShout
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MP3
import Realtime
import RegieModel
import Synchronization

/// One mount as the console and the summary see it.
package struct MountStatus: Sendable, Equatable {
    package enum State: String, Sendable { case connecting, connected, down }
    package var destination: StreamDestination
    package var state: State = .connecting
    /// Audio bytes handed to the server since the stream started.
    package var bytesSent: Int64 = 0
    /// Connections made again after one was lost.
    package var reconnects = 0
    /// Failed connection attempts since the last success.
    package var failedAttempts = 0
    /// Why the last connection failed or ended.
    package var lastError: String?
    /// The password was refused (or the mount is taken): retried only every 30 s.
    package var loginRefused = false
    /// Listeners on the mount, from Icecast's `status-json.xsl` (nil until read).
    package var listeners: Int?
}

/// What changed in a mount's connection, for the console's alarms and the as-run log (heard on
/// the stream thread).
package enum StreamEvent: Sendable, Equatable {
    /// Connected (`again`: after a loss).
    case connected(StreamDestination, again: Bool)
    /// Not connected: lost, refused, or not reached; the next attempt in that many seconds.
    case down(StreamDestination, reason: String, retryIn: Double, loginRefused: Bool)
}

/// Streams interleaved stereo samples to Icecast mounts.
///
/// Threading: the render (or capture) thread only `feed.offer`s; the stream thread owns the
/// encoder and the libshout connections; the control thread calls `start`, `setTitle`, `status`
/// and `stop`. Nothing here can hold the air back: a full ring drops blocks (counted), a server
/// that is slow or gone only costs its listeners the audio of that moment.
package final class LiveStream: @unchecked Sendable {
    /// The render thread's side.
    package let feed: RecorderFeed
    package let sampleRate: Int
    private let encoder: MP3Encoder
    private let lock = NSLock()
    private var mounts: [MountStatus]
    private var passwords: [String]
    private var pendingTitle: String?
    private var thread: Thread?
    private let stopFlag = AtomicFlag()
    private let exited = DispatchSemaphore(value: 0)
    private let onEvent: @Sendable (StreamEvent) -> Void

    /// Backoff between attempts: 1 s, doubling to at most 30 s; a refused login waits 30 s.
    static let firstRetry = 1.0, longestRetry = 30.0
    /// Bytes libshout may hold for a server that does not take them (about 15 s at 128 kb/s)
    /// before the connection is dropped and made again.
    static let maximumQueue = 256 * 1024

    /// `passwords` in the order of `destinations`. `ringSeconds` of audio may wait for the stream
    /// thread.
    package init(destinations: [StreamDestination], passwords: [String], sampleRate: Int, bitrateKbps: Int,
                 quality: Int = 5, ringSeconds: Double = 5,
                 onEvent: @escaping @Sendable (StreamEvent) -> Void = { _ in }) throws {
        precondition(destinations.count == passwords.count)
        self.sampleRate = sampleRate
        feed = RecorderFeed(frames: Int(ringSeconds * Double(sampleRate)))
        encoder = try MP3Encoder(sampleRate: sampleRate, channels: 2, bitrateKbps: bitrateKbps, quality: quality,
                                 infoTag: false)
        mounts = destinations.map { MountStatus(destination: $0) }
        self.passwords = passwords
        self.onEvent = onEvent
        shout_init()
        // libshout writes to its sockets without MSG_NOSIGNAL: a server that goes away would end
        // the whole process (the air with it) with SIGPIPE. Ignored, the write fails and the
        // stream reconnects.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The mounts as they stand.
    package var status: [MountStatus] { lock.withLock { mounts } }

    /// Frames the render thread could not queue (the stream thread fell behind).
    package var overrunFrames: Int64 { feed.overrunFrames.load(ordering: .relaxed) }

    /// What the mounts show as playing from now on (sent by the stream thread at once, and again
    /// to a mount that reconnects).
    package func setTitle(_ title: String) { lock.withLock { pendingTitle = title } }

    package func start() {
        let t = Thread { [self] in
            Thread.current.name = "regie-stream"   // at most 15 characters (Linux)
            run()
            exited.signal()
        }
        t.name = "regie-stream"
        thread = t
        t.start()
    }

    /// Sends what is queued, then closes every connection.
    package func stop() {
        guard thread != nil else { return }
        stopFlag.raise()
        exited.wait()
        thread = nil
    }

    // MARK: - Stream thread

    private struct Connection {
        var shout: OpaquePointer?
        var connecting = false
        var nextAttempt: UInt64 = 0
        var backoff = LiveStream.firstRetry
        var everConnected = false
        var titleSent: String?
        var nextTitleAttempt: UInt64 = 0
    }

    /// Encoded in bursts of four MP3 frames (~100 ms): LAME's tables stay in cache for a burst
    /// (as the recorder does; waking for every 10 ms block costs LAME half as much again), and
    /// 100 ms is nothing to a listener whose player buffers seconds.
    private static let chunkFrames = 1152 * 4
    private static let idleSleepMicroseconds: UInt32 = 25_000

    private func run() {
        var connections = [Connection](repeating: Connection(), count: mounts.count)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Self.chunkFrames * 2)
        defer { buffer.deallocate() }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(64 * 1024)
        var nextListenerPoll: UInt64 = 0
        while true {
            let stopping = stopFlag.isRaised
            let now = DispatchTime.now().uptimeNanoseconds
            for index in connections.indices { tend(&connections[index], index: index, now: now) }
            // Encode what is queued, a couple of MP3 frames at a time, and send it to every mount
            // that is up (a mount that is down misses it: a live stream does not catch up).
            var frames = 0
            while stopping || feed.ring.availableToRead >= Self.chunkFrames * 2 {
                let got = feed.ring.read(into: buffer, count: Self.chunkFrames * 2) / 2
                if got == 0 { break }
                frames += got
                encoded.removeAll(keepingCapacity: true)
                try? encoder.encode(interleaved: buffer, frames: got) { bytes in encoded.append(contentsOf: bytes) }
                if !encoded.isEmpty {
                    for index in connections.indices where connections[index].shout != nil && !connections[index].connecting {
                        send(encoded, on: &connections[index], index: index, now: now)
                    }
                }
                if frames >= sampleRate / 5 { break }
            }
            if now >= nextListenerPoll {
                nextListenerPoll = now + 5_000_000_000
                pollListeners()
            }
            if stopping && frames == 0 { break }
            if frames == 0 { usleep(Self.idleSleepMicroseconds) }
        }
        for index in connections.indices { close(&connections[index]) }
    }

    /// Connects a mount that is down when its time has come, finishes a connection under way,
    /// and sends the current title to a mount that has not had it.
    private func tend(_ c: inout Connection, index: Int, now: UInt64) {
        if c.shout == nil {
            guard now >= c.nextAttempt else { return }
            c.shout = makeShout(index: index)
            guard let shout = c.shout else { return }
            let opened = shout_open(shout)
            if opened == SHOUTERR_SUCCESS { connected(&c, index: index) }
            else if opened == SHOUTERR_BUSY { c.connecting = true }
            else { failed(&c, index: index, now: now, code: opened) }
            return
        }
        if c.connecting, let shout = c.shout {
            let state = shout_get_connected(shout)
            if state == SHOUTERR_CONNECTED { connected(&c, index: index) }
            else if state != SHOUTERR_BUSY { failed(&c, index: index, now: now, code: state) }
            return
        }
        let title = lock.withLock { pendingTitle }
        if let title, title != c.titleSent, now >= c.nextTitleAttempt, let shout = c.shout {
            guard let metadata = shout_metadata_new() else { return }
            defer { shout_metadata_free(metadata) }
            _ = shout_metadata_add(metadata, "song", title)
            _ = shout_metadata_add(metadata, "charset", "UTF-8")
            if shout_set_metadata_utf8(shout, metadata) == SHOUTERR_SUCCESS {
                c.titleSent = title
            } else {
                c.nextTitleAttempt = now + 1_000_000_000
            }
        }
    }

    private func makeShout(index: Int) -> OpaquePointer? {
        guard let shout = shout_new() else { return nil }
        let destination = mounts[index].destination
        _ = shout_set_host(shout, destination.host)
        _ = shout_set_port(shout, UInt16(destination.port))
        _ = shout_set_user(shout, destination.user)
        _ = shout_set_password(shout, passwords[index])
        _ = shout_set_mount(shout, destination.mount)
        _ = shout_set_protocol(shout, UInt32(SHOUT_PROTOCOL_HTTP))
        _ = shout_set_content_format(shout, UInt32(SHOUT_FORMAT_MP3), UInt32(SHOUT_USAGE_AUDIO), nil)
        _ = shout_set_agent(shout, "Regie")
        _ = shout_set_public(shout, destination.isPublic ? 1 : 0)
        if let name = destination.name { _ = shout_set_meta(shout, "name", name) }
        if let text = destination.streamDescription { _ = shout_set_meta(shout, "description", text) }
        if let genre = destination.genre { _ = shout_set_meta(shout, "genre", genre) }
        _ = shout_set_audio_info(shout, "bitrate", String(encoder.bitrateKbps))
        _ = shout_set_audio_info(shout, "samplerate", String(sampleRate))
        _ = shout_set_audio_info(shout, "channels", "2")
        // Non-blocking: a server that is slow to answer never stalls the stream thread.
        _ = shout_set_nonblocking(shout, 1)
        return shout
    }

    private func connected(_ c: inout Connection, index: Int) {
        c.connecting = false
        c.backoff = Self.firstRetry
        c.titleSent = nil
        c.nextTitleAttempt = 0
        let again = c.everConnected
        c.everConnected = true
        let destination = lock.withLock {
            mounts[index].state = .connected
            if again { mounts[index].reconnects += 1 }
            mounts[index].failedAttempts = 0
            mounts[index].lastError = nil
            mounts[index].loginRefused = false
            return mounts[index].destination
        }
        onEvent(.connected(destination, again: again))
    }

    private func failed(_ c: inout Connection, index: Int, now: UInt64, code: Int32) {
        let reason = c.shout.map { String(cString: shout_get_error($0)) } ?? "out of memory"
        close(&c)
        let refused = code == SHOUTERR_NOLOGIN
        let wait = refused ? Self.longestRetry : c.backoff
        c.backoff = min(c.backoff * 2, Self.longestRetry)
        c.nextAttempt = now + UInt64(wait * 1e9)
        let (destination, first) = lock.withLock { () -> (StreamDestination, Bool) in
            let first = mounts[index].state != .down || mounts[index].lastError != reason
            mounts[index].state = .down
            mounts[index].failedAttempts += 1
            mounts[index].lastError = reason
            mounts[index].loginRefused = refused
            return (mounts[index].destination, first)
        }
        // Each new reason is said once; the same failure again only moves the countdown.
        if first { onEvent(.down(destination, reason: Self.explain(reason, refused: refused), retryIn: wait, loginRefused: refused)) }
    }

    static func explain(_ reason: String, refused: Bool) -> String {
        refused ? "Icecast refused the login (\(reason)): check the password, or another source holds the mount" : reason
    }

    /// Hands `bytes` to a mount; false (and the connection dropped, to be made again) when it
    /// failed or the server has stopped taking what it is sent.
    @discardableResult
    private func send(_ bytes: [UInt8], on c: inout Connection, index: Int, now: UInt64) -> Bool {
        guard let shout = c.shout else { return false }
        let result = bytes.withUnsafeBufferPointer { shout_send(shout, $0.baseAddress, $0.count) }
        if result != SHOUTERR_SUCCESS && result != SHOUTERR_BUSY {
            failed(&c, index: index, now: now, code: result)
            return false
        }
        if shout_queuelen(shout) > Self.maximumQueue {
            failed(&c, index: index, now: now, code: SHOUTERR_SOCKET)
            return false
        }
        lock.withLock { mounts[index].bytesSent += Int64(bytes.count) }
        return true
    }

    private func close(_ c: inout Connection) {
        if let shout = c.shout {
            _ = shout_close(shout)
            shout_free(shout)
        }
        c.shout = nil
        c.connecting = false
    }

    /// Listeners per mount from each server's `status-json.xsl`, fetched without waiting (the
    /// answer lands on URLSession's queue).
    private func pollListeners() {
        let destinations = lock.withLock { mounts.map(\.destination) }
        var servers: [String: [Int]] = [:]
        for (index, destination) in destinations.enumerated() {
            servers["\(destination.host):\(destination.port)", default: []].append(index)
        }
        for (server, indices) in servers {
            guard let url = URL(string: "http://\(server)/status-json.xsl") else { continue }
            var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 4)
            request.httpMethod = "GET"
            URLSession.shared.dataTask(with: request) { [self] data, _, _ in
                guard let data, let counts = IcecastStatus.listeners(in: data) else { return }
                lock.withLock {
                    for index in indices { mounts[index].listeners = counts[mounts[index].destination.mount] }
                }
            }.resume()
        }
    }
}

/// Icecast's `status-json.xsl`: `{"icestats": {"source": {…} or [{…}, …]}}`, each source with
/// `listenurl`, `listeners`, `title`.
package enum IcecastStatus {
    /// Listeners per mount.
    package static func listeners(in data: Data) -> [String: Int]? {
        sources(in: data)?.reduce(into: [:]) { $0[$1.mount] = $1.listeners }
    }

    /// Each source's mount, listeners and title.
    package static func sources(in data: Data) -> [(mount: String, listeners: Int, title: String?)]? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let stats = root["icestats"] as? [String: Any] else { return nil }
        let list: [[String: Any]] = (stats["source"] as? [[String: Any]]) ?? ((stats["source"] as? [String: Any]).map { [$0] } ?? [])
        return list.compactMap { source in
            guard let listen = source["listenurl"] as? String, let url = URL(string: listen) else { return nil }
            let listeners = (source["listeners"] as? Int) ?? (source["listeners"] as? NSNumber)?.intValue ?? 0
            let title = source["title"] as? String ?? (source["title"] as? NSNumber)?.stringValue
            return (url.path, listeners, title)
        }
    }
}
