// The live show as a library: what `regie play` does between parsing its options and printing its
// summary, driven in-process by the tests with their own devices, clock and console screen.
import AudioIO
import Console
import Engine
import Foundation
import Glibc
import Logging
import Podcast
import Stream
import Production
import Realtime
import RegieModel
import Support
import Synchronization
import MP3

/// Why a live show cannot start.
package enum LiveShowError: Error, CustomStringConvertible {
    /// The recordings folder cannot be written.
    case folderNotWritable(path: String, reason: String)
    /// The recordings folder has not room for the show.
    case folderTooSmall(path: String, free: Int64, needed: Int64, recorders: Int, slot: String, bitrate: Int)

    package var description: String {
        switch self {
        case let .folderNotWritable(path, reason):
            "the recordings folder \(path) cannot be written (\(reason)): choose another with --out, or --record none"
        case let .folderTooSmall(path, free, needed, recorders, slot, bitrate):
            "the recordings folder \(path) has \(free / 1_000_000) MB free; \(recorders) recording\(recorders == 1 ? "" : "s") of \(slot) at \(bitrate) kb/s need about \(needed / 1_000_000) MB with their margin: free some space or choose another folder with --out"
        }
    }
}

/// One live show: the engine on a render thread paced by the playback device, the desk's return
/// read from the capture device, the recorders and the as-run log, the technician's console (or
/// none, headless), and at the end the episode made from what aired — the desk's return when it
/// was captured — and published when it is the real show, whole.
///
/// Threading: `init`, `run` and the summary on one control thread; `stop` from any thread (a
/// signal handler's queue). Nothing here runs on the render thread: it reads the engine's queues
/// and latest-value slots only.
package final class LiveShow: @unchecked Sendable {
    /// How the show is set up.
    package struct Configuration {
        /// The fitted plan of the rundown.
        package var plan: Plan
        /// Automation (the plan, unattended) or interactive (the technician's GO).
        package var playout: PlayoutMode
        /// Where the programme goes; it paces the render thread unless `paceByClock` (or unless it
        /// turns out to take audio faster than real time).
        package var playback: ALSAPlaybackDevice
        /// The desk's programme return, for `record` `.capture` or `.both`.
        package var capture: ALSACaptureDevice?
        /// Pace by the monotonic clock from the start (devices that take data instantly: null, file).
        package var paceByClock: Bool
        /// What to record.
        package var record: RecordMode
        /// The recordings' folder (default: recordings/<show>/<date>/).
        package var recordingsFolder: URL?
        /// LAME quality of the live recordings.
        package var quality: Int
        /// Normalise and publish the episode when the show is the real one (its air date and
        /// slot), ran to its end and lost nothing; otherwise it is finished and kept ready.
        package var publish: Bool
        /// The show's published folder (default: public/<show>/).
        package var publishFolder: URL?
        /// Opens the console's screen when the show is about to start; nil: headless.
        package var console: (() -> any ConsoleScreen)?
        /// The station's clock, nanoseconds since 1970 (the as-run log, the hour on the screen,
        /// whether this is the show or a rehearsal).
        package var wallClock: @Sendable () -> Int64
        /// Set aside each recording's disk space when it is created (the show's slot and half
        /// again), so a disk filled by someone else during the show cannot stop it. Off only where
        /// the file system cannot reserve, or to see what a failing disk does.
        package var reserveDiskSpace = true
        /// Automation waits until this wall time (the rundown's air time, on its air date) before
        /// the first item; nil starts at once. The console shows the countdown; space starts now.
        package var startAt: Int64?
        /// The web host the published folder is mirrored to after the local publish; nil: none.
        package var remote: RemoteMirror?
        /// How long an unreachable web host is tried (1 s, 2 s, 4 s … apart) before the mirror is
        /// left pending for `regie publish --retry`.
        package var remoteRetrySeconds: Double = 60
        /// The Icecast mounts the show streams to, each with its source password; they carry the
        /// desk's return when it is captured, the programme otherwise.
        package var streams: [(destination: StreamDestination, password: String)] = []

        package init(plan: Plan, playout: PlayoutMode, playback: ALSAPlaybackDevice, capture: ALSACaptureDevice? = nil,
                     paceByClock: Bool, record: RecordMode = .program, recordingsFolder: URL? = nil, quality: Int = 3,
                     publish: Bool = true, publishFolder: URL? = nil, console: (() -> any ConsoleScreen)? = nil,
                     wallClock: @escaping @Sendable () -> Int64 = WallClock.nanoseconds) {
            self.plan = plan
            self.playout = playout
            self.playback = playback
            self.capture = capture
            self.paceByClock = paceByClock
            self.record = record
            self.recordingsFolder = recordingsFolder
            self.quality = quality
            self.publish = publish
            self.publishFolder = publishFolder
            self.console = console
            self.wallClock = wallClock
        }
    }

    package let configuration: Configuration
    let session: LiveRecordingSession
    let player: LivePlayer
    /// Stops the mirror to the web host after the show (`stop`, q on the console).
    let mirrorCancellation = MirrorCancellation()
    /// The listeners' stream, when the show streams.
    let stream: LiveStream?
    /// What the stream thread said, for the control thread to raise.
    let streamEvents = StreamEventInbox()
    /// The feed's live announcements, one after the other (never on the control thread).
    let announcements = DispatchQueue(label: "regie-live-announcements")
    let logger: Logger

    /// A show may start this long before its air time and still be the show (a GO a little early).
    static let earlyStartNanoseconds: Int64 = 5 * 60 * 1_000_000_000

    /// Checks the recordings folder (writable, room for the whole show's recordings), opens the
    /// recordings and the as-run log, loads the cart wall and prepares the engine; nothing plays
    /// until `run`. Problems that do not stop the show (an as-run log that cannot be written, a
    /// show with live items and no capture) are logged as warnings.
    package init(_ configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let plan = configuration.plan
        let folder = configuration.recordingsFolder ?? LiveRecordingSession.defaultFolder(for: plan)
        if !configuration.record.sources.isEmpty {
            try Self.checkFolder(folder, plan: plan, recorders: configuration.record.sources.count)
        }
        session = try LiveRecordingSession(plan: plan, mode: configuration.record, folder: folder,
                                           quality: configuration.quality, reserveDiskSpace: configuration.reserveDiskSpace)
        if let failure = session.asRunFailure { logger.warning("the as-run log cannot be written: \(failure)") }
        if let missing = Self.missingCapture(configuration) { logger.warning("\(missing)") }
        if configuration.publish, let missing = Self.missingPodcastMetadata(plan) {
            logger.warning("\(missing): the episode will be finished, not published")
        }
        let device = configuration.playback
        if configuration.streams.isEmpty {
            stream = nil
        } else {
            let inbox = streamEvents
            stream = try LiveStream(destinations: configuration.streams.map(\.destination),
                                    passwords: configuration.streams.map(\.password), sampleRate: plan.sampleRate,
                                    bitrateKbps: plan.rundown.show.bitrate, quality: configuration.quality,
                                    onEvent: { inbox.add($0) })
        }
        // The listeners hear the desk's return when it is captured, the programme otherwise.
        let streamsCapture = configuration.capture != nil && session.capture != nil
        player = LivePlayer(program: CompiledProgram(plan: plan, playout: configuration.playout),
                            cache: LoudnessCache(showDirectory: plan.rundown.show.directory), device: device,
                            paceByClock: configuration.paceByClock, periodFrames: device.periodFrames,
                            recorder: session.program?.feed, stream: streamsCapture ? nil : stream?.feed,
                            wallClock: configuration.wallClock)
    }

    /// The sentence for a show with live items whose desk return is not recorded, nil otherwise.
    static func missingCapture(_ configuration: Configuration) -> String? {
        let live = configuration.plan.airing.contains { $0.item.kind == .live }
        guard live, !configuration.record.sources.contains(.capture) else { return nil }
        return "this show has live items but the desk's return is not recorded: the podcast would lack the presenters' voices, so it will not be published by itself; name the capture device with --capture DEVICE (or 'capture:' in station.yaml)"
    }

    /// What the podcast lacks to publish this episode (keys of show.yaml and of the rundown), nil
    /// when nothing.
    static func missingPodcastMetadata(_ plan: Plan) -> String? {
        let rundown = plan.rundown
        let show = rundown.show.missingPodcastKeys
        let episode = [rundown.episode == nil ? "episode" : nil, rundown.description == nil ? "description" : nil].compactMap { $0 }
        var parts: [String] = []
        if !show.isEmpty { parts.append("\(show.map { "'\($0)'" }.joined(separator: ", ")) in \(rundown.show.file)") }
        if !episode.isEmpty { parts.append("\(episode.map { "'\($0)'" }.joined(separator: " and ")) in \(rundown.file)") }
        return parts.isEmpty ? nil : "the podcast needs " + parts.joined(separator: "; ")
    }

    /// The recordings folder can be written and holds the show's recordings: each MP3 at the
    /// show's bitrate for the slot and half again (a live show runs over), plus its log.
    static func checkFolder(_ folder: URL, plan: Plan, recorders: Int) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw LiveShowError.folderNotWritable(path: folder.path, reason: (error as NSError).localizedDescription)
        }
        let probe = folder.appendingPathComponent(".regie-write-test-\(getpid())").path
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LiveShowError.folderNotWritable(path: folder.path, reason: String(cString: strerror(errno))) }
        var byte: UInt8 = 0
        let written = write(fd, &byte, 1)
        let code = errno
        close(fd)
        unlink(probe)
        guard written == 1 else { throw LiveShowError.folderNotWritable(path: folder.path, reason: String(cString: strerror(code))) }
        var stats = statvfs()
        guard statvfs(folder.path, &stats) == 0 else { return }
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        let needed = LiveRecordingSession.recordingBytes(for: plan) * Int64(recorders) + 4_000_000
        if free < needed {
            throw LiveShowError.folderTooSmall(path: folder.path, free: free, needed: needed, recorders: recorders,
                                               slot: FrameMath.format(frames: plan.slot, sampleRate: plan.sampleRate),
                                               bitrate: plan.rundown.show.bitrate)
        }
    }

    /// Ends the show after the current period (a signal, the console's quit); any thread.
    package func stop() {
        player.loop.stop.raise()
        // After the air, a stop leaves the web host's mirror pending rather than waiting on.
        mirrorCancellation.cancel()
    }

    /// `null`, and devices whose names say they write to a file, accept data instantly: they are
    /// paced by the monotonic clock from the start (any other that does is found out on air).
    package static func devicePacesByClock(name: String) -> Bool {
        name == "null" || name.hasPrefix("file")
    }

    /// Plays the show to its end (or until `stop`), finalises the recordings, then makes the
    /// episode: published when it is the real show, whole; otherwise finished and kept ready.
    package func run() throws -> Summary {
        let plan = configuration.plan
        let rate = plan.sampleRate
        let device = configuration.playback
        let automation = configuration.playout == .automation
        let (session, player, logger) = (self.session, self.player, self.logger)
        let stop = player.loop.stop
        logger.info("Playing \(plan.rundown.title) on \(device.name): \(FrameMath.format(frames: plan.total, sampleRate: rate)), periods of \(device.periodFrames) frames × \(device.bufferFrames / max(1, device.periodFrames))\(configuration.paceByClock ? ", paced by the clock" : "")")
        for recorder in session.recorders {
            if let url = recorder.url { logger.info("Recording \(recorder.source.name) to \(url.path)") }
        }

        // The capture is recorded from the show's start: at once in automation (the first item
        // starts with the first period), at the first GO with the console. Its first period is
        // placed on the programme's timeline from the two devices' queues.
        let captureFrom = automation ? AtomicFlag() : player.mixer.hasStarted
        if automation { captureFrom.raise() }
        let loop = player.loop
        let captureThread = configuration.capture.flatMap { capture in
            session.capture.map {
                CaptureThread(device: capture, feed: $0.feed, stop: stop, recording: captureFrom,
                              playback: (device, { Int64(loop.framesOut.load(ordering: .relaxed)) }), stream: stream?.feed)
            }
        }
        captureThread?.start()
        let tracker = OnAirTracker(plan: plan, asRun: session.asRun, mixer: player.mixer,
                                   wallClock: configuration.wallClock) { [self] position in
            session.start(at: position)
            announceLive(.live, startWall: configuration.wallClock(), wait: false)
        }
        let runningOrder = RunningOrder(
            program: player.program,
            engine: .init(mixer: player.mixer, send: { player.send($0) },
                          addVoice: { player.addVoice($0, source: $1, length: $2, loudness: $3) },
                          loudness: { player.loudness(of: $0) }),
            state: { id in id < tracker.items.count ? tracker.items[id].state : .pending })
        if let stream {
            let show = plan.rundown.show.title
            stream.setTitle(show)
            tracker.onItemStarted = { item in if let title = Self.streamTitle(of: item, show: show) { stream.setTitle(title) } }
        }
        tracker.onEditAnswer = { id, applied, _ in runningOrder.answer(id: id, applied: applied) }
        tracker.onItemGone = { runningOrder.markGone($0) }
        runningOrder.onApplied = { text in tracker.noteRunningOrderChange(text, position: Int64(loop.framesOut.load(ordering: .relaxed))) }
        runningOrder.onFailed = { text in tracker.raise(.warning, text) }
        let posts = PostKeeper(plan: plan, send: { player.send($0) })
        let console = configuration.console.map {
            LiveConsole(plan: plan, screen: $0(), player: player, device: device, recorder: session.program,
                        tracker: tracker, runningOrder: runningOrder, posts: posts, wallClock: configuration.wallClock)
        }
        console?.stream = stream
        if console == nil {
            // Headless: every alarm reaches standard error as it happens.
            tracker.onAlarm = { severity, text in
                switch severity {
                case .alarm: logger.error("\(text)")
                case .warning: logger.warning("\(text)")
                case .info: logger.notice("\(text)")
                }
            }
        }
        for failure in player.cartFailures { tracker.raise(.warning, "\(failure): the key stays silent") }
        for earlier in session.unfinishedRuns {
            let log = earlier.asRunLog.lastPathComponent
            if earlier.stillRunning {
                tracker.raise(.warning, "another run of this episode is on air now from this folder (its log \(log)); this one records beside it")
            } else {
                let files = ([log] + earlier.recordings.map(\.lastPathComponent)).joined(separator: ", ")
                tracker.raise(.warning, "an earlier run of this episode was cut short (killed or crashed) at \(FrameMath.format(frames: earlier.lastPosition, sampleRate: rate, fractionDigits: 1)), \(earlier.lastWall): \(files) kept as it left them, not published",
                              logging: .earlierRunCutShort)
            }
        }
        let publishFolder = configuration.publishFolder ?? URL(fileURLWithPath: "public/\(plan.rundown.show.slug)")
        if configuration.remote != nil, let pending = PendingMirror.read(in: publishFolder) {
            tracker.raise(.warning, "the web host \(pending.destination) still lacks an earlier publish (\(pending.reason)): it goes with this show's")
        }
        if Self.missingCapture(configuration) != nil, console != nil {
            // The status line is one line: the option first.
            tracker.raise(.warning, "no desk return recorded (--capture DEVICE): the live voices will not be in the podcast")
        }
        let quiet = console != nil
        var reportedFaults = 0
        var captureLogged = false
        var saidFastDevice = false
        if let startAt = configuration.startAt, automation {
            Self.waitForAir(startAt, configuration: configuration, console: console, stop: stop, logger: logger)
        }
        // Headless, the control thread only moves events to the as-run log (stamped from their
        // frame positions, so the refresh rate does not matter) and watches for alarms: 10 times a
        // second. With the console it waits for keys instead (the console's own read timeout).
        stream?.start()
        player.run(interval: console == nil ? 100 : 0, onPriority: { granted in
            if !granted && !quiet {
                logger.notice("no real-time scheduling for the render thread (not permitted); playing at normal priority")
            }
        }, progress: { position in
            tracker.poll(position: position)
            Self.keepTheClock(plan: plan, position: position, wall: configuration.wallClock(), loop: loop,
                              tracker: tracker, runningOrder: runningOrder, posts: posts)
            tracker.noteXruns(device.xrunCount, position: position)
            tracker.noteLateFrames(player.mixer.lateFrames.load(ordering: .relaxed), position: position)
            tracker.noteRecorders(session.recorders, position: position)
            Self.raiseStreamEvents(streamEvents.take(), tracker: tracker, position: position)
            if !saidFastDevice && loop.pacedByClockSinceStart.isRaised {
                saidFastDevice = true
                let text = "the device '\(device.name)' takes audio faster than real time (a null or file device behind it?): the show is paced by the clock"
                if quiet { tracker.raise(.info, text) } else { logger.notice("\(text)") }
            }
            if !captureLogged, let captureThread, captureThread.placed.isRaised {
                captureLogged = true
                session.captureStarted(at: captureThread.firstRecordedFrame.load(ordering: .relaxed),
                                       roundTripFrames: captureThread.roundTripFrames.load(ordering: .relaxed))
            }
            let faults = player.faults
            while reportedFaults < faults.count {
                tracker.raise(.alarm, "unreadable audio played as silence: \(faults[reportedFaults])", logging: .missingFile,
                              position: position)
                reportedFaults += 1
            }
            if let console {
                console.update(position: position)
                if console.quit { stop.raise() }
            }
        })
        let showOver = ContinuousClock.now
        captureThread?.stopAndWait()
        // The stream ends with the show: what is queued is sent, the mounts closed.
        stream?.stop()
        let out = Int64(loop.framesOut.load(ordering: .relaxed))
        tracker.poll(position: out)
        tracker.noteRecorders(session.recorders, position: out)
        tracker.finish(at: out)
        // After the air: the recordings closed, the episode finished and published, the web host.
        // With the console that runs on a thread of its own while the console shows each step;
        // q (or a signal) stops waiting for the web host.
        let progress = AfterAirProgress(logger: console == nil ? logger : nil)
        let work = AfterAirJob { [self] in
            try afterAir(out: out, showOver: showOver, tracker: tracker, captureThread: captureThread, posts: posts,
                         progress: progress)
        }
        guard let console else { return try work.runHere() }
        console.beginAfterAir(position: out)
        work.start()
        console.showAfterAir(steps: { progress.steps }, isDone: { work.isDone },
                             onQuit: { [mirrorCancellation] in mirrorCancellation.cancel() })
        console.close()
        return try work.result()
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
