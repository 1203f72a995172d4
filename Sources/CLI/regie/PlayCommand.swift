import ArgumentParser
import AudioIO
import Console
import Engine
import Foundation
import Playout
import RegieModel
import MP3
import Production

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
        let mode: RecordMode = switch record { case .program: .program; case .capture: .capture; case .both: .both; case .none: .none }
        var captureDevice: ALSACaptureDevice?
        if let name = capture, mode.sources.contains(.capture) {
            do {
                captureDevice = try ALSACaptureDevice(name: name, sampleRate: rate, periodFrames: alsa.periodFrames, periods: periods)
            } catch {
                printError("regie: \(error)")
                throw ExitCode(1)
            }
        }
        defer { captureDevice?.close() }
        let configuration = LiveShow.Configuration(
            plan: plan, playout: auto ? .automation : .interactive, playback: alsa, capture: captureDevice,
            paceByClock: pace == .clock || (pace == .auto && LiveShow.devicePacesByClock(name: device)),
            record: mode, recordingsFolder: out.map { URL(fileURLWithPath: $0) }, quality: quality, publish: !noPublish,
            publishFolder: publishTo.map { URL(fileURLWithPath: $0) },
            console: withConsole ? { TerminalScreen() } : nil)
        let show = try LiveShow(configuration, logger: standardErrorLogger())
        let signals = SignalCancellation { show.stop() }
        defer { signals.stop() }
        let summary = try show.run()

        let format = { (frames: Int64, digits: Int) in FrameMath.format(frames: frames, sampleRate: rate, fractionDigits: digits) }
        print("Played \(format(summary.airedFrames, 3)) (planned \(format(summary.plannedFrames, 3)))\(summary.ranToTheEnd ? "" : ", stopped before the end")")
        print("  xruns \(summary.xruns), late prefetch \(summary.latePrefetchFrames) frames, device failures \(summary.deviceFailures)")
        if !summary.commandDelays.isEmpty {
            let sorted = summary.commandDelays.sorted()
            print(String(format: "  keys: %d, key to programme median %.1f ms, max %.1f ms; the device queues %.1f ms more",
                         sorted.count, Double(sorted[sorted.count / 2]) / 1e6, Double(sorted.last!) / 1e6,
                         summary.deviceQueueMilliseconds))
        }
        if let asRun = summary.asRunLog { print("  as-run log \(asRun.path)") }
        for recording in summary.recordings { print("  recorded \(recording.url.path) (\(format(recording.file.frames, 1)))") }
        if let (result, seconds) = summary.published {
            print("  published \(result.url.lastPathComponent) to \(publishTo ?? "public/\(plan.rundown.show.slug)") in \(String(format: "%.1f", seconds)) s (\(result.path))")
        }
        if !summary.ranToTheEnd { throw ExitCode(130) }
    }
}
