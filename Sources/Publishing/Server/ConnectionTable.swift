import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The server's open connections, and a limit on them that keeps descriptors in reserve.
///
/// At the limit, a new connection takes the place of the one that has waited longest for a
/// request (as nginx reuses its idle keep-alive connections); only when every connection is busy
/// answering is the new one closed. A flood of idle sockets therefore never locks real clients
/// out, and the process never runs out of descriptors (each connection may hold a socket and one
/// open file, hence two descriptors per connection).
package final class ConnectionTable: Sendable {
    /// Connections kept open at most.
    let limit: Int

    private struct Entry {
        let channel: any Channel
        /// Whether it waits for a request, and since which turn of `idleOrder`.
        var idleSince: Int?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        /// Connections in the order they became idle, stale items skipped when read (an entry
        /// is current only while its `idleSince` is the same turn).
        var idleOrder: [(id: ObjectIdentifier, turn: Int)] = []
        var idleStart = 0
        var turn = 0
    }

    private let state = Mutex(State())

    package init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Admits a new connection, making room by closing the longest-idle one at the limit.
    /// Returns false when every open connection is busy: the caller closes the new one.
    package func admit(_ channel: any Channel) -> Bool {
        let evicted: (any Channel)?? = state.withLock { s in
            var victim: (any Channel)?
            if s.entries.count >= limit {
                guard let id = Self.popLongestIdle(&s) else { return nil }
                victim = s.entries.removeValue(forKey: id)?.channel
            }
            s.entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: nil)
            return .some(victim)
        }
        guard let evicted else { return false }
        evicted?.close(promise: nil)
        return true
    }

    /// The connection waits for a request.
    func idle(_ id: ObjectIdentifier) {
        state.withLock { s in
            guard s.entries[id] != nil else { return }
            s.turn += 1
            s.entries[id]!.idleSince = s.turn
            s.idleOrder.append((id, s.turn))
        }
    }

    /// The connection is receiving or answering a request.
    func busy(_ id: ObjectIdentifier) {
        state.withLock { s in s.entries[id]?.idleSince = nil }
    }

    /// The connection is gone.
    func closed(_ id: ObjectIdentifier) {
        state.withLock { s in
            s.entries[id] = nil
            // Drop stale items now and then, so the list stays about the size of the table.
            if s.idleOrder.count - s.idleStart > 4 * s.entries.count + 64 { Self.compact(&s) }
        }
    }

    private static func popLongestIdle(_ s: inout State) -> ObjectIdentifier? {
        while s.idleStart < s.idleOrder.count {
            let item = s.idleOrder[s.idleStart]
            s.idleStart += 1
            if s.entries[item.id]?.idleSince == item.turn { return item.id }
        }
        compact(&s)
        return nil
    }

    private static func compact(_ s: inout State) {
        s.idleOrder = s.idleOrder[s.idleStart...].filter { s.entries[$0.id]?.idleSince == $0.turn }
        s.idleStart = 0
    }

    /// Descriptors this process may open: the soft limit, raised to the hard one first (a
    /// server's business; Debian's soft default of 1,024 is for interactive shells).
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// The connection limit a process with `descriptors` may keep: two per connection (socket and
    /// file), after `reserve` for everything else (listening socket, event loops, logs, the
    /// publisher's files).
    static func limit(descriptors: Int, reserve: Int = 128, wanted: Int) -> Int {
        max(1, min(wanted, (descriptors - reserve) / 2))
    }
}

extension ConnectionTable {
    /// Closes the connections waiting for a request (a server shutting down); returns how many
    /// stay busy answering.
    func closeIdle() -> Int {
        let (idle, busy): ([any Channel], Int) = state.withLock { s in
            let idle = s.entries.values.filter { $0.idleSince != nil }.map(\.channel)
            return (idle, s.entries.count - idle.count)
        }
        for channel in idle { channel.close(promise: nil) }
        return busy
    }

    /// Closes every connection.
    func closeAll() {
        let all = state.withLock { s in s.entries.values.map(\.channel) }
        for channel in all { channel.close(promise: nil) }
    }
}
