import ArgumentParser
import AudioIO
import Engine
import Foundation
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

    func validate() throws {
        guard auto else {
            throw ValidationError("the live console is not available yet: run the rundown unattended with --auto")
        }
        guard (5...100).contains(periodMs) else { throw ValidationError("--period-ms must be from 5 to 100, found \(periodMs)") }
        guard (2...16).contains(periods) else { throw ValidationError("--periods must be from 2 to 16, found \(periods)") }
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
        let player = LivePlayer(program: CompiledProgram(plan: plan), cache: LoudnessCache(showDirectory: plan.rundown.show.directory),
                                device: alsa, paceByClock: clock, periodFrames: alsa.periodFrames)
        let stop = player.loop.stop
        let signals = SignalCancellation { stop.raise() }
        defer { signals.stop() }
        printError("Playing \(plan.rundown.title) on \(device): \(FrameMath.format(frames: plan.total, sampleRate: rate)), periods of \(alsa.periodFrames) frames × \(alsa.bufferFrames / max(1, alsa.periodFrames))\(clock ? ", paced by the clock" : "")")
        player.run { granted in
            if !granted { printError("regie: note: no real-time scheduling for the render thread (not permitted); playing at normal priority") }
        }
        let out = Int64(player.loop.framesOut.load(ordering: .relaxed))
        print("Played \(FrameMath.format(frames: out, sampleRate: rate, fractionDigits: 3)) of \(FrameMath.format(frames: plan.total, sampleRate: rate, fractionDigits: 3))")
        print("  xruns \(alsa.xrunCount), late prefetch \(player.mixer.lateFrames.load(ordering: .relaxed)) frames, device failures \(player.loop.deviceFailures.load(ordering: .relaxed))")
        if out < plan.total { throw ExitCode(130) }
    }

    /// `null`, and devices whose names say they write to a file, accept data instantly.
    static func devicesPacedByClock(name: String) -> Bool {
        name == "null" || name.hasPrefix("file")
    }
}
