import AudioIO
import DSP
import Engine
import Foundation
import MP3
import Realtime
import RegieModel
import Support
import Synchronization

/// Renders an episode to MP3: the engine mixes on the calling thread while an encoder thread
/// runs LAME on the other core, fed through a sample ring; then the tag (with chapters from the
/// plan) and the chapters JSON are written and the file appears under its final name atomically.
package final class EpisodeRender {
    /// What the render produced.
    package struct Summary: Sendable {
        /// Frames of audio (equals the plan's fitted total).
        package var frames: Int64
        /// Sample rate.
        package var sampleRate: Int
        /// Integrated loudness of the programme, LUFS (libebur128).
        package var integratedLoudness: Double
        /// True peak of the programme, dBTP (libebur128).
        package var truePeak: Double
        /// Size of the MP3 file, bytes.
        package var bytes: Int64
        /// Frames of source audio that were late (always 0 offline unless a source failed).
        package var lateFrames: Int
        /// Sources that failed while rendering.
        package var faults: [String]
        /// The chapters written.
        package var chapters: [Chapter]
        /// The podcast's copy, when music was left out of it.
        package var podcast: PodcastCopy?
    }

    /// The episode without the music not cleared for podcasting (`PodcastCut`).
    package struct PodcastCopy: Sendable {
        /// Its MP3.
        package var url: URL
        /// Its frames: the programme's less the tracks (plus the sting for each).
        package var frames: Int64
        /// Its chapters (the tracks' marked "on air only").
        package var chapters: [Chapter]
        /// What was cut.
        package var cut: PodcastCut
        /// Size of the MP3, bytes.
        package var bytes: Int64
    }

    /// `<name>-podcast.mp3` beside a render: its podcast copy.
    package static func podcastURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(url.deletingPathExtension().lastPathComponent + "-podcast.mp3")
    }

    /// Settings of the encoder.
    package struct Settings: Sendable {
        /// LAME quality 0 (best, slowest) – 9 (fastest).
        package var quality: Int
        /// CBR bitrate, kb/s.
        package var bitrate: Int
        /// A settings value.
        package init(quality: Int = 2, bitrate: Int = 128) { self.quality = quality; self.bitrate = bitrate }
    }

    /// Set from another thread (a signal handler's queue) to abandon the render.
    package let cancelled = AtomicFlag()

    private let program: CompiledProgram
    private let settings: Settings
    private let cache: LoudnessCache

    /// Prepares the render of `program`.
    package init(program: CompiledProgram, settings: Settings, cache: LoudnessCache) {
        self.program = program
        self.settings = settings
        self.cache = cache
    }

    /// Samples (interleaved stereo) between the mixer and the encoder: 2^20, about 12 s of
    /// audio at 44.1 kHz (4 MiB), i.e. a quarter of a second of LAME's work, so the encoder
    /// never runs dry when the mixing thread is held up for a moment.
    static let encoderRingSamples = 1 << 20

    /// Renders to `url` (and `<name>.chapters.json` beside it); with `wav`, also writes the
    /// programme exactly as it goes to LAME, rounded to 16 bits, as a WAV (written under
    /// `<wav>.part` and renamed at the end, like the MP3). `progress` is called on the rendering
    /// thread with frames done and total.
    ///
    /// The encoder thread is the critical path: LAME needs a core to itself for the whole render
    /// and everything else (mixing, prefetch, analysis) shares the other. So the calling thread
    /// switches itself to `SCHED_BATCH` while it mixes, after starting the encoder thread and
    /// before the prefetch and analysis threads, which inherit the policy: batch threads never
    /// preempt the encoder when they wake up (they take turns at the scheduler tick instead), yet
    /// keep their fair share of the CPU. With two or more usable CPUs the encoder also gets one of
    /// them to itself (`EncoderCores`). The caller's policy and CPUs are restored before returning.
    ///
    /// When the plan has music that may not go in the podcast, a second encoder thread also writes
    /// `podcastURL(for: url)` (and its chapters): the same programme through the `PodcastCut`,
    /// from the same blocks, so the cut falls on the plan's frames exactly. The render itself
    /// keeps every track: it is the station's copy.
    package func run(to url: URL, wav: URL? = nil, progress: ((Int64, Int64) -> Void)? = nil) throws -> Summary {
        let plan = program.plan
        let rate = plan.sampleRate
        let callerCPUs = CPUMask.ofCallingThread()
        let cores = callerCPUs.flatMap(EncoderCores.init(allowed:))
        let renderer = OfflineRenderer(program: program, cache: cache,
                                       analysisCores: cores.map { .init(urgent: $0.all, background: $0.others) })
        let ring = SPSCRing<Float>(capacity: Self.encoderRingSamples)
        let done = AtomicFlag()
        let tag = EpisodeTag.of(plan)
        let encoderResult = EncoderThreadResult()
        let settings = self.settings
        let cancelled = self.cancelled

        // The podcast's copy: its own ring and encoder, fed the same blocks.
        let spans = PodcastCut.spans(of: plan)
        var podcast: (cut: PodcastCut, url: URL, ring: SPSCRing<Float>, tag: ID3v2Tag, finished: DispatchSemaphore)?
        if !spans.isEmpty {
            let sting = try PodcastSting.of(plan.rundown.show) ?? []
            let cut = PodcastCut(spans: spans, recordingFrames: plan.total,
                                 crossfadeFrames: PodcastCut.defaultCrossfade(sampleRate: rate), stingFrames: sting.count / 2)
            var podcastTag = tag
            podcastTag.chapters = cut.chapters(tag.chapters, sampleRate: rate)
            podcastTag.lengthMs = Chapter.milliseconds(frames: cut.outputFrames, sampleRate: rate)
            let copy = (cut, Self.podcastURL(for: url), SPSCRing<Float>(capacity: Self.encoderRingSamples), podcastTag,
                        DispatchSemaphore(value: 0))
            podcast = copy
            let podcastThread = Thread {
                Thread.current.name = "regie-podcast"
                defer { copy.4.signal() }
                do {
                    let ring = copy.2
                    let reader = PodcastCutReader(cut: cut, sting: sting) { buffer, frames in
                        while true {
                            let got = ring.read(into: buffer, count: frames * 2) / 2
                            if got > 0 { return got }
                            if cancelled.isRaised || (done.isRaised && ring.availableToRead == 0) { return 0 }
                            usleep(500)
                        }
                    }
                    let writer = try MP3FileWriter(url: copy.1, mode: .atomic, sampleRate: rate, bitrateKbps: settings.bitrate,
                                                   quality: settings.quality, tag: copy.3)
                    let chunk = 1152 * 8
                    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
                    defer { buffer.deallocate() }
                    while true {
                        let n = reader.read(into: buffer, frames: chunk)
                        if cancelled.isRaised { writer.cancel(); throw CancellationError() }
                        if n == 0 { break }
                        try writer.write(interleaved: buffer, frames: n)
                    }
                    _ = try writer.finish(tag: copy.3)
                    // A track at the very end: the copy ends before the programme does, and the
                    // mixer must still be able to write the rest.
                    while !cancelled.isRaised && !(done.isRaised && ring.availableToRead == 0) {
                        if ring.read(into: buffer, count: chunk * 2) == 0 { usleep(500) }
                    }
                } catch {
                    if encoderResult.error == nil { encoderResult.error = error }
                    done.raise()
                }
            }
            podcastThread.start()
        }
        if spans.isEmpty {
            // A podcast copy left by an earlier render of this rundown is no longer true.
            let stale = Self.podcastURL(for: url)
            try? FileManager.default.removeItem(at: stale)
            try? FileManager.default.removeItem(at: EpisodeTag.chaptersURL(beside: stale))
        }
        // Waits for the podcast encoder (when there is one) before returning or throwing.
        func waitForPodcast() { podcast?.finished.wait() }

        let wavPart = wav.map { PendingFile.part(for: $0.path) }
        let wavWriter = try wavPart.map { try AudioFileWriter(path: $0.temporaryPath, sampleRate: rate, encoding: .wav16) }
        var wavFinished = false
        defer { if !wavFinished, let wavPart { wavWriter?.close(); wavPart.abandon() } }

        // The encoder thread owns the MP3 writer from creation to finish.
        let encoderFinished = DispatchSemaphore(value: 0)
        let encoder = Thread {
            Thread.current.name = "regie-encoder"   // named from inside: profiles and /proc show it
            cores?.encoder.applyToCallingThread()
            defer { encoderFinished.signal() }
            do {
                let writer = try MP3FileWriter(url: url, mode: .atomic, sampleRate: rate, bitrateKbps: settings.bitrate,
                                               quality: settings.quality, tag: tag)
                let chunk = 1152 * 8
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
                defer { buffer.deallocate() }
                while true {
                    if cancelled.isRaised { writer.cancel(); throw CancellationError() }
                    let n = ring.read(into: buffer, count: chunk * 2) / 2
                    if n > 0 {
                        try writer.write(interleaved: buffer, frames: n)
                    } else if done.isRaised && ring.availableToRead == 0 {
                        break
                    } else {
                        usleep(500)
                    }
                }
                _ = try writer.finish(tag: tag)
            } catch {
                encoderResult.error = error
                done.raise()
            }
        }
        encoder.name = "regie-encoder"
        encoder.start()

        let scheduling = BatchScheduling()
        defer { scheduling.restore() }
        // The mixing thread and the prefetch thread it starts keep off the encoder's core.
        let confined = cores?.others.applyToCallingThread() ?? false
        defer { if confined { callerCPUs?.applyToCallingThread() } }

        // The summary's loudness from libebur128 (integrated only) and its true peak from the same
        // 8× interpolation as the limiter: libebur128's true-peak mode would cost as much as the
        // limiter. The meter skips stretches that cannot beat the peak so far (same peak, a
        // fraction of the work on a limited programme).
        let meter = LoudnessMeter(sampleRate: rate, truePeak: false)
        let peakMeter = TruePeakMeter()
        var written: Int64 = 0
        let total = plan.total
        // When the ring is full, wait until a quarter of it is free (a few wake-ups per second of
        // LAME's work instead of one per block).
        let refill = ring.capacity / 4
        do {
            try renderer.run { block in
                meter.add(block.baseAddress!, frames: block.count / 2)
                peakMeter.processSkippingQuiet(block)
                try wavWriter?.write(interleaved: block.baseAddress!, frames: block.count / 2)
                for ring in [ring] + (podcast.map { [$0.ring] } ?? []) {
                    if ring.availableToWrite < block.count {
                        while ring.availableToWrite < refill {
                            if let error = encoderResult.error { throw error }
                            if cancelled.isRaised { throw CancellationError() }
                            usleep(2000)
                        }
                    }
                    ring.write(from: block.baseAddress!, count: block.count)
                }
                written += Int64(block.count / 2)
                progress?(written, total)
            }
        } catch {
            cancelled.raise()
            done.raise()
            encoderFinished.wait()
            waitForPodcast()
            throw encoderResult.error ?? error
        }
        if let short = Self.truncatedSource(in: renderer.measurements) {
            // A source the loudness pass found shorter than its header: the render played
            // silence for the rest; nothing is written.
            cancelled.raise()
            done.raise()
            encoderFinished.wait()
            waitForPodcast()
            throw short
        }
        done.raise()
        scheduling.restore()
        encoderFinished.wait()
        waitForPodcast()
        if let error = encoderResult.error { throw error }

        if let wav, let wavPart, let wavWriter {
            wavWriter.close()
            wavFinished = true
            do { try wavPart.commit() } catch let error as FileSystemError { throw AudioFileError.unwritable(wav.path, error.reason) }
        }
        try EpisodeTag.writeChapters(tag.chapters, beside: url)
        func size(_ url: URL) -> Int64 { ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0 }
        var copy: PodcastCopy?
        if let podcast {
            try EpisodeTag.writeChapters(podcast.tag.chapters, beside: podcast.url)
            copy = PodcastCopy(url: podcast.url, frames: podcast.cut.outputFrames, chapters: podcast.tag.chapters,
                               cut: podcast.cut, bytes: size(podcast.url))
        }
        return Summary(frames: written, sampleRate: rate, integratedLoudness: meter.integrated, truePeak: Double(peakMeter.decibels),
                       bytes: size(url), lateFrames: renderer.mixer.lateFrames.load(ordering: .relaxed),
                       faults: renderer.faults, chapters: tag.chapters, podcast: copy)
    }
}

extension EpisodeRender {
    /// The first source whose whole decode (the loudness pass: `framesDecoded`) came short of
    /// its header (`SourceLoudness.truncation`), as the error to report.
    static func truncatedSource(in measurements: [String: SourceLoudness]) -> AudioFileError? {
        for (path, loudness) in measurements.sorted(by: { $0.key < $1.key }) {
            guard let info = try? AudioFile.probe(path: path),
                  let truncation = loudness.truncation(headerFrames: info.frames, sampleRate: info.sampleRate) else { continue }
            return .unreadable(path, "it is \(truncation)")
        }
        return nil
    }
}

/// The CPUs of a render on a machine with two or more usable CPUs: LAME is the critical path, so
/// the encoder thread runs alone on the last CPU and every other thread of the render on the rest
/// (the analysis thread on all of them while the render waits for its first sources' loudness,
/// when the encoder has nothing to do yet). Otherwise those threads wake now and then on the
/// encoder's core and it waits its turn: about 0.4 s of an hour's render on two idle cores.
struct EncoderCores {
    /// The encoder's CPU.
    let encoder: CPUMask
    /// The other usable CPUs.
    let others: CPUMask
    /// Every usable CPU.
    let all: CPUMask

    /// The split of `allowed`; nil with fewer than two CPUs.
    init?(allowed: CPUMask) {
        let cpus = allowed.cpus
        guard let last = cpus.last, cpus.count >= 2 else { return nil }
        encoder = CPUMask(cpus: [last])
        others = CPUMask(cpus: cpus.dropLast())
        all = allowed
    }
}

/// The encoder thread's error, read by the rendering thread.
final class EncoderThreadResult: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
