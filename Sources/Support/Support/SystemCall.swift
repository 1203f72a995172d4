// System calls that an interrupting signal may cut short, retried the one way, and the error a
// failing file operation reports everywhere (the operation, the path and errno).
import CLinux
import Glibc

/// A file-system call that failed: which call, on which path, and its `errno`.
package struct FileSystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call (`open`, `write`, `fsync`, `rename`, …).
    package var operation: String
    /// The path it was made on.
    package var path: String
    /// Its error number.
    package var code: Int32

    package init(_ operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The error's text from the C library (`No space left on device`).
    package var reason: String { String(cString: strerror(code)) }

    package var description: String { "\(operation) failed on \(path): \(reason)" }
}

/// EINTR-safe wrappers of the calls that write, read and wait.
package enum SystemCall {
    /// Calls `body` again while it fails with EINTR; returns its last result (check `errno` when
    /// it is negative).
    @inline(__always) package static func retryingInterrupts<Result: BinaryInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// Writes all of `bytes` to `fd` (short writes continue, EINTR retries).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = retryingInterrupts { Glibc.write(fd, base + done, bytes.count - done) }
            if n < 0 { throw FileSystemError("write", path: path) }
            done += n
        }
    }

    /// Writes all of `bytes` to `fd`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in try writeAll(fd, raw, path: path) }
    }

    /// Writes all of `bytes` to `fd` at `offset`, leaving the file offset alone.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = retryingInterrupts { pwrite(fd, base + done, raw.count - done, off_t(offset) + off_t(done)) }
                if n < 0 { throw FileSystemError("pwrite", path: path) }
                done += n
            }
        }
    }

    /// Reads up to `count` bytes at `offset`; 0 at the end of the file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64,
                             path: String) throws -> Int {
        let n = retryingInterrupts { pread(fd, buffer, count, off_t(offset)) }
        if n < 0 { throw FileSystemError("pread", path: path) }
        return n
    }

    /// Reserves `bytes` of disk space for the file behind `fd` without changing its size, so that
    /// its appends cannot fail for want of space until they pass the reserve (a disk filled by
    /// someone else mid-show). False (errno set) when the space is not there or the file system
    /// cannot reserve.
    @discardableResult
    package static func reserveSpace(_ fd: Int32, bytes: Int64) -> Bool {
        retryingInterrupts { regie_reserve_space(fd, bytes) } == 0
    }

    /// Sleeps until `nanoseconds` on the monotonic clock (`MonotonicClock`), however many
    /// signals arrive meanwhile.
    package static func sleep(untilMonotonic nanoseconds: Int64) {
        var deadline = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
    }
}
