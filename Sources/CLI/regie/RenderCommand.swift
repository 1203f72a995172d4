import ArgumentParser
import AudioIO
import Engine
import Foundation
import Production
import RegieModel
import Realtime

/// `regie render RUNDOWN`
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render an episode to a podcast-ready MP3 (tags, artwork, chapters), as fast as the CPU allows.",
        discussion: """
        The rundown is checked first (as 'regie check'); nothing is written when it has errors. Live items render at their fitted length, with their bed or silence. Each source is brought to the show's loudness target and a true-peak limiter keeps the programme under the ceiling. Writes FILE.mp3 and FILE.chapters.json; an interrupted render leaves no FILE.mp3. Music not cleared for the podcast (podcast: false, or the show's podcast_music: false) stays in FILE.mp3, the station's copy, and is cut out of FILE-podcast.mp3 (with its chapters), which --publish publishes.

        Example:
          regie render shows/campus-magazine/2026-11-05.yaml
          regie render shows/campus-magazine/2026-11-05.yaml -o episode-11.mp3 --quality 0
        """
    )

    @Argument(help: "The episode rundown (shows/<show>/<yyyy-mm-dd>.yaml).")
    var rundown: String

    @Option(name: .shortAndLong, help: "The MP3 to write (default: renders/<show>/<yyyy-mm-dd>.mp3).")
    var output: String?

    @Option(help: "LAME quality, 0 (best, slowest) to 9 (fastest).")
    var quality: Int = 2

    @Option(help: ArgumentHelp("Also write the programme to this WAV (16-bit), exactly as it goes to the MP3 encoder.",
                               discussion: "A master to keep, or the very programme for another encoder to compare with (scripts/bench-render)."))
    var wav: String?

    @Flag(help: "Publish the episode to the show's podcast folder once rendered (as 'regie publish').")
    var publish = false

    @Option(help: "With --publish: the show's published folder (default: public/<show>/).")
    var to: String?

    @Flag(help: "With --publish: publish a rundown with live items, whose live items render as their bed or silence (a placeholder episode).")
    var publishPlaceholders = false

    func validate() throws {
        guard (0...9).contains(quality) else { throw ValidationError("--quality must be from 0 to 9, found \(quality)") }
        if let output, !output.lowercased().hasSuffix(".mp3") {
            throw ValidationError("--output must name an .mp3 file, found '\(output)'")
        }
        if let wav, !wav.lowercased().hasSuffix(".wav") {
            throw ValidationError("--wav must name a .wav file, found '\(wav)'")
        }
    }

    func run() throws {
        // The render's loudness pass decodes every source whole and refuses a truncated one:
        // the workspace does not decode them a second time.
        var workspace = Workspace(verifiesAudio: false)
        workspace.load([rundown])
        for diagnostic in workspace.diagnostics { printError(diagnostic.description) }
        guard !workspace.hasErrors, let plan = workspace.plans.first else {
            printError("regie: nothing rendered: fix the errors above first")
            throw ExitCode(1)
        }
        let show = plan.rundown.show
        let live = plan.airing.filter { $0.item.kind == .live }
        if publish && !live.isEmpty && !publishPlaceholders {
            printError("regie: not rendered: the rundown has \(live.count) live item\(live.count == 1 ? "" : "s"), which a render fills with \(live.count == 1 ? "its" : "their") bed or silence; their podcast comes from 'regie play' (the desk's return), or publish this placeholder with --publish-placeholders")
            throw ExitCode(1)
        }
        let name = ((rundown as NSString).lastPathComponent as NSString).deletingPathExtension
        let url = URL(fileURLWithPath: output ?? "renders/\(show.slug)/\(name).mp3")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)

        let program = CompiledProgram(plan: plan)
        let render = EpisodeRender(program: program, settings: .init(quality: quality, bitrate: show.bitrate),
                                   cache: LoudnessCache(showDirectory: show.directory))
        let cancelled = render.cancelled
        let signals = SignalCancellation { cancelled.raise() }
        defer { signals.stop() }
        let bar = ProgressBar(enabled: isatty(2) == 1)
        let summary: EpisodeRender.Summary
        do {
            summary = try render.run(to: url, wav: wav.map { URL(fileURLWithPath: $0) }) { done, total in bar.update(done: done, total: total, sampleRate: plan.sampleRate) }
        } catch is CancellationError {
            bar.finish()
            printError("regie: render interrupted; nothing written to \(url.path)")
            throw ExitCode(130)
        } catch let error as AudioFileError {
            bar.finish()
            var said = "\(error)"
            if said.hasSuffix(".") { said.removeLast() }
            printError("regie: \(said); nothing rendered to \(url.path)")
            throw ExitCode(1)
        }
        bar.finish()
        for fault in summary.faults { printError("regie: warning: \(fault) (played as silence)") }
        let seconds = FrameMath.format(frames: summary.frames, sampleRate: summary.sampleRate, fractionDigits: 3)
        print("Rendered \(url.path)")
        if let wav { print("  programme  \(wav) (16-bit WAV)") }
        print("  length     \(seconds) (\(summary.frames) frames at \(summary.sampleRate) Hz)")
        print("  loudness   \(String(format: "%.1f", summary.integratedLoudness)) LUFS integrated (target \(formatNumber(show.loudness)))")
        print("  true peak  \(String(format: "%.1f", summary.truePeak)) dBTP (ceiling \(formatNumber(show.truePeak)))")
        print("  size       \(String(format: "%.1f", Double(summary.bytes) / 1_000_000)) MB, \(show.bitrate) kb/s CBR, \(summary.chapters.count) chapters")
        if let copy = summary.podcast {
            let n = copy.cut.spans.count
            print("Podcast copy \(copy.url.path)")
            print("  without    \(n) track\(n == 1 ? "" : "s") not cleared for the podcast (\(FrameMath.format(frames: copy.cut.removedFrames, sampleRate: summary.sampleRate, fractionDigits: 3)))"
                  + (show.podcastSting != nil ? ", each replaced by the sting" : ", joined by \(Int((Double(copy.cut.crossfadeFrames) * 1000 / Double(summary.sampleRate)).rounded())) ms crossfades"))
            for span in copy.cut.spans { print("             \(PodcastCut.onAirOnlyTitle(span.title))") }
            print("  length     \(FrameMath.format(frames: copy.frames, sampleRate: summary.sampleRate, fractionDigits: 3)) (\(copy.frames) frames); \(url.lastPathComponent) keeps every track for the station")
        }
        if publish {
            let folder = try regiePublish(plan: plan, mp3: summary.podcast?.url ?? url, to: to)
            print("Published to \(folder.path)/feed.xml")
        }
    }

    func formatNumber(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}

/// A one-line progress bar on standard error (only when it is a terminal).
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var lastPercent = -1
    init(enabled: Bool) { self.enabled = enabled }

    func update(done: Int64, total: Int64, sampleRate: Int) {
        guard enabled, total > 0 else { return }
        let percent = Int(done * 100 / total)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 40
        let filled = width * percent / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let position = FrameMath.format(frames: done, sampleRate: sampleRate, fractionDigits: 0)
        FileHandle.standardError.write(Data("\r\(bar) \(percent)% \(position)\u{1B}[K".utf8))
    }

    func finish() {
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Turns SIGINT and SIGTERM into a call (on a dispatch queue, not in a signal handler).
final class SignalCancellation: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ handler: @escaping @Sendable () -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
