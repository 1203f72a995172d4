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
        abstract: "Play an episode live through ALSA with the technician's console, or unattended (--auto).",
        discussion: """
        Runs the same engine as 'regie render', paced by the ALSA device. With the console (the default; it needs a terminal) the show waits for GO: space starts the next item or ends the live item on air (a live item holds at its end, its bed looping, until GO), Esc fades out and waits, s skips, p pauses, 1-9 0 F1-F12 fire the cart wall, d toggles the ducking of beds, q quits. Audio items follow one another as planned. With --auto each item follows the fitted plan and live items last their fitted length; without a terminal --auto runs headless.

        The render thread asks for real-time scheduling and carries on at normal priority when it may not. Devices that accept data instantly (null, file) are paced by the monotonic clock. The recording starts with the first item.

        Example:
          regie play shows/campus-magazine/2026-12-03.yaml --device pulse
          regie play --auto shows/campus-magazine/2026-11-05.yaml --device null
        """
    )

    @Argument(help: "The episode rundown.")
    var rundown: String

    @Flag(help: "Automation: run the rundown unattended.")
    var auto = false

    @Option(help: "ALSA playback device.")
    var device: String = "default"

    @Option(help: "Period length in milliseconds (5–100): a key sounds within one period plus the periods queued. Default 5 with the console (keys), 10 headless (no keys: half the wake-ups).")
    var periodMs: Int?

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

    @Option(help: "LAME quality of the live recordings, 0 (best, slowest) to 9 (fastest). The default 3 is LAME's own: half the CPU of 2 on air (see docs/benchmarks.md).")
    var quality: Int = 3

    @Option(help: "Folder for the recordings and the as-run log (default: recordings/<show>/<yyyy-mm-dd>/).")
    var out: String?

    @Option(help: "Where the finished episode is published (default: public/<show>/).")
    var publishTo: String?

    @Flag(help: "Do not normalise and publish the program recording when the show ends.")
    var noPublish = false

    @Flag(help: "No console even on a terminal (the console shows only when standard output is a terminal).")
    var headless = false

    func validate() throws {
        if !auto && (headless || isatty(1) != 1) {
            throw ValidationError("the live console needs a terminal (and no --headless): run in a terminal, or unattended with --auto")
        }
        if let periodMs, !(5...100).contains(periodMs) { throw ValidationError("--period-ms must be from 5 to 100, found \(periodMs)") }
        guard (0...9).contains(quality) else { throw ValidationError("--quality must be from 0 to 9, found \(quality)") }
        guard (2...16).contains(periods) else { throw ValidationError("--periods must be from 2 to 16, found \(periods)") }
        if (record == .capture || record == .both) && capture == nil {
            throw ValidationError("--record \(record.rawValue) needs --capture DEVICE (the desk's programme return)")
        }
    }

    func run() throws {
        let plan = try loadPlan(rundown)
        let rate = plan.sampleRate
        let withConsole = !headless && isatty(1) == 1
        let periodFrames = max(32, rate * (periodMs ?? (withConsole ? 5 : 10)) / 1000)
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
        let session = try LiveRecordingSession(plan: plan, mode: mode, folder: out.map { URL(fileURLWithPath: $0) },
                                               quality: quality)
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
        let player = LivePlayer(program: CompiledProgram(plan: plan, playout: auto ? .automation : .interactive), cache: LoudnessCache(showDirectory: plan.rundown.show.directory),
                                device: alsa, paceByClock: clock, periodFrames: alsa.periodFrames, recorder: session.program?.feed)
        let stop = player.loop.stop
        let signals = SignalCancellation { stop.raise() }
        defer { signals.stop() }
        printError("Playing \(plan.rundown.title) on \(device): \(FrameMath.format(frames: plan.total, sampleRate: rate)), periods of \(alsa.periodFrames) frames × \(alsa.bufferFrames / max(1, alsa.periodFrames))\(clock ? ", paced by the clock" : "")")
        for recorder in session.recorders { if let url = recorder.url { printError("Recording \(recorder.source.name) to \(url.path)") } }

        // The capture is recorded from the show's start: at once in automation (the first item
        // starts with the first period), at the first GO with the console.
        let captureFrom = auto ? AtomicFlag() : player.mixer.hasStarted
        if auto { captureFrom.raise() }
        let captureThread = captureDevice.flatMap { device in
            session.capture.map { CaptureThread(device: device, feed: $0.feed, stop: stop, recording: captureFrom) }
        }
        captureThread?.start()
        let tracker = OnAirTracker(plan: plan, asRun: session.asRun, mixer: player.mixer) { position in
            session.start(at: position)
        }
        for failure in player.cartFailures { tracker.raise(.warning, "\(failure): the key stays silent") }
        let console = withConsole
            ? LiveConsole(plan: plan, player: player, device: alsa, recorder: session.program, tracker: tracker) : nil
        if console == nil { for failure in player.cartFailures { printError("regie: warning: \(failure)") } }
        let quiet = console != nil
        var reportedFaults = 0
        // Headless, the main thread only moves events to the as-run log (stamped from their frame
        // positions, so the refresh rate does not matter) and watches for alarms: 10 times a second.
        player.run(interval: console == nil ? 100 : 0, onPriority: { granted in
            if !granted && !quiet {
                printError("regie: note: no real-time scheduling for the render thread (not permitted); playing at normal priority")
            }
        }, progress: { position in
            tracker.poll(position: position)
            tracker.noteXruns(alsa.xrunCount, position: position)
            let faults = player.faults
            while reportedFaults < faults.count {
                tracker.raise(.alarm, "unreadable audio played as silence: \(faults[reportedFaults])", logging: .missingFile, position: position)
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
        let summaries = try session.finish(at: out)
        let finishedAt = player.mixer.state.load().finishedAt
        let ranToTheEnd = finishedAt >= 0 && out >= finishedAt
        let aired = out - (tracker.showStart ?? out)
        print("Played \(FrameMath.format(frames: aired, sampleRate: rate, fractionDigits: 3)) (planned \(FrameMath.format(frames: plan.total, sampleRate: rate, fractionDigits: 3)))\(ranToTheEnd ? "" : ", stopped before the end")")
        print("  xruns \(alsa.xrunCount), late prefetch \(player.mixer.lateFrames.load(ordering: .relaxed)) frames, device failures \(player.loop.deviceFailures.load(ordering: .relaxed))")
        if !tracker.commandDelays.isEmpty {
            let sorted = tracker.commandDelays.sorted()
            let queued = Double(alsa.bufferFrames - alsa.periodFrames) / Double(rate) * 1000
            print(String(format: "  keys: %d, key to programme median %.1f ms, max %.1f ms; the device queues %.1f ms more",
                         sorted.count, Double(sorted[sorted.count / 2]) / 1e6, Double(sorted.last!) / 1e6, queued))
        }
        if let asRun = session.asRun { print("  as-run log \(asRun.url.path)") }
        for summary in summaries { print("  recorded \(summary.url.path) (\(FrameMath.format(frames: summary.file.frames, sampleRate: rate, fractionDigits: 1)))") }

        if !noPublish, ranToTheEnd, let program = summaries.first(where: { $0.url == session.program?.url }) {
            let started = ContinuousClock.now
            let result = try EpisodeFinisher(plan: plan).run(recording: program.url, chapters: program.chapters,
                                                             measuredLoudness: program.integratedLoudness,
                                                             publishTo: publishTo.map { URL(fileURLWithPath: $0) })
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("  published \(result.url.lastPathComponent) to \(publishTo ?? "public/\(plan.rundown.show.slug)") in \(String(format: "%.1f", seconds)) s (\(result.path))")
        }
        if !ranToTheEnd { throw ExitCode(130) }
    }

    /// `null`, and devices whose names say they write to a file, accept data instantly.
    static func devicesPacedByClock(name: String) -> Bool {
        name == "null" || name.hasPrefix("file")
    }
}

/// Reads the capture device into the capture recorder's feed until stopped.
final class CaptureThread: @unchecked Sendable {
    private let device: ALSACaptureDevice
    private let feed: RecorderFeed
    private let stop: AtomicFlag
    private let recording: AtomicFlag
    private let done = DispatchSemaphore(value: 0)
    private let finished = AtomicFlag()

    /// Reads `device` from the start (so it never overruns) and records once `recording` is raised.
    init(device: ALSACaptureDevice, feed: RecorderFeed, stop: AtomicFlag, recording: AtomicFlag) {
        self.device = device
        self.feed = feed
        self.stop = stop
        self.recording = recording
    }

    func start() {
        let thread = Thread { [self] in
            Thread.current.name = "regie-capture"
            let frames = device.periodFrames
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: frames * 2)
            defer { buffer.deallocate(); done.signal() }
            while !stop.isRaised && !finished.isRaised {
                do { try device.read(into: buffer, frames: frames) } catch { break }
                if recording.isRaised { feed.offer(UnsafeBufferPointer(start: buffer, count: frames * 2)) }
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
