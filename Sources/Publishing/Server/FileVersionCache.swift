import NIOCore
import Support
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the server knows of one version of a published file: its validators and headers,
/// formatted once, and for a small file (the feed, the page, chapters) its bytes.
struct FileVersion: Sendable {
    /// The version: same device, inode, size and modification time.
    let device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64
    let modifiedSeconds: Int64
    let etag: String
    let lastModified: String
    let contentType: String
    let cacheControl: String
    /// The whole file, when small enough to keep; larger files are sent from the page cache.
    let bytes: ByteBuffer?

    init(_ status: FileStatus, name: String, bytes: ByteBuffer?) {
        device = status.device
        inode = status.inode
        size = status.size
        modifiedNanoseconds = status.modifiedNanoseconds
        modifiedSeconds = status.modifiedSeconds
        etag = "\"\(String(status.size, radix: 16))-\(String(status.modifiedNanoseconds, radix: 16))\""
        lastModified = DateText.httpDate(status.modifiedSeconds)
        contentType = MediaTypes.forFile(name)
        cacheControl = MediaTypes.cacheControl(name)
        self.bytes = bytes
    }

    /// Whether `status` describes this version.
    func describes(_ status: FileStatus) -> Bool {
        status.inode == inode && status.device == device && status.size == size
            && status.modifiedNanoseconds == modifiedNanoseconds
    }
}

/// The versions of the files served lately, by path. A hit saves formatting the headers again
/// and, for a small file, reading it: every client of a feed shares one copy of its bytes (one
/// buffer, written to each socket with its headers in a single writev), where a read per request
/// held a copy per client in flight.
final class FileVersionCache: Sendable {
    /// Files up to this size are kept whole.
    static let smallFile: Int64 = 128 << 10
    /// Bytes of small files kept at most; past it the cache starts again empty.
    static let budget = 16 << 20

    private struct State {
        var versions: [String: FileVersion] = [:]
        var bytesHeld = 0
    }

    private let state = Mutex(State())

    /// The version of the open file `fd` at `path` (relative to the folder), whose status is
    /// `status`: from the cache when it still describes the file, else made (and read, if
    /// small) and kept.
    func version(of path: String, fd: Int32, status: FileStatus) -> FileVersion {
        if let known = state.withLock({ $0.versions[path] }), known.describes(status) { return known }
        var bytes: ByteBuffer?
        if status.size <= Self.smallFile, let read = Self.readWhole(fd, size: Int(status.size)),
           FileStatus(descriptor: fd).map({ $0 == status }) == true {  // not changed while read
            bytes = read
        }
        let version = FileVersion(status, name: path, bytes: bytes)
        state.withLock { s in
            let size = version.bytes?.readableBytes ?? 0
            if let old = s.versions[path] { s.bytesHeld -= old.bytes?.readableBytes ?? 0 }
            if s.bytesHeld + size > Self.budget {
                s.versions.removeAll(keepingCapacity: true)
                s.bytesHeld = 0
            }
            s.versions[path] = version
            s.bytesHeld += size
        }
        return version
    }

    /// The version kept for `path`, if any (it may no longer be the file's).
    func known(_ path: String) -> FileVersion? {
        state.withLock { $0.versions[path] }
    }

    private static func readWhole(_ fd: Int32, size: Int) -> ByteBuffer? {
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        var done = 0
        while done < size {
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size - done) { raw in
                max(0, pread(fd, raw.baseAddress, size - done, off_t(done)))
            }
            if n == 0 { return nil }  // shrank, or a read error
            done += n
        }
        return buffer
    }
}
