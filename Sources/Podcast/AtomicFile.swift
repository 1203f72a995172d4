import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file replacement: a reader sees either the old file or the whole new one.
/// Data goes to a temporary file in the same directory, is flushed with fsync, renamed over the
/// target, and the directory is fsynced so the rename itself survives a power cut.
enum AtomicFile {
    /// Replaces `name` in `dir` with `bytes`.
    static func write(_ bytes: [UInt8], to dir: URL, name: String) throws {
        try replace(in: dir, name: name) { fd, tmpPath in
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: tmpPath) }
        }
    }

    /// Replaces `name` in `dir` with a copy of `source`; returns the number of bytes copied.
    @discardableResult
    static func copy(_ source: URL, to dir: URL, name: String) throws -> Int64 {
        let src = open(source.path, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw error(source.path) }
        defer { close(src) }
        var total: Int64 = 0
        try replace(in: dir, name: name) { fd, tmpPath in
            let chunk = 1 << 20
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = read(src, buffer.baseAddress, chunk)
                if n < 0 { if errno == EINTR { continue }; throw error(source.path) }
                if n == 0 { break }
                try writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: tmpPath)
                total += Int64(n)
            }
        }
        return total
    }

    /// Removes `name` from `dir` (if present) and makes the removal durable.
    static func remove(_ name: String, in dir: URL) throws {
        let path = dir.appendingPathComponent(name).path
        if unlink(path) != 0 && errno != ENOENT { throw error(path) }
        try syncDirectory(dir)
    }

    private static func replace(in dir: URL, name: String, _ fill: (Int32, String) throws -> Void) throws {
        let tmpPath = dir.appendingPathComponent(".tmp-\(name)-\(UUID().uuidString)").path
        let fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error(tmpPath) }
        var done = false
        defer { if !done { unlink(tmpPath) } }
        do {
            try fill(fd, tmpPath)
            guard fsync(fd) == 0 else { throw error(tmpPath) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw error(tmpPath) }
        let target = dir.appendingPathComponent(name).path
        guard rename(tmpPath, target) == 0 else { throw error(target) }
        done = true
        try syncDirectory(dir)
    }

    /// fsync on the directory itself, so renames and unlinks in it are on disk.
    static func syncDirectory(_ dir: URL) throws {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error(dir.path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error(dir.path) }
    }

    private static func writeAll(_ fd: Int32, _ data: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < data.count {
            let n = sysWrite(fd, data.baseAddress! + offset, data.count - offset)
            if n < 0 { if errno == EINTR { continue }; throw error(path) }
            offset += n
        }
    }

    private static func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, p, n)
        #else
        Darwin.write(fd, p, n)
        #endif
    }

    static func error(_ path: String) -> PodcastError {
        .io(path, String(cString: strerror(errno)))
    }
}

/// An exclusive advisory lock on `.publish.lock` in a folder, so two publishers never
/// interleave their read-modify-write of `episodes.json`.
final class FolderLock {
    private let fd: Int32

    init(_ dir: URL) throws {
        let path = dir.appendingPathComponent(".publish.lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.error(path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { let e = AtomicFile.error(path); close(fd); throw e }
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
