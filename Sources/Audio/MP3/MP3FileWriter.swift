package import Foundation
import Glibc
import Support

/// Errors from writing an MP3 file.
package enum MP3FileWriterError: Error, Equatable, CustomStringConvertible {
    /// Crash-safe mode never overwrites: the final file already exists.
    case fileExists(path: String)
    /// A system call failed (`operation` is the call, `errno` its error number).
    case io(operation: String, path: String, errno: Int32)
    /// The writer was used after `finish()` or `cancel()`.
    case closed

    /// A one-line explanation.
    package var description: String {
        switch self {
        case let .fileExists(path): "\(path) already exists; a live recording never overwrites a file"
        case let .io(op, path, code): "\(op) failed on \(path): \(String(cString: strerror(code)))"
        case .closed: "the MP3 file writer is already finished or cancelled"
        }
    }

    /// The same failure as an MP3 writer error.
    init(_ error: FileSystemError) { self = .io(operation: error.operation, path: error.path, errno: error.code) }

    /// Runs a file-system step, reporting its failure as an MP3 writer error.
    static func io<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FileSystemError { throw MP3FileWriterError(error) }
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
package final class MP3FileWriter {
    /// How the file reaches its final name.
    package enum Mode: Sendable, Equatable {
        /// Writes `<name>.part` and renames it to the final name on `finish()`: an interrupted
        /// render never leaves a file under the final name.
        case atomic
        /// Writes straight to the final name (which must not exist yet) and makes the data durable
        /// every `syncInterval` seconds of audio, so a crash leaves a playable MP3 of everything but
        /// the last seconds. `reserveBytes` of disk space are set aside at once, so that a disk
        /// filled by someone else cannot stop the recording before it has written that much.
        case crashSafe(syncInterval: Double = 2, reserveBytes: Int64 = 0)
    }

    /// What `finish()` wrote.
    package struct Summary: Sendable, Equatable {
        /// Sample frames encoded.
        package var frames: Int64
        /// Audio length in milliseconds (rounded).
        package var durationMs: Int
        /// Size of the ID3v2 tag at the head of the file (header, frames and padding).
        package var tagBytes: Int
        /// Size of the MP3 audio data after the tag.
        package var audioBytes: Int64
        /// Whether the final tag had to be written by rewriting the file (it outgrew the reserve).
        package var rewroteFile: Bool
    }

    /// The file's final path.
    package let url: URL
    /// The path being written: `url` in crash-safe mode, `url` + ".part" in atomic mode.
    package let workingURL: URL
    /// How the file reaches its final name.
    package let mode: Mode
    /// The encoder (its settings are readable here).
    package let encoder: MP3Encoder
    /// Sample frames written so far.
    package var framesWritten: Int64 { encoder.framesEncoded }
    /// Sample frames whose MP3 data has been handed to the kernel and fsynced (crash-safe mode).
    package private(set) var framesDurable: Int64 = 0

    private var tag: ID3v2Tag
    private let tagBytes: Int
    private var fd: Int32
    /// Atomic mode: the `.part` file renamed into place by `finish()`.
    private let pending: PendingFile?
    private var audioBytes: Int64 = 0
    private var closed = false
    /// Encoded bytes not yet written (write(2) every ~64 KiB rather than every block).
    private let buffered: UnsafeMutablePointer<UInt8>
    private let pendingCapacity: Int
    private var pendingCount = 0
    private var framesSinceSync: Int64 = 0
    private let syncEveryFrames: Int64

    /// Creates the file and writes `tag` followed by `reservedTagSpace` bytes of padding, so the
    /// final tag (with chapters) can later be written in place.
    ///
    /// - Throws: `MP3FileWriterError.fileExists` in crash-safe mode if `url` exists; `.io` if the
    ///   file cannot be created; `MP3EncoderError` for settings LAME rejects.
    package init(url: URL, mode: Mode, sampleRate: Int, channels: Int = 2, bitrateKbps: Int = 128,
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
            let part = PendingFile.part(for: url.path)
            pending = part
            workingURL = URL(fileURLWithPath: part.temporaryPath)
            syncEveryFrames = .max
            fd = try MP3FileWriterError.io { try part.create(exclusive: false) }
        case let .crashSafe(interval, reserve):
            pending = nil
            workingURL = url
            syncEveryFrames = max(1, Int64(interval * Double(sampleRate)))
            // O_EXCL: a live recording must never clobber an earlier one.
            fd = open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 && errno == EEXIST { throw MP3FileWriterError.fileExists(path: url.path) }
            guard fd >= 0 else { throw MP3FileWriterError.io(operation: "open", path: url.path, errno: errno) }
            // The tag (artwork and padding) comes first: the audio's reserve starts after it.
            if reserve > 0 { SystemCall.reserveSpace(fd, bytes: Int64(head.count) + reserve) }
        }
        buffered = .allocate(capacity: pendingCapacity)
        do {
            try writeAll(head)
            if case .crashSafe = mode {
                try sync()
                try MP3FileWriterError.io { try AtomicFile.syncDirectory(containing: url.path) }
            }
        } catch {
            // Fully initialised: deinit still runs (and frees `buffered`), so only mark closed.
            Glibc.close(fd)
            unlink(workingURL.path)
            closed = true
            throw error
        }
    }

    deinit {
        if !closed { cancel() }
        buffered.deallocate()
    }

    /// Encodes and writes `frames` frames from separate channel buffers (`right` nil for mono).
    package func write(left: UnsafePointer<Float>, right: UnsafePointer<Float>?, frames: Int) throws {
        guard !closed else { throw MP3FileWriterError.closed }
        try encoder.encode(left: left, right: right, frames: frames) { try append($0) }
        try didWrite(frames)
    }

    /// Encodes and writes `frames` interleaved stereo frames.
    package func write(interleaved: UnsafePointer<Float>, frames: Int) throws {
        guard !closed else { throw MP3FileWriterError.closed }
        try encoder.encode(interleaved: interleaved, frames: frames) { try append($0) }
        try didWrite(frames)
    }

    /// Finishes the file: flushes the encoder, writes the LAME info frame and the final tag
    /// (`finalTag`, or the initial one; TLEN filled in from the frames written if unset), fsyncs,
    /// and in atomic mode renames `<name>.part` to the final name.
    @discardableResult
    package func finish(tag finalTag: ID3v2Tag? = nil) throws -> Summary {
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
            if let pending {
                closed = true   // commit closes the file, and removes the `.part` if it fails
                try MP3FileWriterError.io { try pending.commit(closing: fd) }
            } else {
                try sync()
                Glibc.close(fd)
                closed = true
                try MP3FileWriterError.io { try AtomicFile.syncDirectory(containing: url.path) }
            }
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
    package func cancel() {
        guard !closed else { return }
        closed = true
        switch mode {
        case .atomic:
            pending?.abandon(closing: fd)
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
    package static func writeAtomically(url: URL, tag: ID3v2Tag, padding: Int = 4096, audio: [UInt8]) throws -> Int {
        let head = try tag.serialized(padding: padding)
        let part = PendingFile.part(for: url.path)
        try MP3FileWriterError.io { () in
            let fd = try part.create(exclusive: false)
            do {
                try SystemCall.writeAll(fd, head, path: part.temporaryPath)
                try SystemCall.writeAll(fd, audio, path: part.temporaryPath)
            } catch {
                part.abandon(closing: fd)
                throw error
            }
            try part.commit(closing: fd)
        }
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
            try writeAll(bytes)
        } else {
            (buffered + pendingCount).update(from: bytes.bindMemory(to: UInt8.self).baseAddress!,
                                            count: bytes.count)
            pendingCount += bytes.count
        }
        audioBytes += Int64(bytes.count)
    }

    private func drainPending() throws {
        guard pendingCount > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(start: buffered, count: pendingCount))
        pendingCount = 0
    }

    private func sync() throws {
        if fsync(fd) != 0 { throw MP3FileWriterError.io(operation: "fsync", path: workingURL.path, errno: errno) }
    }

    private func pwriteAll(_ bytes: [UInt8], at offset: off_t) throws {
        let (fd, path) = (fd, workingURL.path)
        try MP3FileWriterError.io { try SystemCall.writeAll(fd, bytes, at: Int64(offset), path: path) }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) throws {
        let (fd, path) = (fd, workingURL.path)
        try MP3FileWriterError.io { try SystemCall.writeAll(fd, raw, path: path) }
    }

    /// The final tag outgrew the reserve: writes tag + audio to a temporary file next to the
    /// working file and renames it over it. Returns the new tag size.
    private func rewriteWithTag(_ finalTag: ID3v2Tag) throws -> Int {
        let head = try finalTag.serialized(padding: 4096)
        let tmpPath = workingURL.path + ".retag"
        let out = open(tmpPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw MP3FileWriterError.io(operation: "open", path: tmpPath, errno: errno) }
        do {
            let (fd, workingPath) = (fd, workingURL.path)
            try MP3FileWriterError.io { () in
                try SystemCall.writeAll(out, head, path: tmpPath)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                var offset = Int64(tagBytes)
                while true {
                    let n = try SystemCall.read(fd, into: buffer.baseAddress!, count: buffer.count, at: offset, path: workingPath)
                    if n == 0 { break }
                    try SystemCall.writeAll(out, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: tmpPath)
                    offset += Int64(n)
                }
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
}
