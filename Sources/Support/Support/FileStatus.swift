// What kind of file a path or descriptor is, and its size and time: one `stat` reading for the
// server, the checks before air and the publishers (a FIFO or a device must never be opened as
// if it were audio or a page: opening a FIFO for reading blocks until a writer comes).
import Glibc

/// A file's kind, size and modification time.
package struct FileStatus: Equatable, Sendable {
    /// What a directory entry is.
    package enum Kind: Equatable, Sendable {
        case regular, directory, fifo, characterDevice, blockDevice, socket, symbolicLink, other
    }

    /// Its kind.
    package var kind: Kind
    /// Size in bytes.
    package var size: Int64
    /// Last modification, whole seconds since 1970.
    package var modifiedSeconds: Int64
    /// Last modification, nanoseconds since 1970.
    package var modifiedNanoseconds: Int64

    private init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFSOCK: kind = .socket
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        size = Int64(st.st_size)
        modifiedSeconds = Int64(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    /// The status of an open descriptor; nil when `fstat` fails.
    package init?(descriptor fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        self.init(st)
    }

    /// The status of the file at `path` (following symbolic links unless `followingLinks` is
    /// false); nil when it does not exist or cannot be reached (`errno` says why).
    package init?(path: String, followingLinks: Bool = true) {
        var st = stat()
        guard (followingLinks ? stat(path, &st) : lstat(path, &st)) == 0 else { return nil }
        self.init(st)
    }
}
