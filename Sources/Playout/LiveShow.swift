// The live show as a library: what `regie play` does between parsing its options and printing its
// summary, driven in-process by the tests with their own devices, clock and console screen.
import AudioIO
import Console
import Engine
import Foundation
import Logging
import Production
import Realtime
import RegieModel
import Support
import Synchronization

/// One live show: the engine on a render thread paced by the playback device, the desk's return
/// read from the capture device, the recorders and the as-run log, the technician's console (or
/// none, headless), and at the end the episode normalised and published.
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
        /// Where the programme goes; it paces the render thread unless `paceByClock`.
        package var playback: ALSAPlaybackDevice
        /// The desk's programme return, for `record` `.capture` or `.both`.
        package var capture: ALSACaptureDevice?
        /// Pace by the monotonic clock (devices that take data instantly: null, file).
        package var paceByClock: Bool
        /// What to record.
        package var record: RecordMode
        /// The recordings' folder (default: recordings/<show>/<date>/).
        package var recordingsFolder: URL?
        /// LAME quality of the live recordings.
        package var quality: Int
        /// Normalise and publish the programme recording when the show ran to its end.
        package var publish: Bool
        /// The show's published folder (default: public/<show>/).
        package var publishFolder: URL?
        /// Opens the console's screen when the show is about to start; nil: headless.
        package var console: (() -> any ConsoleScreen)?
        /// The station's clock, nanoseconds since 1970 (the as-run log, the hour on the screen).
        package var wallClock: @Sendable () -> Int64

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

    /// What happened, for the summary the command prints.
    package struct Summary {
        /// Frames from the show's first item to where it stopped.
        package var airedFrames: Int64
        /// The plan's fitted length.
        package var plannedFrames: Int64
        /// The show ended by itself (not stopped by a signal or a quit).
        package var ranToTheEnd: Bool
        /// Output under- and overruns the device counted.
        package var xruns: Int
        /// Frames of voice audio that came too late and played as silence.
        package var latePrefetchFrames: Int
        /// Device writes that failed for good.
        package var deviceFailures: Int
        /// Key-to-programme delays of the technician's commands, nanoseconds.
        package var commandDelays: [Int64]
        /// What the playback device queues after the period being rendered, milliseconds.
        package var deviceQueueMilliseconds: Double
        /// The as-run log.
        package var asRunLog: URL?
        /// The recordings finalised.
        package var recordings: [LiveRecorder.Summary]
        /// The episode published, and the seconds it took.
        package var published: (result: EpisodeFinisher.Result, seconds: Double)?
    }

    package let configuration: Configuration
    private let logger: Logger
    private let session: LiveRecordingSession
    private let player: LivePlayer

    /// Opens the recordings and the as-run log, loads the cart wall and prepares the engine;
    /// nothing plays until `run`. Problems that do not stop the show (an as-run log that cannot be
    /// written) are logged as warnings.
    package init(_ configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let plan = configuration.plan
        session = try LiveRecordingSession(plan: plan, mode: configuration.record, folder: configuration.recordingsFolder,
                                           quality: configuration.quality)
        if let failure = session.asRunFailure { logger.warning("the as-run log cannot be written: \(failure)") }
        let device = configuration.playback
        player = LivePlayer(program: CompiledProgram(plan: plan, playout: configuration.playout),
                            cache: LoudnessCache(showDirectory: plan.rundown.show.directory), device: device,
                            paceByClock: configuration.paceByClock, periodFrames: device.periodFrames,
                            recorder: session.program?.feed)
    }

    /// Ends the show after the current period (a signal, the console's quit); any thread.
    package func stop() { player.loop.stop.raise() }

    /// `null`, and devices whose names say they write to a file, accept data instantly: they are
    /// paced by the monotonic clock.
    package static func devicePacesByClock(name: String) -> Bool {
        name == "null" || name.hasPrefix("file")
    }

    /// Plays the show to its end (or until `stop`), then finalises the recordings and, when asked
    /// and the show ran to its end, normalises and publishes the programme recording.
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
        // starts with the first period), at the first GO with the console.
        let captureFrom = automation ? AtomicFlag() : player.mixer.hasStarted
        if automation { captureFrom.raise() }
        let captureThread = configuration.capture.flatMap { capture in
            session.capture.map { CaptureThread(device: capture, feed: $0.feed, stop: stop, recording: captureFrom) }
        }
        captureThread?.start()
        let tracker = OnAirTracker(plan: plan, asRun: session.asRun, mixer: player.mixer,
                                   wallClock: configuration.wallClock) { position in
            session.start(at: position)
        }
        for failure in player.cartFailures { tracker.raise(.warning, "\(failure): the key stays silent") }
        let console = configuration.console.map {
            LiveConsole(plan: plan, screen: $0(), player: player, device: device, recorder: session.program,
                        tracker: tracker, wallClock: configuration.wallClock)
        }
        if console == nil { for failure in player.cartFailures { logger.warning("\(failure)") } }
        let quiet = console != nil
        var reportedFaults = 0
        // Headless, the control thread only moves events to the as-run log (stamped from their
        // frame positions, so the refresh rate does not matter) and watches for alarms: 10 times a
        // second. With the console it waits for keys instead (the console's own read timeout).
        player.run(interval: console == nil ? 100 : 0, onPriority: { granted in
            if !granted && !quiet {
                logger.notice("no real-time scheduling for the render thread (not permitted); playing at normal priority")
            }
        }, progress: { position in
            tracker.poll(position: position)
            tracker.noteXruns(device.xrunCount, position: position)
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
        console?.close()
        captureThread?.stopAndWait()
        let out = Int64(player.loop.framesOut.load(ordering: .relaxed))
        tracker.finish(at: out)
        let recordings = try session.finish(at: out)
        let finishedAt = player.mixer.state.load().finishedAt
        let ranToTheEnd = finishedAt >= 0 && out >= finishedAt
        var summary = Summary(
            airedFrames: out - (tracker.showStart ?? out), plannedFrames: plan.total, ranToTheEnd: ranToTheEnd,
            xruns: device.xrunCount, latePrefetchFrames: player.mixer.lateFrames.load(ordering: .relaxed),
            deviceFailures: player.loop.deviceFailures.load(ordering: .relaxed), commandDelays: tracker.commandDelays,
            deviceQueueMilliseconds: Double(device.bufferFrames - device.periodFrames) / Double(rate) * 1000,
            asRunLog: session.asRun?.url, recordings: recordings, published: nil)

        if configuration.publish, ranToTheEnd, let program = recordings.first(where: { $0.url == session.program?.url }) {
            let started = ContinuousClock.now
            let result = try EpisodeFinisher(plan: plan).run(recording: program.url, chapters: program.chapters,
                                                             measuredLoudness: program.integratedLoudness,
                                                             publishTo: configuration.publishFolder)
            let elapsed = ContinuousClock.now - started
            summary.published = (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return summary
    }
}
