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
    /// The file's identity: device and inode numbers (a file renamed over another is a new one).
    package var device: UInt64
    package var inode: UInt64

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
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// The status of an open descriptor; nil when `fstat` fails.
    package init?(descriptor fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        self.init(st)
    }

    /// The status of the file at `path` relative to the open folder `folder` (links followed);
    /// nil when it cannot be reached.
    package init?(path: String, inFolder folder: Int32) {
        var st = stat()
        guard fstatat(folder, path, &st, 0) == 0 else { return nil }
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

extension FileStatus {
    /// Why `path` cannot be read as a file's content, found by `stat` alone (never an `open`,
    /// which blocks on a FIFO): "does not exist", "is a FIFO (named pipe)", "is a symbolic link
    /// loop", …; nil for a regular file. The sentence follows the file's name.
    package static func whyNotARegularFile(_ path: String) -> String? {
        if let status = FileStatus(path: path) {
            switch status.kind {
            case .regular: return nil
            case .directory: return "is a folder, not a file"
            case .fifo: return "is a FIFO (named pipe), not a file: reading it would wait for a writer"
            case .characterDevice, .blockDevice: return "is a device, not a file"
            case .socket: return "is a socket, not a file"
            case .symbolicLink, .other: return "is not a regular file"
            }
        }
        let error = errno
        switch error {
        case ELOOP: return "is a symbolic link loop (a link that leads back to itself)"
        case EACCES: return "cannot be reached: permission denied on a folder of its path"
        case ENOTDIR: return "does not exist (a part of its path is not a folder)"
        case ENOENT:
            if FileStatus(path: path, followingLinks: false)?.kind == .symbolicLink {
                return "is a symbolic link to a file that does not exist"
            }
            return "does not exist"
        default: return "cannot be reached: \(String(cString: strerror(error)))"
        }
    }
}
