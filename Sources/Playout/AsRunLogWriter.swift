// The live show's as-run log writer: lines appended and fsync'd as things happen, on a thread of
// its own so that no one on air waits for the disk. The format is `Production.AsRunLog`.
import Foundation
import Glibc
import Production
import Realtime
import Support

/// Writes the as-run log on its own (control) thread.
///
/// Threading: control threads call `log(_:file:message:)` (it only appends to a locked list); the
/// writer thread takes the list, resolves titles from the catalog and appends one line per event
/// with `write(2)` + `fsync(2)`, so a crash or `kill -9` leaves every logged line complete. A write
/// error is counted (`writeErrors`) and never blocks anyone.
package final class AsRunLogWriter: @unchecked Sendable {
    /// The log file.
    package let url: URL
    /// What the indices mean.
    package var catalog: AsRunCatalog { lock.withLock { catalogValue } }
    private var catalogValue: AsRunCatalog
    /// Time zone of the `wall` field (default: the machine's).
    package let timeZone: TimeZone

    private let lock = NSLock()
    private var controlEvents: [(AsRunEvent, String?, String?)] = []
    private var fd: Int32 = -1
    private var sequence = 0
    private var thread: Thread?
    private let stopFlag = AtomicFlag()
    private let stopped = DispatchSemaphore(value: 0)
    private var counters = (lines: 0, errors: 0, lastErrno: Int32(0))
    /// Disk space reserved for the log when it is created.
    static let reservedBytes: Int64 = 1 << 20

    /// Creates `url` (never an existing file, never through a symbolic link: each run has a log
    /// of its own, and no one can make the station's legal log land elsewhere) and writes its
    /// `log_opened` line.
    /// - Throws: `FileSystemError` when the file cannot be created (EEXIST when it exists, or is a
    ///   symbolic link); a writer that cannot open is not created.
    package init(url: URL, catalog: AsRunCatalog, timeZone: TimeZone = .current) throws {
        self.url = url
        self.catalogValue = catalog
        self.timeZone = timeZone
        fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path: url.path) }
        // Held while this run lives (the kernel lets go when the process dies, even by kill -9):
        // how a later run tells a log still being written from one whose run was cut short.
        _ = flock(fd, LOCK_EX | LOCK_NB)
        // The legal log keeps writing when the disk fills up: its space is set aside now (a
        // megabyte is some five thousand lines).
        SystemCall.reserveSpace(fd, bytes: Self.reservedBytes)
        writeLine(AsRunEvent(.logOpened, position: 0, wallNanoseconds: WallClock.nanoseconds()), file: nil, message: nil)
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Control threads: an item inserted on air gets the next index of the catalog (its id).
    package func addItem(_ item: AsRunCatalog.Item) {
        lock.withLock { catalogValue.items.append(item) }
    }

    /// Lines written so far (this session, including `log_opened`).
    package var linesWritten: Int { lock.withLock { counters.lines } }
    /// Lines that could not be written (disk errors); the last `errno` in `lastErrno`.
    package var writeErrors: Int { lock.withLock { counters.errors } }
    /// `errno` of the last failed write, 0 if none.
    package var lastErrno: Int32 { lock.withLock { counters.lastErrno } }

    /// Control threads: logs `event` (stamped now if unstamped) with an optional file and message.
    /// Written by the writer thread at its next drain (or by `drain()`).
    package func log(_ event: AsRunEvent, file: String? = nil, message: String? = nil) {
        var event = event
        if event.wallNanoseconds == 0 { event.wallNanoseconds = WallClock.nanoseconds() }
        lock.withLock { controlEvents.append((event, file, message)) }
    }

    /// Starts the writer thread, draining every `interval` seconds (lines carry their own
    /// positions and times, so a tenth of a second costs nothing in accuracy); `stop()` ends it.
    package func start(interval: Double = 0.1) {
        precondition(thread == nil, "AsRunLogWriter started twice")
        let t = Thread { [self] in
            Thread.current.name = "regie-asrun"
            while !stopFlag.isRaised {
                drain()
                usleep(useconds_t(interval * 1_000_000))
            }
            drain()
            stopped.signal()
        }
        t.name = "regie-asrun"
        thread = t
        t.start()
    }

    /// Stops the writer thread after a last drain (or drains once if it was never started).
    /// What is logged afterwards waits for `drain()` or `close()`.
    package func stop() {
        if thread != nil {
            stopFlag.raise()
            stopped.wait()
            thread = nil
        } else {
            drain()
        }
    }

    /// Stops, writes what is left and closes the log: the run is over, and a later run sees its
    /// log unlocked. Nothing logged afterwards is written.
    package func close() {
        stop()
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Writes every queued event now. Call from one thread at a time (the writer thread, or the
    /// owner when the thread is not started).
    package func drain() {
        let pending = lock.withLock { () -> [(AsRunEvent, String?, String?)] in
            defer { controlEvents.removeAll(keepingCapacity: true) }
            return controlEvents
        }
        for (event, file, message) in pending { writeLine(event, file: file, message: message) }
    }

    private func writeLine(_ event: AsRunEvent, file: String?, message: String?) {
        var event = event
        if event.wallNanoseconds == 0 { event.wallNanoseconds = WallClock.nanoseconds() }
        sequence += 1
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(event.wallNanoseconds) / 1e9))
        let catalog = self.catalog
        let line = Array(AsRunLog.line(for: event, sequence: sequence, catalog: catalog, file: file, message: message,
                                       utcOffsetSeconds: offset).utf8) + [0x0A]
        guard fd >= 0 else { return }
        var failure: Int32 = 0
        do {
            try SystemCall.writeAll(fd, line, path: url.path)
            // One fsync a line: the log is the legal record, and lines are rare (a few a minute).
            if fsync(fd) != 0 { failure = errno }
        } catch {
            failure = (error as? FileSystemError)?.code ?? EIO
        }
        lock.withLock {
            if failure == 0 { counters.lines += 1 } else { counters.errors += 1; counters.lastErrno = failure }
        }
    }
}

