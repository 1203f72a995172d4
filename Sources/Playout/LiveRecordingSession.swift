// One live show's recording side: the as-run log and zero, one or two recorders.
import Foundation
import Glibc
import MP3
import Podcast
import Production
import RegieModel
import Support
import Synchronization
import Realtime

/// The recording side of `regie play`: opens `<episode>.asrun.jsonl` (always, even with
/// `--record none`) and the recorders of `mode` in `folder`, and at the end finalises each file
/// with chapters from the as-run log.
///
/// Threading: control thread for `init`, `start`, `finish`. The render thread only touches
/// `recorder.feed.offer(_:)`.
package final class LiveRecordingSession: @unchecked Sendable {
    /// The plan on air.
    package let plan: Plan
    /// Where the files go.
    package let folder: URL
    /// `<episode>`: the episode slug, e.g. `012-winter-on-campus`.
    package let baseName: String
    /// The as-run log writer; nil when the log file could not be opened (`asRunFailure` says why).
    package let asRun: AsRunLogWriter?
    /// Why the as-run log could not be opened.
    package let asRunFailure: FileSystemError?
    /// The recorders, in `mode.sources` order.
    package let recorders: [LiveRecorder]
    /// This run's suffix among the episode's runs (1: none, then 2, 3, …), shared by its log and
    /// its recordings.
    package let runIndex: Int
    /// Earlier runs of this episode in this folder whose logs have no `show_ended`: cut short
    /// (killed, crashed) or still on air in another process.
    package let unfinishedRuns: [UnfinishedRun]
    /// The programme frame of each recording's first frame.
    private let startPositions: (program: PositionBox, capture: PositionBox)

    /// The programme recorder, if recording it.
    package var program: LiveRecorder? { recorders.first { $0.source == .program } }
    /// The capture recorder, if recording it.
    package var capture: LiveRecorder? { recorders.first { $0.source == .capture } }

    /// `recordings/<show>/<yyyy-mm-dd>/` (air date as written) under `root`.
    package static func defaultFolder(for plan: Plan, root: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> URL {
        let d = plan.rundown.air.localDate
        let date = String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
        return root.appendingPathComponent("recordings").appendingPathComponent(plan.rundown.show.slug)
            .appendingPathComponent(date)
    }

    /// Bytes a recording of the show may take: its slot at the show's bitrate, and half again (a
    /// live show runs over). Set aside on disk when each recording is created, and what the
    /// recordings folder must have free before air.
    package static func recordingBytes(for plan: Plan) -> Int64 {
        Int64(Double(plan.rundown.show.bitrate) * 1000 / 8 * Double(plan.slot) / Double(plan.sampleRate) * 1.5)
    }

    /// The episode's file-name stem, e.g. `012-winter-on-campus`.
    package static func baseName(for plan: Plan) -> String {
        Slug.episode(number: plan.rundown.episode, title: plan.rundown.title)
    }

    /// An earlier run whose as-run log never reached `show_ended`.
    package struct UnfinishedRun: Sendable {
        /// Its as-run log.
        package var asRunLog: URL
        /// Another process holds the log open: that run is on air now.
        package var stillRunning: Bool
        /// Its last logged line: programme position (frames) and wall-clock time.
        package var lastPosition: Int64
        package var lastWall: String
        /// Its recordings, as that run left them.
        package var recordings: [URL]
    }

    /// The `index`-th run's log when it has no `show_ended`, nil otherwise (or when it is gone).
    /// A log whose writer is alive is locked (`AsRunLogWriter`): that run is still going.
    static func unfinishedRun(plan: Plan, folder: URL, index: Int) -> UnfinishedRun? {
        let url = asRunURL(for: plan, in: folder, index: index)
        let fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let running = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
        guard let entries = try? AsRunLog.read(url), !entries.contains(where: { $0.kind == .showEnded }) else { return nil }
        let recordings = RecordingSource.allCases
            .map { folder.appendingPathComponent(LiveRecorder.fileName(base: baseName(for: plan), source: $0, index: index)) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        return UnfinishedRun(asRunLog: url, stillRunning: running, lastPosition: entries.last?.position ?? 0,
                             lastWall: entries.last?.wall ?? "", recordings: recordings)
    }

    /// The as-run log's path in `folder` for the `index`-th run of the episode (1: no suffix).
    package static func asRunURL(for plan: Plan, in folder: URL, index: Int = 1) -> URL {
        folder.appendingPathComponent(baseName(for: plan) + (index <= 1 ? "" : "-\(index)") + ".asrun.jsonl")
    }

    /// Creates this run's as-run log and the recorders' files, never over an earlier run's: the
    /// run takes the first suffix (`-2`, `-3`, …) whose log it can create (O_EXCL: two runs at
    /// once get two logs), and its recordings the same suffix when free. Disk problems do not
    /// throw: they show in `asRunFailure` and each recorder's `failure`/`status`.
    /// `measureLoudness` runs libebur128 on the programme recorder's thread (its figure is only
    /// reported beside the finisher's own measurement of the MP3, so it is off by default: about
    /// 0.1 % of a core on air).
    package init(plan: Plan, mode: RecordMode, folder: URL? = nil, quality: Int = 3, ringSeconds: Double = 10,
                syncInterval: Double = 2, timeZone: TimeZone = .current, measureLoudness: Bool = false,
                reserveDiskSpace: Bool = true) throws {
        self.plan = plan
        let folder = folder ?? Self.defaultFolder(for: plan)
        self.folder = folder
        baseName = Self.baseName(for: plan)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var log: AsRunLogWriter?
        var logFailure: FileSystemError?
        // The first suffix whose log and recordings are all free, so a run's files pair up.
        var index = 1
        while index < 10_000 {
            let taken = mode.sources.contains {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent(
                    LiveRecorder.fileName(base: Self.baseName(for: plan), source: $0, index: index)).path)
            }
            if !taken {
                do {
                    log = try AsRunLogWriter(url: Self.asRunURL(for: plan, in: folder, index: index),
                                             catalog: AsRunCatalog(plan: plan), timeZone: timeZone)
                    break
                } catch let error as FileSystemError where error.code == EEXIST {
                    // Another run (or a planted link) holds this name: the next one.
                } catch {
                    logFailure = error as? FileSystemError
                    break
                }
            }
            index += 1
        }
        asRun = log
        asRunFailure = logFailure
        runIndex = index
        unfinishedRuns = (1..<index).compactMap { Self.unfinishedRun(plan: plan, folder: folder, index: $0) }
        var tag = EpisodeTag.of(plan)
        tag.chapters = []
        tag.lengthMs = nil
        let origins = (program: PositionBox(), capture: PositionBox())
        startPositions = origins
        recorders = try mode.sources.map { source in
            // A disk error is an alarm in the as-run log, at the frame where the file stopped
            // (the tracker tells the console and standard error).
            let origin = source == .program ? origins.program : origins.capture
            return try LiveRecorder(source: source, folder: folder, baseName: Self.baseName(for: plan),
                                    sampleRate: plan.sampleRate, bitrateKbps: plan.rundown.show.bitrate, quality: quality,
                                    tag: tag, ringSeconds: ringSeconds, syncInterval: syncInterval, firstIndex: index,
                                    measureLoudness: measureLoudness && source == .program,
                                    reserveBytes: reserveDiskSpace ? Self.recordingBytes(for: plan) : 0) { [log] error, status in
                log?.log(.alarm(.recorderDiskError, position: origin.value.load(ordering: .relaxed) + status.framesReceived),
                         file: nil, message: "\(source.name) recorder: \(error)")
            }
        }
    }

    /// Starts the log's writer thread and the recorders; logs the programme recorder's
    /// `recording_started` at programme `position` (its first frame). The capture's start is
    /// logged by `captureStarted`, when its first frame is known.
    package func start(at position: Int64 = 0) {
        startPositions.program.value.store(position, ordering: .relaxed)
        for r in recorders {
            r.start()
            if r.source == .program {
                asRun?.log(AsRunEvent(.recordingStarted, position: position, source: .program), file: r.url?.path)
            }
        }
        asRun?.start()
    }

    /// The capture recorder's first frame holds what the desk sent back of programme frame
    /// `position`, `roundTripFrames` after it went out (playback queue + capture queue): logged
    /// with both figures, and the capture's chapters are placed from it.
    package func captureStarted(at position: Int64, roundTripFrames: Int64) {
        startPositions.capture.value.store(position, ordering: .relaxed)
        guard let capture else { return }
        asRun?.log(AsRunEvent(.recordingStarted, position: position, detail: roundTripFrames, source: .capture),
                   file: capture.url?.path)
    }

    /// Ends the session once the render thread has stopped offering audio: logs
    /// `recording_stopped` at `position`, flushes the log, finalises every recorder that did not
    /// fail with the episode tag and chapters from the as-run log. Returns the summaries of the
    /// files finalised.
    package func finish(at position: Int64) throws -> [LiveRecorder.Summary] {
        for r in recorders {
            asRun?.log(AsRunEvent(.recordingStopped, position: position, source: r.source),
                       file: r.url?.path)
        }
        asRun?.stop()
        let entries = (asRun.flatMap { try? AsRunLog.read($0.url) }) ?? []
        var summaries: [LiveRecorder.Summary] = []
        for r in recorders {
            var tag = EpisodeTag.of(plan)
            let frames = r.status.load().framesReceived
            let start = AsRunLog.lastSession(entries).first {
                $0.kind == .recordingStarted && $0.source == r.source
            }?.position ?? 0
            // The file's length bounds the chapters (frames received, whether or not all aired).
            tag.chapters = AsRunLog.chapters(fromAsRun: entries, recordingStart: start,
                                             recordingEnd: start + max(frames, r.feed.framesOffered.load(ordering: .relaxed)),
                                             source: r.source)
            // A recorder that fails at its end (the disk) loses its file's info frame and tag, not
            // the others: its failure is in `r.failure` and the show's summary counts what it lost.
            if let summary = try? r.finish(tag: tag) { summaries.append(summary) }
        }
        return summaries
    }

    /// Writes the last lines (alarms raised while the recordings were finalised) and closes the
    /// as-run log.
    package func closeLog() { asRun?.close() }
}

/// A programme position shared with a recorder's failure callback.
final class PositionBox: Sendable {
    let value = Atomic<Int64>(0)
}
