import ArgumentParser
import AudioIO
import Engine
import Console
import Foundation
import Realtime
import Recorder
import RegieModel

/// `regie play RUNDOWN --auto`
struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play an episode out in real time through ALSA (automation: --auto).",
        discussion: """
        Runs the same engine as 'regie render', paced by the ALSA device: each item follows the fitted plan, live items last their fitted length (their bed, or silence). The render thread asks for real-time scheduling and carries on at normal priority when it may not. Devices that accept data instantly (null, file) are paced by the monotonic clock. The interactive console comes with a later version; today 'regie play' needs --auto.

        Example:
          regie play --auto shows/campus-magazine/2026-11-05.yaml --device null
          regie play --auto shows/campus-magazine/2026-11-05.yaml --device pulse
        """
    )

    @Argument(help: "The episode rundown.")
    var rundown: String

    @Flag(help: "Automation: run the rundown unattended.")
    var auto = false

    @Option(help: "ALSA playback device.")
    var device: String = "default"

    @Option(help: "Period length in milliseconds (5–100).")
    var periodMs: Int = 10

    @Option(help: "Number of periods in the device buffer (2–16).")
    var periods: Int = 4

    @Option(help: "Pacing: device (the ALSA device's clock), clock (the monotonic clock), auto (clock for null and file devices).")
    var pace: Pacing = .auto

    enum Pacing: String, ExpressibleByArgument, CaseIterable { case auto, device, clock }

    @Option(help: "What to record: program (the programme bus), capture (the --capture device), both, none.")
    var record: RecordChoice = .program

    enum RecordChoice: String, ExpressibleByArgument, CaseIterable { case program, capture, both, none }

    @Option(help: "ALSA capture device for --record capture/both (the desk's programme return).")
    var capture: String?

    @Option(help: "Folder for the recordings and the as-run log (default: recordings/<show>/<yyyy-mm-dd>/).")
    var out: String?

    @Option(help: "Where the finished episode is published (default: public/<show>/).")
    var publishTo: String?

    @Flag(help: "Do not normalise and publish the program recording when the show ends.")
    var noPublish = false

    @Flag(help: "No console even on a terminal (the console shows only when standard output is a terminal).")
    var headless = false

    func validate() throws {
        guard auto else {
            throw ValidationError("the live console is not available yet: run the rundown unattended with --auto")
        }
        guard (5...100).contains(periodMs) else { throw ValidationError("--period-ms must be from 5 to 100, found \(periodMs)") }
        guard (2...16).contains(periods) else { throw ValidationError("--periods must be from 2 to 16, found \(periods)") }
        if (record == .capture || record == .both) && capture == nil {
            throw ValidationError("--record \(record.rawValue) needs --capture DEVICE (the desk's programme return)")
        }
    }

    func run() throws {
        let plan = try loadPlan(rundown)
        let rate = plan.sampleRate
        let periodFrames = max(32, rate * periodMs / 1000)
        let alsa: ALSAPlaybackDevice
        do {
            alsa = try ALSAPlaybackDevice(name: device, sampleRate: rate, periodFrames: periodFrames, periods: periods)
        } catch {
            if error.code == -ENOENT || error.code == -ENODEV {
                printError("regie: there is no ALSA device '\(device)' on this machine (no sound card?); try --device null to run without sound")
            } else {
                printError("regie: \(error)")
            }
            throw ExitCode(1)
        }
        defer { alsa.close() }
        let clock = pace == .clock || (pace == .auto && Self.devicesPacedByClock(name: device))
        let mode: RecordMode = switch record { case .program: .program; case .capture: .capture; case .both: .both; case .none: .none }
        let session = try LiveRecordingSession(plan: plan, mode: mode, folder: out.map { URL(fileURLWithPath: $0) })
        if let failure = session.asRunFailure { printError("regie: warning: the as-run log cannot be written: \(failure)") }
        let captureDevice: ALSACaptureDevice?
        if let name = capture, let recorder = session.capture {
            do {
                captureDevice = try ALSACaptureDevice(name: name, sampleRate: rate, periodFrames: alsa.periodFrames, periods: periods)
            } catch {
                printError("regie: \(error)")
                throw ExitCode(1)
            }
            _ = recorder
        } else {
            captureDevice = nil
        }
        defer { captureDevice?.close() }
        let player = LivePlayer(program: CompiledProgram(plan: plan), cache: LoudnessCache(showDirectory: plan.rundown.show.directory),
                                device: alsa, paceByClock: clock, periodFrames: alsa.periodFrames, recorder: session.program?.feed)
        let stop = player.loop.stop
        let signals = SignalCancellation { stop.raise() }
        defer { signals.stop() }
        printError("Playing \(plan.rundown.title) on \(device): \(FrameMath.format(frames: plan.total, sampleRate: rate)), periods of \(alsa.periodFrames) frames × \(alsa.bufferFrames / max(1, alsa.periodFrames))\(clock ? ", paced by the clock" : "")")
        for recorder in session.recorders { if let url = recorder.url { printError("Recording \(recorder.source.name) to \(url.path)") } }

        session.start(at: 0)
        let captureThread = captureDevice.flatMap { device in session.capture.map { CaptureThread(device: device, feed: $0.feed, stop: stop) } }
        captureThread?.start()
        let log = AutomationLog(plan: plan, asRun: session.asRun)
        let console = !headless && isatty(1) == 1
            ? LiveConsole(plan: plan, player: player, device: alsa, recorder: session.program) : nil
        let quiet = console != nil
        player.run(onPriority: { granted in
            if !granted && !quiet {
                printError("regie: note: no real-time scheduling for the render thread (not permitted); playing at normal priority")
            }
        }, progress: { position in
            log.advance(to: position)
            if let console {
                console.update(position: position)
                if console.quit { stop.raise() }
            }
        })
        console?.close()
        captureThread?.stopAndWait()
        let out = Int64(player.loop.framesOut.load(ordering: .relaxed))
        log.finish(at: out)
        let summaries = try session.finish(at: out)
        print("Played \(FrameMath.format(frames: out, sampleRate: rate, fractionDigits: 3)) of \(FrameMath.format(frames: plan.total, sampleRate: rate, fractionDigits: 3))")
        print("  xruns \(alsa.xrunCount), late prefetch \(player.mixer.lateFrames.load(ordering: .relaxed)) frames, device failures \(player.loop.deviceFailures.load(ordering: .relaxed))")
        if let asRun = session.asRun { print("  as-run log \(asRun.url.path)") }
        for summary in summaries { print("  recorded \(summary.url.path) (\(FrameMath.format(frames: summary.file.frames, sampleRate: rate, fractionDigits: 1)))") }

        if !noPublish, out == plan.total, let program = summaries.first(where: { $0.url == session.program?.url }) {
            let started = ContinuousClock.now
            let result = try EpisodeFinisher(plan: plan).run(recording: program.url, chapters: program.chapters,
                                                             measuredLoudness: program.integratedLoudness,
                                                             publishTo: publishTo.map { URL(fileURLWithPath: $0) })
            let seconds = (ContinuousClock.now - started).components.seconds
            print("  published \(result.url.lastPathComponent) to \(publishTo ?? "public/\(plan.rundown.show.slug)") in \(seconds) s (normalised by \(String(format: "%+.1f", result.gainDecibels)) dB)")
        }
        if out < plan.total { throw ExitCode(130) }
    }

    /// `null`, and devices whose names say they write to a file, accept data instantly.
    static func devicesPacedByClock(name: String) -> Bool {
        name == "null" || name.hasPrefix("file")
    }
}

/// The as-run log of an automated show: item starts and ends at the plan's fitted positions,
/// written as the programme passes them (control thread).
final class AutomationLog {
    private let plan: Plan
    private let asRun: AsRunLogWriter?
    private var boundaries: [(position: Int64, event: AsRunEvent)] = []
    private var next = 0

    init(plan: Plan, asRun: AsRunLogWriter?) {
        self.plan = plan
        self.asRun = asRun
        var events: [(Int64, AsRunEvent)] = [(0, AsRunEvent(.showStarted, position: 0))]
        for entry in plan.entries {
            let item = Int32(entry.item.index)
            if entry.dropped {
                events.append((entry.start, AsRunEvent(.itemDropped, position: entry.start, item: item)))
                continue
            }
            events.append((entry.start, AsRunEvent(.itemStarted, position: entry.start, item: item)))
            events.append((entry.end, AsRunEvent(.itemEnded, position: entry.end, item: item)))
        }
        boundaries = events.sorted { $0.0 < $1.0 }.map { (position: $0.0, event: $0.1) }
    }

    /// Logs every boundary the programme has passed.
    func advance(to position: Int64) {
        while next < boundaries.count, boundaries[next].position <= position {
            asRun?.log(stamped(boundaries[next].event))
            next += 1
        }
    }

    /// Logs the end of the show (or where it was stopped).
    func finish(at position: Int64) {
        advance(to: position)
        asRun?.log(stamped(AsRunEvent(.showEnded, position: position)))
    }

    private func stamped(_ event: AsRunEvent) -> AsRunEvent {
        var event = event
        event.wallNanoseconds = AsRunClock.now()
        return event
    }
}

/// Reads the capture device into the capture recorder's feed until stopped.
final class CaptureThread: @unchecked Sendable {
    private let device: ALSACaptureDevice
    private let feed: RecorderFeed
    private let stop: AtomicFlag
    private let done = DispatchSemaphore(value: 0)
    private let finished = AtomicFlag()

    init(device: ALSACaptureDevice, feed: RecorderFeed, stop: AtomicFlag) {
        self.device = device
        self.feed = feed
        self.stop = stop
    }

    func start() {
        let thread = Thread { [self] in
            let frames = device.periodFrames
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: frames * 2)
            defer { buffer.deallocate(); done.signal() }
            while !stop.isRaised && !finished.isRaised {
                do { try device.read(into: buffer, frames: frames) } catch { break }
                feed.offer(UnsafeBufferPointer(start: buffer, count: frames * 2))
            }
        }
        thread.name = "regie-capture"
        thread.start()
    }

    func stopAndWait() {
        finished.raise()
        done.wait()
    }
}
