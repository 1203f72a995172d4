import AudioIO
import Console
import Engine
import Foundation
import Logging
import MP3
import Podcast
import Production
import Stream
import Realtime
import RegieModel
import Support
import Synchronization

/// What is being done after the air, step by step: shown on the console (its last lines) while
/// it happens; headless, the warnings and alarms go to the log (standard error) as they come.
/// Written by the after-air thread, read by the console's.
final class AfterAirProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [ConsoleSnapshot.Alarm] = []
    private let logger: Logger?

    init(logger: Logger?) { self.logger = logger }

    var steps: [ConsoleSnapshot.Alarm] { lock.withLock { list } }

    /// A new step.
    func add(_ text: String, _ severity: ConsoleSnapshot.Alarm.Severity = .info) {
        lock.withLock { list.append(.init(severity, text)) }
        log(text, severity)
    }

    /// The step under way, said again (its progress, or how it ended).
    func replaceLast(_ text: String, _ severity: ConsoleSnapshot.Alarm.Severity = .info) {
        lock.withLock {
            if list.isEmpty { list.append(.init(severity, text)) } else { list[list.count - 1] = .init(severity, text) }
        }
        log(text, severity)
    }

    private func log(_ text: String, _ severity: ConsoleSnapshot.Alarm.Severity) {
        switch severity {
        case .alarm: logger?.error("\(text)")
        case .warning: logger?.warning("\(text)")
        case .info: break
        }
    }
}

/// The after-air work, run here (headless) or on a thread of its own while the console shows it.
final class AfterAirJob: @unchecked Sendable {
    private let body: () throws -> LiveShow.Summary
    private let done = AtomicFlag()
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Result<LiveShow.Summary, any Error>?

    init(_ body: @escaping () throws -> LiveShow.Summary) { self.body = body }

    var isDone: Bool { done.isRaised }

    func runHere() throws -> LiveShow.Summary { try body() }

    func start() {
        let thread = Thread { [self] in
            outcome = Result { try body() }
            done.raise()
            finished.signal()
        }
        thread.name = "regie-after-air"
        thread.start()
    }

    /// Waits for the thread and hands back what it returned or threw.
    func result() throws -> LiveShow.Summary {
        finished.wait()
        return try outcome!.get()
    }
}

extension LiveShow {
    /// After the air: closes the recordings, weighs what was lost and why the episode may not
    /// publish itself, makes the episode (published when it is the real show, whole; otherwise
    /// finished and kept ready), then mirrors the published folder to the web host.
    func afterAir(out: Int64, showOver: ContinuousClock.Instant, tracker: OnAirTracker, captureThread: CaptureThread?,
                  posts: PostKeeper, progress: AfterAirProgress) throws -> Summary {
        let (plan, session, player, device) = (configuration.plan, self.session, self.player, configuration.playback)
        let loop = player.loop
        let rate = plan.sampleRate
        announceLive(.ended, startWall: tracker.showStartWall, wait: true)
        progress.add("closing the recordings")
        let recordings = try session.finish(at: out)
        tracker.noteRecorders(session.recorders, position: out)   // a file that failed at its very end
        session.closeLog()
        progress.replaceLast("recordings closed: " + (recordings.isEmpty ? "none" : recordings.map(\.url.lastPathComponent).joined(separator: ", ")))
        let finishedAt = player.mixer.state.load().finishedAt
        let ranToTheEnd = finishedAt >= 0 && out >= finishedAt
        let aired = out - (tracker.showStart ?? out)
        var summary = Summary(
            airedFrames: aired, plannedFrames: plan.total, ranToTheEnd: ranToTheEnd,
            xruns: device.xrunCount, latePrefetchFrames: player.mixer.lateFrames.load(ordering: .relaxed),
            deviceFailures: loop.deviceFailures.load(ordering: .relaxed),
            pacedByClockBecauseTheDeviceWasFast: loop.pacedByClockSinceStart.isRaised, commandDelays: tracker.commandDelays,
            deviceQueueMilliseconds: Double(device.bufferFrames - device.periodFrames) / Double(rate) * 1000,
            roundTripFrames: captureThread.flatMap { $0.placed.isRaised ? $0.roundTripFrames.load(ordering: .relaxed) : nil },
            asRunLog: session.asRun?.url, recordings: recordings, lostFrames: [:], isRehearsal: false, episodeSource: nil,
            finished: nil, published: false, notPublishedBecause: [], publishCommand: nil, faults: [])
        if posts.clock.hasMeasured { summary.deviceClockPPM = posts.clock.ppm }
        summary.stream = stream?.status ?? []
        summary.streamOverrunFrames = stream?.overrunFrames ?? 0

        // What each recording should hold: the programme from the show's start to the end; the
        // desk's return from its first recorded period to the end.
        let expected: [RecordingSource: Int64] = [
            .program: aired,
            .capture: captureThread.map { $0.placed.isRaised ? $0.framesRecorded.load(ordering: .relaxed) : 0 } ?? 0,
        ]
        for recorder in session.recorders where tracker.showStart != nil {
            let written = recordings.first { $0.url == recorder.url }?.file.frames ?? 0
            let lost = (expected[recorder.source] ?? 0) - written
            if lost > 0 { summary.lostFrames[recorder.source] = lost }
        }

        var reasons: [String] = [], faults: [String] = []
        if let startWall = tracker.showStartWall {
            let air = plan.rundown.air.epochSeconds * 1_000_000_000
            summary.isRehearsal = !Self.startsInSlot(startWall, plan: plan)
            if summary.isRehearsal {
                reasons.append("a rehearsal: it started \(DateText.iso8601(nanoseconds: startWall, utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds).prefix(16).replacingOccurrences(of: "T", with: " ")), not in its slot (\(DateText.iso8601(nanoseconds: air, utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds).prefix(16).replacingOccurrences(of: "T", with: " ")))")
            }
        }
        if !ranToTheEnd { reasons.append("stopped before its end") }
        for (source, frames) in summary.lostFrames.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            faults.append("the \(source.name) recording lost \(FrameMath.format(frames: frames, sampleRate: rate, fractionDigits: 1))")
        }
        if !player.faults.isEmpty { faults.append("\(player.faults.count) audio file\(player.faults.count == 1 ? "" : "s") could not be read on air (played as silence)") }
        for alarm in [AsRunAlarm.silence, .xrun, .latePrefetch, .recorderOverrun, .recorderDiskError] where tracker.alarmKinds.contains(alarm) {
            switch alarm {
            case .silence: faults.append("the programme went silent")
            case .xrun: faults.append("the output device under- or overran")
            case .latePrefetch: faults.append("audio came too late and played as silence")
            case .recorderOverrun where summary.lostFrames.isEmpty: faults.append("a recorder fell behind")
            case .recorderDiskError where summary.lostFrames.isEmpty: faults.append("a recording stopped on a disk error")
            default: break
            }
        }
        reasons += faults

        // The episode: the desk's return when it was recorded, else the programme (which lacks the
        // presenters when there are live items).
        let capture = recordings.first { $0.url == session.capture?.url }
        let program = recordings.first { $0.url == session.program?.url }
        if capture == nil, let missing = Self.missingCapture(configuration) { reasons.append(String(missing.prefix { $0 != ":" })) }
        if let missing = Self.missingPodcastMetadata(plan) { reasons.append(missing) }
        summary.notPublishedBecause = configuration.publish ? reasons : []
        summary.faults = faults
        guard let episode = capture ?? program, tracker.showStart != nil else {
            if configuration.publish && !session.recorders.isEmpty {
                summary.notPublishedBecause.append("no recording was whole enough to finish")
            }
            if !session.recorders.isEmpty && tracker.showStart != nil { summary.faults.append("no recording was whole enough to finish") }
            return summary
        }
        summary.episodeSource = capture != nil ? .capture : .program

        let started = showOver
        let finisher = EpisodeFinisher(plan: plan)
        // The music not cleared for podcasting, where it aired in this recording.
        var cut: PodcastCut?, sting: [Float] = []
        if let log = session.asRun?.url, let entries = try? AsRunLog.read(log) {
            let spans = PodcastCut.spans(fromAsRun: entries, source: summary.episodeSource ?? .program)
            if !spans.isEmpty {
                sting = (try? PodcastSting.of(plan.rundown.show)) ?? []
                cut = PodcastCut(spans: spans, recordingFrames: episode.file.frames,
                                 crossfadeFrames: PodcastCut.defaultCrossfade(sampleRate: rate), stingFrames: sting.count / 2)
                let n = cut!.spans.count
                progress.add("leaving \(n) track\(n == 1 ? "" : "s") out of the podcast (on air only): the recording stays whole")
            }
        }
        let source = summary.episodeSource == .capture ? "the desk's return" : "the programme"
        if configuration.publish && reasons.isEmpty {
            progress.add("finishing the episode from \(source) (loudness, chapters, tags) and publishing it")
            do {
                let result = try finisher.run(recording: episode.url, chapters: episode.chapters,
                                              measuredLoudness: episode.integratedLoudness, cut: cut, sting: sting,
                                              publishTo: configuration.publishFolder)
                summary.finished = (result, Self.seconds(since: started))
                summary.published = true
                progress.replaceLast("published \(result.url.lastPathComponent) to \(configuration.publishFolder?.path ?? "public/\(plan.rundown.show.slug)") in \(String(format: "%.1f", Self.seconds(since: started))) s")
                if let remote = configuration.remote {
                    let folder = configuration.publishFolder ?? URL(fileURLWithPath: "public/\(plan.rundown.show.slug)")
                    summary.remote = mirror(folder, episodeFile: result.published?.mp3File, with: remote, progress: progress)
                }
            } catch {
                summary.notPublishedBecause.append("the episode could not be finished and published: \(error)")
                summary.faults.append("the episode could not be finished and published: \(error)")
                progress.replaceLast("the episode could not be finished and published: \(error); the recording \(episode.url.path) is whole", .alarm)
            }
        } else {
            // Finished and kept ready beside the recording: a rehearsal is named as one.
            let output = summary.isRehearsal
                ? episode.url.deletingLastPathComponent().appendingPathComponent(
                    episode.url.deletingPathExtension().lastPathComponent + "-rehearsal.mp3")
                : EpisodeFinisher.normalisedURL(for: episode.url)
            progress.add("finishing the episode from \(source) (not published)")
            do {
                let result = try finisher.normalise(recording: episode.url, chapters: episode.chapters, output: output,
                                                    measuredLoudness: episode.integratedLoudness, cut: cut, sting: sting)
                summary.finished = (result, Self.seconds(since: started))
                summary.publishCommand = "regie publish \(plan.rundown.file) \(result.url.path)"
                    + (configuration.publishFolder.map { " --to \($0.path)" } ?? "")
                progress.replaceLast("finished \(result.url.lastPathComponent), not published: " + (reasons.first ?? "--no-publish"),
                                     reasons.isEmpty ? .info : .warning)
            } catch {
                summary.notPublishedBecause.append("the recording could not be finished: \(error)")
                summary.faults.append("the recording could not be finished: \(error)")
                progress.replaceLast("the recording could not be finished: \(error); it is kept as recorded, \(episode.url.path)", .alarm)
            }
        }
        return summary
    }

    /// The published folder mirrored to the web host (retrying for `remoteRetrySeconds`, or until
    /// `stop`), then, when the show names its public address, the episode fetched back from it.
    func mirror(_ folder: URL, episodeFile: String?, with remote: RemoteMirror, progress: AfterAirProgress) -> RemoteResult {
        let show = configuration.plan.rundown.show.slug
        let where_ = "\(remote.destination)/\(show)/"
        progress.add("web host: connecting to \(where_)")
        let outcome = remote.publish(folder: folder, show: show, retryFor: configuration.remoteRetrySeconds,
                                     cancel: mirrorCancellation) { event in
            switch event {
            case .attempt(let n) where n > 1:
                progress.replaceLast("web host: attempt \(n), connecting to \(where_)")
            case .attempt: break
            case .progress(let bytes, let percent, let rate):
                progress.replaceLast("web host: \(percent) % sent (\(String(format: "%.1f", Double(bytes) / 1e6)) MB at \(rate)) to \(where_)")
            case .failed(let error, let next?):
                // The countdown first: a long error is what the screen's width cuts.
                progress.replaceLast("web host not reached, trying again in \(Int(next.rounded())) s: \(error)", .warning)
            case .failed: break
            }
        }
        var result = RemoteResult(destination: remote.destination, outcome: outcome)
        switch outcome {
        case .mirrored(let report):
            progress.replaceLast(RemoteMirrorText.mirrored(report, to: remote.destination, show: show))
            guard let episodeFile, let base = configuration.plan.rundown.show.baseURL,
                  let feedURL = PublicCopyCheck.feedURL(base: base) else { break }
            progress.add("checking \(feedURL)")
            result.checkedAt = feedURL
            result.publicCopyProblems = PublicCopyCheck.problems(feedURL: feedURL, enclosureFile: episodeFile,
                                                                 local: folder.appendingPathComponent(episodeFile))
            if result.publicCopyProblems.isEmpty {
                progress.replaceLast("checked at \(feedURL): \(episodeFile) answers whole")
            } else {
                progress.replaceLast("after the mirror, " + result.publicCopyProblems.joined(separator: "; "), .alarm)
            }
        case .pending(let pending):
            progress.replaceLast("NOT on the web host yet, pending ('regie publish --retry' sends it): \(pending.reason)", .alarm)
        }
        return result
    }
}
