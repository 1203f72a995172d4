import ArgumentParser
import AudioIO
import Console
import Engine
import Foundation
import Playout
import Podcast
import Stream
import RegieModel
import MP3
import Production
import Support
import RegieYAML

/// `regie play RUNDOWN --auto`
struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play an episode live through ALSA with the technician's console, or unattended (--auto).",
        discussion: """
        Runs the same engine as 'regie render', paced by the ALSA device. With the console (the default; it needs a terminal) the show waits for GO: space starts the next item or ends the live item on air (a live item holds at its end, its bed looping, until GO), Esc fades out and waits, s skips, p pauses, 1-9 0 F1-F12 fire the cart wall, d toggles the ducking of beds, q quits. Audio items follow one another as planned. With --auto each item follows the fitted plan and live items last their fitted length; on the air date it waits for the air time (--now starts at once); without a terminal --auto runs headless.

        The devices, the recordings and the published folder come from station.yaml beside shows/ (see docs/station-format.md); every option below overrides it. With a capture device (the desk's programme return) the desk's mix is recorded and becomes the episode; the programme is recorded beside it.

        The episode publishes itself only when this is the real show (its air date, started in its slot), it ran to its end and nothing was lost: otherwise it is finished and kept ready, and the summary says why and how to publish it. Exit status: 0 when the show ran to its end without a fault (published, or not for a reason said before air: a rehearsal, no desk return, podcast keys missing, --no-publish); 1 when it could not start; 3 when a recording lost audio; 4 when something else went wrong on air or after (a file unreadable on air, silence, an xrun, late audio, an episode that could not be finished); 5 when the show went well and was published here but the station's web host does not have it (the mirror left pending, or the public copy not right); 130 when stopped before the end.

        The render thread asks for real-time scheduling and carries on at normal priority when it may not. Devices that accept data instantly (null, file, or a chain that ends in one) are paced by the monotonic clock. The recording starts with the first item.

        Example:
          regie play shows/campus-magazine/2026-12-03.yaml
          regie play shows/campus-magazine/2026-12-03.yaml --device pulse --capture desk
          regie play --auto shows/campus-magazine/2026-11-05.yaml --device null
        """
    )

    @Argument(help: "The episode rundown.")
    var rundown: String

    @Flag(help: "Automation: run the rundown unattended.")
    var auto = false

    @Flag(help: "With --auto: start at once (a rehearsal) even on the air date before the air time. Without it, --auto on the air date waits for the air time; on any other day it starts at once.")
    var now = false

    @Option(help: "The station file (default: station.yaml beside the shows/ folder).")
    var station: String?

    @Option(help: "ALSA playback device (default: the station's 'playback', else 'default').")
    var device: String?

    @Option(help: "Period length in milliseconds (5–100): a key sounds within one period plus the periods queued. Default: the station's, else 5 with the console (keys), 10 headless (no keys: half the wake-ups).")
    var periodMs: Int?

    @Option(help: "Number of periods in the device buffer (2–16; default: the station's, else 4).")
    var periods: Int?

    @Option(help: "Pacing: device (the ALSA device's clock), clock (the monotonic clock), auto (clock for null and file devices, and for any device found to take audio faster than real time).")
    var pace: Pacing = .auto

    enum Pacing: String, ExpressibleByArgument, CaseIterable { case auto, device, clock }

    @Option(help: "What to record: program (the programme bus), capture (the desk's return), both, none (default: the station's, else both with a capture device, program without).")
    var record: Station.Record?

    @Option(help: "ALSA capture device: the desk's programme return (default: the station's 'capture').")
    var capture: String?

    @Option(help: "LAME quality of the live recordings, 0 (best, slowest) to 9 (fastest). The default 3 is LAME's own: half the CPU of 2 on air (see docs/benchmarks.md).")
    var quality: Int = 3

    @Option(help: "Folder for the recordings and the as-run log (default: <station recordings>/<show>/<yyyy-mm-dd>/, else recordings/…).")
    var out: String?

    @Option(help: "Where the finished episode is published (default: <station publish>/<show>/, else public/<show>/).")
    var publishTo: String?

    @Flag(help: "Do not publish the episode when the show ends (it is still finished and kept ready).")
    var noPublish = false

    @Flag(help: "No console even on a terminal (the console shows only when standard output is a terminal).")
    var headless = false

    @Option(help: ArgumentHelp("Stream to this Icecast mount (icecast://[user@]host[:port]/mount; may be given more than once), besides the station's 'streams:'. The source password comes from REGIE_ICECAST_PASSWORD, never from the command line.", valueName: "url"))
    var stream: [String] = []

    @Flag(help: "Do not stream, even to the station's 'streams:'.")
    var noStream = false

    func validate() throws {
        if now && !auto { throw ValidationError("--now is for --auto (with the console the show starts on GO)") }
        if !auto && (headless || isatty(1) != 1) {
            throw ValidationError("the live console needs a terminal (and no --headless): run in a terminal, or unattended with --auto")
        }
        if let periodMs, !(5...100).contains(periodMs) { throw ValidationError("--period-ms must be from 5 to 100, found \(periodMs)") }
        guard (0...9).contains(quality) else { throw ValidationError("--quality must be from 0 to 9, found \(quality)") }
        if let periods, !(2...16).contains(periods) { throw ValidationError("--periods must be from 2 to 16, found \(periods)") }
    }

    func run() throws {
        let plan = try loadPlan(rundown)
        let stationFile = station ?? StationReader.file(forRundown: rundown)
        let (read, stationDiagnostics) = StationReader.read(path: stationFile)
        for diagnostic in stationDiagnostics { printError(diagnostic.description) }
        guard let station = read else { throw ExitCode(1) }
        let rate = plan.sampleRate
        let withConsole = !headless && isatty(1) == 1
        let deviceName = device ?? station.playback ?? "default"
        let captureName = capture ?? station.capture
        let recordChoice = record ?? station.record ?? (captureName == nil ? .program : .both)
        if (recordChoice == .capture || recordChoice == .both) && captureName == nil {
            printError("regie: --record \(recordChoice.rawValue) needs the desk's return: --capture DEVICE, or 'capture:' in \(stationFile)")
            throw ExitCode(2)
        }
        let periodCount = periods ?? station.periods ?? 4
        let periodFrames = max(32, rate * (periodMs ?? station.periodMilliseconds ?? (withConsole ? 5 : 10)) / 1000)
        let alsa: ALSAPlaybackDevice
        do {
            alsa = try ALSAPlaybackDevice(name: deviceName, sampleRate: rate, periodFrames: periodFrames, periods: periodCount)
        } catch {
            if error.code == -ENOENT || error.code == -ENODEV {
                printError("regie: there is no ALSA device '\(deviceName)' on this machine (no sound card?); try --device null to run without sound")
            } else {
                printError("regie: \(error)")
            }
            throw ExitCode(1)
        }
        defer { alsa.close() }
        let mode: RecordMode = switch recordChoice { case .program: .program; case .capture: .capture; case .both: .both; case .none: .none }
        var captureDevice: ALSACaptureDevice?
        if let captureName, mode.sources.contains(.capture) {
            do {
                captureDevice = try ALSACaptureDevice(name: captureName, sampleRate: rate, periodFrames: alsa.periodFrames,
                                                      periods: periodCount)
            } catch {
                printError("regie: the desk's return '\(captureName)': \(error)")
                throw ExitCode(1)
            }
        }
        defer { captureDevice?.close() }
        let day = plan.rundown.air.localDate
        let recordings = out.map { URL(fileURLWithPath: $0) } ?? station.recordings.map {
            URL(fileURLWithPath: $0).appendingPathComponent(plan.rundown.show.slug)
                .appendingPathComponent(String(format: "%04d-%02d-%02d", day.year, day.month, day.day))
        }
        let published = publishTo.map { URL(fileURLWithPath: $0) }
            ?? station.publish.map { URL(fileURLWithPath: $0).appendingPathComponent(plan.rundown.show.slug) }
        var configuration = LiveShow.Configuration(
            plan: plan, playout: auto ? .automation : .interactive, playback: alsa, capture: captureDevice,
            paceByClock: pace == .clock || (pace == .auto && LiveShow.devicePacesByClock(name: deviceName)),
            record: mode, recordingsFolder: recordings, quality: quality, publish: !noPublish, publishFolder: published,
            console: withConsole ? { TerminalScreen() } : nil)
        // After the air and the local publish: the web host, if the station names one. An
        // unreachable host only leaves the mirror pending ('regie publish --retry').
        configuration.remote = station.remote.map { RemoteMirror(destination: $0, limitKbps: station.remoteLimitKbps) }
        configuration.streams = try streams(station: station, plan: plan)
        if auto && !now { configuration.startAt = LiveShow.Configuration.waitForAir(plan.rundown.air, now: WallClock.nanoseconds()) }
        let show: LiveShow
        do {
            show = try LiveShow(configuration, logger: standardErrorLogger())
        } catch let error as LiveShowError {
            printError("regie: nothing played: \(error)")
            throw ExitCode(1)
        }
        let signals = SignalCancellation { show.stop() }
        defer { signals.stop() }
        let summary = try show.run()
        printSummary(summary, plan: plan, published: published)
        if !summary.ranToTheEnd { throw ExitCode(130) }
        if summary.recordingLostAudio { throw ExitCode(3) }
        if !summary.faults.isEmpty { throw ExitCode(4) }
        if summary.remote?.needsAttention == true { throw ExitCode(5) }
    }

    /// The mounts to stream to with their passwords: `--stream` always; the station's only for the
    /// show itself (from an hour before its air time to the end of its slot, on its air date), so
    /// a rehearsal never goes out to the listeners.
    func streams(station: Station, plan: Plan) throws -> [(destination: StreamDestination, password: String)] {
        guard !noStream else { return [] }
        var chosen: [StreamDestination] = []
        for text in stream {
            switch StreamDestination.parse(text) {
            case .success(let destination): chosen.append(destination)
            case .failure(let error):
                printError("regie: --stream \(error)")
                throw ExitCode(2)
            }
        }
        if !station.streams.isEmpty {
            let air = plan.rundown.air.epochSeconds * 1_000_000_000
            let slotEnd = air + FrameMath.nanoseconds(plan.slot, sampleRate: plan.sampleRate)
            let now = WallClock.nanoseconds()
            if now >= air - 3_600_000_000_000 && now < slotEnd {
                chosen += station.streams
            } else {
                printError("regie: not streamed to the station's mounts: this is not the show's slot (a rehearsal); --stream URL streams anyway")
            }
        }
        return try chosen.map { destination in
            if let file = destination.passwordFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                      let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty else {
                    printError("regie: the source password of \(destination) cannot be read from \(file)")
                    throw ExitCode(2)
                }
                return (destination, String(line))
            }
            guard let password = ProcessInfo.processInfo.environment["REGIE_ICECAST_PASSWORD"], !password.isEmpty else {
                printError("regie: \(destination) needs its source password: 'password_file' for it in the station file, or the environment variable REGIE_ICECAST_PASSWORD")
                throw ExitCode(2)
            }
            return (destination, password)
        }
    }

    func printSummary(_ summary: LiveShow.Summary, plan: Plan, published: URL?) {
        let rate = plan.sampleRate
        let format = { (frames: Int64, digits: Int) in FrameMath.format(frames: frames, sampleRate: rate, fractionDigits: digits) }
        print("Played \(format(summary.airedFrames, 3)) (planned \(format(summary.plannedFrames, 3)))\(summary.ranToTheEnd ? "" : ", stopped before the end")")
        print("  xruns \(summary.xruns), late prefetch \(summary.latePrefetchFrames) frames, device failures \(summary.deviceFailures)\(summary.pacedByClockBecauseTheDeviceWasFast ? ", paced by the clock (the device took audio faster than real time)" : "")")
        if !summary.commandDelays.isEmpty {
            let sorted = summary.commandDelays.sorted()
            print(String(format: "  keys: %d, key to programme median %.1f ms, max %.1f ms; the device queues %.1f ms more",
                         sorted.count, Double(sorted[sorted.count / 2]) / 1e6, Double(sorted.last!) / 1e6,
                         summary.deviceQueueMilliseconds))
        }
        if let roundTrip = summary.roundTripFrames {
            print(String(format: "  the desk's return: round trip %.1f ms (playback and capture queues), placed by it", Double(roundTrip) / Double(rate) * 1000))
        }
        if let ppm = summary.deviceClockPPM {
            print(String(format: "  the sound card's clock ran %+.1f ppm against the station's clock (the posts were kept on the station's)", ppm))
        }
        for mount in summary.stream {
            var line = "  streamed to \(mount.destination): \(mount.bytesSent / 1000) kB sent"
            if mount.reconnects > 0 { line += ", \(mount.reconnects) reconnection\(mount.reconnects == 1 ? "" : "s")" }
            if let listeners = mount.listeners { line += ", \(listeners) listener\(listeners == 1 ? "" : "s") at the end" }
            if mount.state != .connected { line += "; DOWN at the end: \(mount.lastError ?? "not connected")" }
            print(line)
        }
        if summary.streamOverrunFrames > 0 {
            print("  the stream fell behind: \(format(summary.streamOverrunFrames, 1)) left out of it (not of the air nor the recordings)")
        }
        if let asRun = summary.asRunLog { print("  as-run log \(asRun.path)") }
        for recording in summary.recordings { print("  recorded \(recording.url.path) (\(format(recording.file.frames, 1)))") }
        for (source, frames) in summary.lostFrames.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            print("  the \(source.name) recording LOST \(format(frames, 1))")
        }
        if summary.notPublishedBecause.isEmpty {
            for fault in summary.faults { print("  fault: \(fault)") }
        }
        guard let (result, seconds) = summary.finished else {
            for reason in summary.notPublishedBecause { print("  not published: \(reason)") }
            return
        }
        let from = summary.episodeSource.map { " from the \($0 == .capture ? "desk's return" : "programme")" } ?? ""
        if summary.published {
            let folder = published?.path ?? "public/\(plan.rundown.show.slug)"
            print("  published \(result.url.lastPathComponent)\(from) to \(folder), \(String(format: "%.1f", seconds)) s after the show ended (\(result.path))")
            if let remote = summary.remote {
                let show = plan.rundown.show.slug
                switch remote.outcome {
                case .mirrored(let report):
                    print("  " + RemoteMirrorText.mirrored(report, to: remote.destination, show: show))
                case .pending(let pending):
                    print("  " + RemoteMirrorText.pending(pending, folder: URL(fileURLWithPath: folder)))
                }
                if let feed = remote.checkedAt {
                    if remote.publicCopyProblems.isEmpty { print("  checked at \(feed): the episode answers whole") }
                    for problem in remote.publicCopyProblems { print("  after the mirror, \(problem)") }
                }
            }
        } else {
            if summary.notPublishedBecause.isEmpty {
                print("  finished \(result.url.path)\(from) (\(result.path)), not published (--no-publish)")
            } else {
                print("  finished \(result.url.path)\(from) (\(result.path)), not published:")
                for reason in summary.notPublishedBecause { print("    - \(reason)") }
            }
            if let command = summary.publishCommand { print("  to publish it anyway: \(command)") }
        }
    }
}

extension Station.Record: ExpressibleByArgument {}
