// Crash-safe file replacement, the one way every part of Régie writes a file that someone else may
// be reading (a feed, an episode, a render, a cache): the data goes to a temporary file in the same
// folder, is flushed with fsync, renamed over the final name, and the folder is fsynced so that the
// rename itself survives a power cut. A reader sees the old file or the whole new one, never a part.
import Glibc

/// A file being written under a temporary name beside its final name.
package struct PendingFile: Sendable {
    /// The final name.
    package let path: String
    /// Where the data is written until `commit`.
    package let temporaryPath: String

    /// A pending file written at `temporaryPath` (same folder as `path`, or the rename is not atomic).
    package init(path: String, temporaryPath: String) {
        self.path = path
        self.temporaryPath = temporaryPath
    }

    /// A hidden temporary name (`.<name>.<random>.tmp`): what a web server hides and a later
    /// writer never collides with. For files in a published folder.
    package static func hidden(for path: String) -> PendingFile {
        let (folder, name) = AtomicFile.split(path)
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        return PendingFile(path: path, temporaryPath: folder + "/." + name + "." + random + ".tmp")
    }

    /// `<path>.part`: a visible temporary name, for renders a person waits for (one writer).
    package static func part(for path: String) -> PendingFile {
        PendingFile(path: path, temporaryPath: path + ".part")
    }

    /// Creates the temporary file for reading and writing: `exclusive` refuses an existing one
    /// (hidden names), otherwise it is truncated (`.part` left by an interrupted run).
    package func create(exclusive: Bool = true) throws -> Int32 {
        let flags = O_RDWR | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let fd = open(temporaryPath, flags, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path: temporaryPath) }
        return fd
    }

    /// Makes the file durable and gives it its final name: fsync and close of `fd` (or of the
    /// temporary file when another library wrote and closed it), rename, fsync of the folder.
    /// On error the temporary file is removed and nothing changes under the final name.
    package func commit(closing fd: Int32? = nil) throws {
        do {
            let handle = fd ?? open(temporaryPath, O_RDONLY | O_CLOEXEC)
            guard handle >= 0 else { throw FileSystemError("open", path: temporaryPath) }
            if fsync(handle) != 0 {
                let error = FileSystemError("fsync", path: temporaryPath)
                close(handle)
                throw error
            }
            if close(handle) != 0 { throw FileSystemError("close", path: temporaryPath) }
            if rename(temporaryPath, path) != 0 { throw FileSystemError("rename", path: path) }
        } catch {
            unlink(temporaryPath)
            throw error
        }
        try AtomicFile.syncDirectory(containing: path)
    }

    /// Abandons the file: closes `fd` if given and removes the temporary name.
    package func abandon(closing fd: Int32? = nil) {
        if let fd { close(fd) }
        unlink(temporaryPath)
    }
}

/// Whole-file atomic operations.
package enum AtomicFile {
    /// Replaces `path` with `bytes`.
    package static func write(_ bytes: [UInt8], to path: String) throws {
        let pending = PendingFile.hidden(for: path)
        let fd = try pending.create()
        do {
            try SystemCall.writeAll(fd, bytes, path: pending.temporaryPath)
        } catch {
            pending.abandon(closing: fd)
            throw error
        }
        try pending.commit(closing: fd)
    }

    /// Replaces `path` with a copy of `source`; returns the number of bytes copied.
    @discardableResult
    package static func copy(from source: String, to path: String) throws -> Int64 {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError("open", path: source) }
        defer { close(input) }
        let pending = PendingFile.hidden(for: path)
        let fd = try pending.create()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        do {
            while true {
                let n = SystemCall.retryingInterrupts { read(input, buffer.baseAddress, chunk) }
                if n < 0 { throw FileSystemError("read", path: source) }
                if n == 0 { break }
                try SystemCall.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: pending.temporaryPath)
                total += Int64(n)
            }
        } catch {
            pending.abandon(closing: fd)
            throw error
        }
        try pending.commit(closing: fd)
        return total
    }

    /// Whether the regular files at `a` and `b` hold the same bytes (false when either cannot be
    /// read). Sizes first, then 1 MiB at a time.
    package static func sameContent(_ a: String, _ b: String) -> Bool {
        var statA = stat(), statB = stat()
        guard stat(a, &statA) == 0, stat(b, &statB) == 0, statA.st_size == statB.st_size else { return false }
        let fdA = open(a, O_RDONLY | O_CLOEXEC), fdB = open(b, O_RDONLY | O_CLOEXEC)
        defer { if fdA >= 0 { close(fdA) }; if fdB >= 0 { close(fdB) } }
        guard fdA >= 0, fdB >= 0 else { return false }
        let chunk = 1 << 20
        let bufferA = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        let bufferB = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { bufferA.deallocate(); bufferB.deallocate() }
        while true {
            let n = SystemCall.retryingInterrupts { read(fdA, bufferA.baseAddress, chunk) }
            guard n >= 0 else { return false }
            if n == 0 { return true }
            var got = 0
            while got < n {
                let m = SystemCall.retryingInterrupts { read(fdB, bufferB.baseAddress! + got, n - got) }
                guard m > 0 else { return false }
                got += m
            }
            guard memcmp(bufferA.baseAddress!, bufferB.baseAddress!, n) == 0 else { return false }
        }
    }

    /// Removes `path` if it is there, and makes the removal durable.
    package static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError("unlink", path: path) }
        try syncDirectory(containing: path)
    }

    /// fsync of the folder that holds `path`, so a new, renamed or removed entry survives a power cut.
    package static func syncDirectory(containing path: String) throws {
        let folder = split(path).folder
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path: folder) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError("fsync", path: folder) }
    }

    /// The folder (`.` for a bare name) and the last component of a path.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}

/// An exclusive advisory lock (`flock`) on a file in a folder, held until released: two writers
/// of the same folder (two publishers, two live shows) never interleave their changes.
package final class FolderLock {
    private let fd: Int32

    /// Waits for the lock on `<folder>/<name>` (created if missing).
    package init(_ folder: String, name: String = ".publish.lock") throws {
        let path = folder + "/" + name
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path: path) }
        // On error the descriptor is closed by deinit (the instance is fully initialised).
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw FileSystemError("flock", path: path) }
        }
    }

    deinit {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
    }
}
