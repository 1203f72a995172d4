// Live recording: a recorder thread drains a `RecorderFeed` into a crash-safe MP3.
import AudioIO
import Foundation
import Glibc
import MP3
import Production
import Realtime
import RegieModel
import Synchronization

/// What `regie play --record` records.
package enum RecordMode: String, Sendable, CaseIterable {
    /// The programme bus (default).
    case program
    /// The ALSA capture device (the desk's programme return).
    case capture
    /// Both, in two files.
    case both
    /// Nothing (the as-run log is still written).
    case none

    /// The recorders this mode runs.
    package var sources: [RecordingSource] {
        switch self {
        case .program: [.program]
        case .capture: [.capture]
        case .both: [.program, .capture]
        case .none: []
        }
    }
}

/// A recorder's state for the console: plain data in a `LatestValue`.
package struct LiveRecorderStatus: BitwiseCopyable, Sendable, Equatable {
    /// Where the recorder is in its life.
    package enum State: UInt8, BitwiseCopyable, Sendable {
        /// Created, thread not started.
        case idle = 0
        /// Writing the file.
        case recording = 1
        /// A disk error stopped the file: audio is drained and dropped (see `errorCode`).
        case failed = 2
        /// `finish()` completed.
        case finished = 3
    }

    /// Where the recorder is in its life.
    package var state: State
    /// `errno` of the failure (ENOSPC, EACCES, EROFS, …), 0 if none.
    package var errorCode: Int32
    /// Frames taken from the ring (written or dropped).
    package var framesReceived: Int64
    /// Frames encoded into the file.
    package var framesWritten: Int64
    /// Frames known to be on disk (crash-safe: fsync'd).
    package var framesDurable: Int64
    /// Frames drained and dropped because the file had failed.
    package var framesDropped: Int64
    /// MP3 bytes produced (tag excluded).
    package var bytesWritten: Int64
    /// Blocks the render thread could not queue (ring full).
    package var overruns: Int64
    /// Frames lost to those overruns.
    package var overrunFrames: Int64
    /// Sample rate (to show the elapsed time).
    package var sampleRate: Int32

    /// Seconds of audio in the file.
    package var secondsWritten: Double { sampleRate > 0 ? Double(framesWritten) / Double(sampleRate) : 0 }

    static func initial(rate: Int) -> LiveRecorderStatus {
        LiveRecorderStatus(state: .idle, errorCode: 0, framesReceived: 0, framesWritten: 0, framesDurable: 0,
                           framesDropped: 0, bytesWritten: 0, overruns: 0, overrunFrames: 0, sampleRate: Int32(rate))
    }
}

/// Records one source to `<base>-<source>.mp3` (or `-2`, `-3`, … — never over an earlier file)
/// with `MP3FileWriter(.crashSafe)`, so `kill -9` leaves a playable MP3 of all but the last
/// seconds; `finish()` writes the LAME info frame, the final tag with chapters and
/// `<name>.chapters.json`.
///
/// Threading:
/// - render thread: `feed.offer(_:)` only (never blocks, never allocates);
/// - recorder thread (started by `start()`): owns the MP3 writer and the loudness meter until it
///   exits; publishes `status` about ten times a second;
/// - control thread: `init`, `start`, `finish`, `status.load()`, `failure`.
/// A disk error never stops anything: the recorder records `failed` + `errorCode` and keeps
/// draining (dropping) the ring, so the render thread never finds it full because of the disk.
package final class LiveRecorder: @unchecked Sendable {
    /// What `finish()` produced.
    package struct Summary: Sendable {
        /// The MP3.
        package var url: URL
        /// Its chapters file.
        package var chaptersURL: URL
        /// The writer's summary (frames, duration, sizes).
        package var file: MP3FileWriter.Summary
        /// Integrated loudness of what was recorded, LUFS (nil when not measured).
        package var integratedLoudness: Double?
        /// The chapters written.
        package var chapters: [Chapter]
    }

    /// Programme or capture.
    package let source: RecordingSource
    /// The render thread's side.
    package let feed: RecorderFeed
    /// Latest status, for the console.
    package let status: LatestValue<LiveRecorderStatus>
    /// The file being written; nil if it could not be created (then `failure` says why).
    package let url: URL?
    /// Sample rate.
    package let sampleRate: Int

    private var writer: MP3FileWriter?
    private let meter: LoudnessMeter?
    private let lock = NSLock()
    private var storedFailure: MP3FileWriterError?
    private var thread: Thread?
    private let stopFlag = AtomicFlag()
    private let exited = DispatchSemaphore(value: 0)
    private var current: LiveRecorderStatus
    private let onFailure: (@Sendable (MP3FileWriterError, LiveRecorderStatus) -> Void)?

    /// Creates the file (`O_EXCL`) in `folder` (created if missing) as `<baseName>-<source>.mp3`,
    /// else `<baseName>-<source>-2.mp3`, … starting at suffix `firstIndex`. Never throws for disk
    /// problems: the recorder is then `failed` from the start and only drains its ring.
    /// - Parameters:
    ///   - ringSeconds: depth of the feed (the recorder thread may stall this long).
    ///   - measureLoudness: run a `LoudnessMeter` on the recorder thread (lets the finisher skip a
    ///     measuring pass).
    ///   - onFailure: called once when a disk error stops the file (on the recorder thread, or in
    ///     `init`), e.g. to log an alarm; it must not block for long.
    package init(source: RecordingSource, folder: URL, baseName: String, sampleRate: Int, bitrateKbps: Int = 128,
                quality: Int = 3, tag: ID3v2Tag, ringSeconds: Double = 10, syncInterval: Double = 2,
                firstIndex: Int = 1, measureLoudness: Bool = true, reserveBytes: Int64 = 0,
                onFailure: (@Sendable (MP3FileWriterError, LiveRecorderStatus) -> Void)? = nil) throws {
        self.source = source
        self.onFailure = onFailure
        self.sampleRate = sampleRate
        feed = RecorderFeed(frames: Int(ringSeconds * Double(sampleRate)))
        current = .initial(rate: sampleRate)
        status = LatestValue(current)
        // Integrated loudness only: libebur128's true-peak mode would cost the recorder thread more
        // than the rest of its meter (about 1.3 % of a core live); the finisher reads the true peak
        // from the MP3 itself.
        meter = measureLoudness ? LoudnessMeter(sampleRate: sampleRate, truePeak: false) : nil
        var chosen: URL?
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var index = firstIndex
            while chosen == nil {
                let url = folder.appendingPathComponent(Self.fileName(base: baseName, source: source, index: index))
                do {
                    writer = try MP3FileWriter(url: url, mode: .crashSafe(syncInterval: syncInterval, reserveBytes: reserveBytes), sampleRate: sampleRate,
                                               bitrateKbps: bitrateKbps, quality: quality, tag: tag)
                    chosen = url
                } catch MP3FileWriterError.fileExists {
                    index += 1
                    if index > firstIndex + 9999 { throw MP3FileWriterError.fileExists(path: url.path) }
                }
            }
        } catch let error as MP3FileWriterError {
            storedFailure = error
        } catch let error as MP3EncoderError {
            throw error   // settings LAME rejects are a programming error, not a disk problem
        } catch {
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? Int(EIO)
            storedFailure = .io(operation: "mkdir", path: folder.path, errno: Int32(code))
        }
        url = chosen
        if let failure = storedFailure { fail(failure) }
    }

    /// `<base>-<source>.mp3` for index 1, else `<base>-<source>-<index>.mp3`.
    package static func fileName(base: String, source: RecordingSource, index: Int) -> String {
        index <= 1 ? "\(base)-\(source.name).mp3" : "\(base)-\(source.name)-\(index).mp3"
    }

    /// Why the file failed (open, write, fsync), nil while all is well.
    package var failure: MP3FileWriterError? { lock.withLock { storedFailure } }

    /// Starts the recorder thread.
    package func start() {
        precondition(thread == nil, "LiveRecorder started twice")
        if current.state == .idle { current.state = .recording }
        status.store(current)
        let t = Thread { [self] in
            Thread.current.name = "rec-\(source.name)"   // at most 15 characters (Linux)
            run()
            exited.signal()
        }
        t.name = "regie-recorder-\(source.name)"
        thread = t
        t.start()
    }

    /// Stops after draining what the render thread queued, finalises the file with `tag` (its
    /// `chapters` included, TLEN from the frames written) and writes `<name>.chapters.json`.
    /// Call once the render thread no longer offers audio. Returns nil when the file had failed
    /// (what was written before the failure stays playable).
    @discardableResult
    package func finish(tag: ID3v2Tag) throws -> Summary? {
        if let thread {
            stopFlag.raise()
            exited.wait()
            _ = thread
            self.thread = nil
        } else {
            while drainOnce() > 0 {}
        }
        // The recorder thread has exited: this thread owns the writer now.
        guard let writer, current.state != .failed else { return nil }
        self.writer = nil
        var tag = tag
        tag.lengthMs = nil
        let summary: MP3FileWriter.Summary
        do {
            summary = try writer.finish(tag: tag)
        } catch let error as MP3FileWriterError {
            fail(error)
            throw error
        }
        // The chapters are in the tag already; their JSON file beside it is a convenience that a
        // full disk may refuse without the recording being any less whole.
        let chaptersURL = (try? EpisodeTag.writeChapters(tag.chapters, beside: writer.url))
            ?? EpisodeTag.chaptersURL(beside: writer.url)
        current.state = .finished
        current.framesWritten = summary.frames
        status.store(current)
        return Summary(url: writer.url, chaptersURL: chaptersURL, file: summary,
                       integratedLoudness: meter.map(\.integrated), chapters: tag.chapters)
    }

    /// Integrated loudness of what was recorded, LUFS. Read it after `finish()`: while the recorder
    /// thread runs, the meter is its own.
    package var integratedLoudness: Double? { meter?.integrated }

    // MARK: - Recorder thread

    private static let chunkFrames = 4608  // 4 MP3 frames: ~100 ms at 44.1 kHz
    /// Sleep while less than a chunk is queued: about a chunk's length, so the thread wakes ten
    /// times a second (the ring holds seconds; a crash loses at most the ring plus the file's last
    /// sync interval anyway).
    private static let idleSleepMicroseconds: UInt32 = 100_000
    private var buffer: UnsafeMutablePointer<Float>?

    private func run() {
        var lastPublish = DispatchTime.now().uptimeNanoseconds
        while true {
            let stopping = stopFlag.isRaised   // read before draining: nothing queued before it is lost
            // Encode in bursts of at least a chunk (~100 ms): LAME's tables then stay in cache for
            // a whole burst instead of being fetched again for every 10 ms block (waking for each
            // block made LAME cost ~1.5 × as much live as in the `lame` command).
            let got = stopping || feed.ring.availableToRead >= Self.chunkFrames * 2 ? drainOnce() : 0
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastPublish > 100_000_000 {
                publish()
                lastPublish = now
            }
            if stopping && got == 0 { break }
            if got == 0 { usleep(Self.idleSleepMicroseconds) }
        }
        publish()
    }

    /// Moves up to one chunk from the ring into the file (or drops it after a failure).
    @discardableResult
    private func drainOnce() -> Int {
        if buffer == nil { buffer = .allocate(capacity: Self.chunkFrames * 2) }
        let buffer = buffer!
        var total = 0
        while true {
            let samples = feed.ring.read(into: buffer, count: Self.chunkFrames * 2)
            let frames = samples / 2
            if frames == 0 { break }
            total += frames
            current.framesReceived += Int64(frames)
            if let writer, current.state != .failed {
                meter?.add(buffer, frames: frames)
                do {
                    try writer.write(interleaved: buffer, frames: frames)
                    current.framesWritten = writer.framesWritten
                    current.framesDurable = writer.framesDurable
                    current.bytesWritten = writer.encoder.bytesProduced
                } catch let error as MP3FileWriterError {
                    fail(error)
                    writer.cancel()   // keeps what reached the disk playable; closes the file
                    current.framesDropped += Int64(frames)
                } catch {
                    fail(.io(operation: "encode", path: writer.url.path, errno: EIO))
                    writer.cancel()
                    current.framesDropped += Int64(frames)
                }
            } else {
                current.framesDropped += Int64(frames)
            }
            if total >= Self.chunkFrames * 4 { break }  // let the loop publish status
        }
        return total
    }

    private func publish() {
        current.overruns = feed.overruns.load(ordering: .relaxed)
        current.overrunFrames = feed.overrunFrames.load(ordering: .relaxed)
        status.store(current)
    }

    private func fail(_ error: MP3FileWriterError) {
        lock.withLock { if storedFailure == nil { storedFailure = error } }  // the first cause is the story
        let first = current.state != .failed
        current.state = .failed
        if case let .io(_, _, code) = error { current.errorCode = code } else { current.errorCode = EEXIST }
        publish()
        if first { onFailure?(error, current) }
    }

    deinit {
        buffer?.deallocate()
    }
}
