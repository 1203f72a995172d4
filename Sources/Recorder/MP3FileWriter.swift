import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors from writing an MP3 file.
public enum MP3FileWriterError: Error, Equatable, CustomStringConvertible {
    /// Crash-safe mode never overwrites: the final file already exists.
    case fileExists(path: String)
    /// A system call failed (`operation` is the call, `errno` its error number).
    case io(operation: String, path: String, errno: Int32)
    /// The writer was used after `finish()` or `cancel()`.
    case closed

    /// A one-line explanation.
    public var description: String {
        switch self {
        case let .fileExists(path): "\(path) already exists; a live recording never overwrites a file"
        case let .io(op, path, code): "\(op) failed on \(path): \(String(cString: strerror(code)))"
        case .closed: "the MP3 file writer is already finished or cancelled"
        }
    }
}

/// Writes an MP3 episode: an ID3v2.3 tag with reserved padding up front, then the audio as it is
/// encoded; `finish()` writes the LAME info frame over the first audio frame and the final tag
/// (chapters, length) over the first one, in place when it fits.
///
/// Threading: not thread-safe. One thread owns the writer (the offline renderer, or the recorder
/// thread fed by the engine's ring); all calls, including the periodic fsync in crash-safe mode,
/// happen on that thread. `write` is designed not to allocate once the writer is created (output
/// and write buffers are preallocated; not measured by a test yet).
public final class MP3FileWriter {
    /// How the file reaches its final name.
    public enum Mode: Sendable, Equatable {
        /// Writes `<name>.part` and renames it to the final name on `finish()`: an interrupted
        /// render never leaves a file under the final name.
        case atomic
        /// Writes straight to the final name (which must not exist yet) and makes the data durable
        /// every `syncInterval` seconds of audio, so a crash leaves a playable MP3 of everything but
        /// the last seconds.
        case crashSafe(syncInterval: Double = 2)
    }

    /// What `finish()` wrote.
    public struct Summary: Sendable, Equatable {
        /// Sample frames encoded.
        public var frames: Int64
        /// Audio length in milliseconds (rounded).
        public var durationMs: Int
        /// Size of the ID3v2 tag at the head of the file (header, frames and padding).
        public var tagBytes: Int
        /// Size of the MP3 audio data after the tag.
        public var audioBytes: Int64
        /// Whether the final tag had to be written by rewriting the file (it outgrew the reserve).
        public var rewroteFile: Bool
    }

    /// The file's final path.
    public let url: URL
    /// The path being written: `url` in crash-safe mode, `url` + ".part" in atomic mode.
    public let workingURL: URL
    /// How the file reaches its final name.
    public let mode: Mode
    /// The encoder (its settings are readable here).
    public let encoder: MP3Encoder
    /// Sample frames written so far.
    public var framesWritten: Int64 { encoder.framesEncoded }
    /// Sample frames whose MP3 data has been handed to the kernel and fsynced (crash-safe mode).
    public private(set) var framesDurable: Int64 = 0

    private var tag: ID3v2Tag
    private let tagBytes: Int
    private var fd: Int32
    private var audioBytes: Int64 = 0
    private var closed = false
    private let pending: UnsafeMutablePointer<UInt8>
    private let pendingCapacity: Int
    private var pendingCount = 0
    private var framesSinceSync: Int64 = 0
    private let syncEveryFrames: Int64

    /// Creates the file and writes `tag` followed by `reservedTagSpace` bytes of padding, so the
    /// final tag (with chapters) can later be written in place.
    ///
    /// - Throws: `MP3FileWriterError.fileExists` in crash-safe mode if `url` exists; `.io` if the
    ///   file cannot be created; `MP3EncoderError` for settings LAME rejects.
    public init(url: URL, mode: Mode, sampleRate: Int, channels: Int = 2, bitrateKbps: Int = 128,
                quality: Int = 2, tag: ID3v2Tag, reservedTagSpace: Int = 64 * 1024) throws {
        self.url = url
        self.mode = mode
        self.tag = tag
        encoder = try MP3Encoder(sampleRate: sampleRate, channels: channels, bitrateKbps: bitrateKbps,
                                 quality: quality)
        let head = try tag.serialized(padding: reservedTagSpace)
        tagBytes = head.count
        // Room for several encoder outputs, so write(2) runs every ~64 KiB, not every block.
        pendingCapacity = 4 * (encoder.maxFramesPerCall + encoder.maxFramesPerCall / 4 + 7200)
        switch mode {
        case .atomic:
            workingURL = URL(fileURLWithPath: url.path + ".part")
            syncEveryFrames = .max
            fd = open(workingURL.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        case let .crashSafe(interval):
            workingURL = url
            syncEveryFrames = max(1, Int64(interval * Double(sampleRate)))
            // O_EXCL: a live recording must never clobber an earlier one.
            fd = open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 && errno == EEXIST { throw MP3FileWriterError.fileExists(path: url.path) }
        }
        guard fd >= 0 else { throw MP3FileWriterError.io(operation: "open", path: workingURL.path, errno: errno) }
        pending = .allocate(capacity: pendingCapacity)
        do {
            try Self.writeAll(fd, head, path: workingURL.path)
            if case .crashSafe = mode {
                try sync()
                try Self.syncDirectory(of: url)
            }
        } catch {
            // Fully initialised: deinit still runs (and frees `pending`), so only mark closed.
            Glibc.close(fd)
            unlink(workingURL.path)
            closed = true
            throw error
        }
    }

    deinit {
        if !closed { cancel() }
        pending.deallocate()
    }

    /// Encodes and writes `frames` frames from separate channel buffers (`right` nil for mono).
    public func write(left: UnsafePointer<Float>, right: UnsafePointer<Float>?, frames: Int) throws {
        guard !closed else { throw MP3FileWriterError.closed }
        try encoder.encode(left: left, right: right, frames: frames) { try append($0) }
        try didWrite(frames)
    }

    /// Encodes and writes `frames` interleaved stereo frames.
    public func write(interleaved: UnsafePointer<Float>, frames: Int) throws {
        guard !closed else { throw MP3FileWriterError.closed }
        try encoder.encode(interleaved: interleaved, frames: frames) { try append($0) }
        try didWrite(frames)
    }

    /// Finishes the file: flushes the encoder, writes the LAME info frame and the final tag
    /// (`finalTag`, or the initial one; TLEN filled in from the frames written if unset), fsyncs,
    /// and in atomic mode renames `<name>.part` to the final name.
    @discardableResult
    public func finish(tag finalTag: ID3v2Tag? = nil) throws -> Summary {
        guard !closed else { throw MP3FileWriterError.closed }
        var finalTag = finalTag ?? tag
        let durationMs = Chapter.milliseconds(frames: framesWritten, sampleRate: encoder.sampleRate)
        if finalTag.lengthMs == nil { finalTag.lengthMs = durationMs }
        var rewrote = false
        var headBytes = tagBytes
        do {
            try encoder.flush { try append($0) }
            try drainPending()
            let info = encoder.lameTagFrame()
            if !info.isEmpty { try pwriteAll(info, at: off_t(tagBytes)) }
            do {
                try pwriteAll(try finalTag.serialized(totalSize: tagBytes), at: 0)
            } catch ID3v2TagError.doesNotFit {
                headBytes = try rewriteWithTag(finalTag)
                rewrote = true
            }
            try sync()
            Glibc.close(fd)
            closed = true
            if case .atomic = mode, rename(workingURL.path, url.path) != 0 {
                throw MP3FileWriterError.io(operation: "rename", path: url.path, errno: errno)
            }
            try Self.syncDirectory(of: url)
        } catch {
            if !closed { cancel() }
            throw error
        }
        return Summary(frames: framesWritten, durationMs: durationMs, tagBytes: headBytes,
                       audioBytes: audioBytes, rewroteFile: rewrote)
    }

    /// Abandons the file. Atomic mode: removes `<name>.part`, leaving nothing. Crash-safe mode:
    /// writes out what was encoded and closes, leaving a playable file without the info frame.
    /// Also what happens when the writer is dropped without `finish()`.
    public func cancel() {
        guard !closed else { return }
        closed = true
        switch mode {
        case .atomic:
            Glibc.close(fd)
            unlink(workingURL.path)
        case .crashSafe:
            try? drainPending()
            _ = fdatasync(fd)
            Glibc.close(fd)
        }
    }

    /// Writes an MP3 made without encoding (a recording's audio frames, kept or gain-changed) as
    /// atomic mode does: `tag` (with `padding`) then `audio` into `<name>.part`, fsync, rename to
    /// `url`, fsync of the folder; an error leaves nothing under either name. Returns the tag size.
    @discardableResult
    public static func writeAtomically(url: URL, tag: ID3v2Tag, padding: Int = 4096, audio: [UInt8]) throws -> Int {
        let head = try tag.serialized(padding: padding)
        let part = url.path + ".part"
        let fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MP3FileWriterError.io(operation: "open", path: part, errno: errno) }
        do {
            try writeAll(fd, head, path: part)
            try writeAll(fd, audio, path: part)
            if fsync(fd) != 0 { throw MP3FileWriterError.io(operation: "fsync", path: part, errno: errno) }
            Glibc.close(fd)
        } catch {
            Glibc.close(fd)
            unlink(part)
            throw error
        }
        if rename(part, url.path) != 0 {
            let code = errno
            unlink(part)
            throw MP3FileWriterError.io(operation: "rename", path: url.path, errno: code)
        }
        try syncDirectory(of: url)
        return head.count
    }

    // MARK: - Internals

    private func didWrite(_ frames: Int) throws {
        framesSinceSync += Int64(frames)
        if framesSinceSync >= syncEveryFrames {
            try drainPending()
            try sync()
            framesSinceSync = 0
            // LAME holds back up to about two MP3 frames of input; those are not durable yet.
            framesDurable = max(0, framesWritten - 2 * 1152 - Int64(encoder.encoderDelay))
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        if pendingCount + bytes.count > pendingCapacity { try drainPending() }
        if bytes.count > pendingCapacity {
            try Self.writeAll(fd, bytes, path: workingURL.path)
        } else {
            (pending + pendingCount).update(from: bytes.bindMemory(to: UInt8.self).baseAddress!,
                                            count: bytes.count)
            pendingCount += bytes.count
        }
        audioBytes += Int64(bytes.count)
    }

    private func drainPending() throws {
        guard pendingCount > 0 else { return }
        try Self.writeAll(fd, UnsafeRawBufferPointer(start: pending, count: pendingCount),
                          path: workingURL.path)
        pendingCount = 0
    }

    private func sync() throws {
        if fsync(fd) != 0 { throw MP3FileWriterError.io(operation: "fsync", path: workingURL.path, errno: errno) }
    }

    private func pwriteAll(_ bytes: [UInt8], at offset: off_t) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, offset + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw MP3FileWriterError.io(operation: "pwrite", path: workingURL.path, errno: errno)
                }
                done += n
            }
        }
    }

    /// The final tag outgrew the reserve: writes tag + audio to a temporary file next to the
    /// working file and renames it over it. Returns the new tag size.
    private func rewriteWithTag(_ finalTag: ID3v2Tag) throws -> Int {
        let head = try finalTag.serialized(padding: 4096)
        let tmpPath = workingURL.path + ".retag"
        let out = open(tmpPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw MP3FileWriterError.io(operation: "open", path: tmpPath, errno: errno) }
        do {
            try Self.writeAll(out, head, path: tmpPath)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var offset = off_t(tagBytes)
            while true {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw MP3FileWriterError.io(operation: "pread", path: workingURL.path, errno: errno)
                }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try Self.writeAll(out, UnsafeRawBufferPointer(rebasing: $0[0..<n]), path: tmpPath) }
                offset += off_t(n)
            }
            if fsync(out) != 0 { throw MP3FileWriterError.io(operation: "fsync", path: tmpPath, errno: errno) }
            if rename(tmpPath, workingURL.path) != 0 {
                throw MP3FileWriterError.io(operation: "rename", path: tmpPath, errno: errno)
            }
        } catch {
            Glibc.close(out)
            unlink(tmpPath)
            throw error
        }
        Glibc.close(fd)
        fd = out
        return head.count
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    private static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw MP3FileWriterError.io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    /// fsync of the folder, so a new or renamed entry survives a power loss.
    private static func syncDirectory(of url: URL) throws {
        let dir = url.deletingLastPathComponent().path
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw MP3FileWriterError.io(operation: "open", path: dir, errno: errno) }
        defer { Glibc.close(dfd) }
        _ = fsync(dfd)
    }
}
