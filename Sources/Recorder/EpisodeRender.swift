import AudioIO
import DSP
import Engine
import Foundation
import Realtime
import Synchronization
import RegieModel

/// Renders an episode to MP3: the engine mixes on the calling thread while an encoder thread
/// runs LAME on the other core, fed through a sample ring; then the tag (with chapters from the
/// plan) and the chapters JSON are written and the file appears under its final name atomically.
public final class EpisodeRender {
    /// What the render produced.
    public struct Summary: Sendable {
        /// Frames of audio (equals the plan's fitted total).
        public var frames: Int64
        /// Sample rate.
        public var sampleRate: Int
        /// Integrated loudness of the programme, LUFS (libebur128).
        public var integratedLoudness: Double
        /// True peak of the programme, dBTP (libebur128).
        public var truePeak: Double
        /// Size of the MP3 file, bytes.
        public var bytes: Int64
        /// Frames of source audio that were late (always 0 offline unless a source failed).
        public var lateFrames: Int
        /// Sources that failed while rendering.
        public var faults: [String]
        /// The chapters written.
        public var chapters: [Chapter]
    }

    /// Settings of the encoder.
    public struct Settings: Sendable {
        /// LAME quality 0 (best, slowest) – 9 (fastest).
        public var quality: Int
        /// CBR bitrate, kb/s.
        public var bitrate: Int
        /// A settings value.
        public init(quality: Int = 2, bitrate: Int = 128) { self.quality = quality; self.bitrate = bitrate }
    }

    /// Set from another thread (a signal handler's queue) to abandon the render.
    public let cancelled = AtomicFlag()

    private let program: CompiledProgram
    private let settings: Settings
    private let cache: LoudnessCache

    /// Prepares the render of `program`.
    public init(program: CompiledProgram, settings: Settings, cache: LoudnessCache) {
        self.program = program
        self.settings = settings
        self.cache = cache
    }

    /// The chapters of a plan: one per segment, music and live item that airs, from its start to
    /// the start of the next chapter (or the end).
    public static func chapters(of plan: Plan) -> [Chapter] {
        let airing = plan.airing.filter { $0.item.kind.isChapter }
        return airing.enumerated().map { index, entry in
            let end = index + 1 < airing.count ? airing[index + 1].start : plan.total
            return Chapter(title: entry.item.displayTitle, startFrame: entry.start, endFrame: end, sampleRate: plan.sampleRate)
        }
    }

    /// The ID3 tag of an episode.
    public static func tag(of plan: Plan) -> ID3v2Tag {
        let rundown = plan.rundown
        var tag = ID3v2Tag()
        tag.title = rundown.title
        tag.album = rundown.show.title
        tag.artist = rundown.show.author
        tag.track = rundown.episode
        let date = rundown.air.localDate
        tag.date = (date.year, date.month, date.day)
        tag.comment = rundown.description
        if let data = FileManager.default.contents(atPath: rundown.show.artwork) {
            tag.cover = ID3v2Tag.Picture(imageData: [UInt8](data), description: "Cover")
        }
        tag.chapters = chapters(of: plan)
        tag.lengthMs = Chapter.milliseconds(frames: plan.total, sampleRate: plan.sampleRate)
        return tag
    }

    /// Renders to `url` (and `<name>.chapters.json` beside it). `progress` is called on the
    /// rendering thread with frames done and total.
    public func run(to url: URL, progress: ((Int64, Int64) -> Void)? = nil) throws -> Summary {
        let plan = program.plan
        let rate = plan.sampleRate
        let renderer = OfflineRenderer(program: program, cache: cache)
        let ring = SPSCRing<Float>(capacity: rate * 2 * 2)   // 2 s of stereo between mixer and LAME
        let done = AtomicFlag()
        let tag = Self.tag(of: plan)
        let encoderResult = EncoderThreadResult()
        let settings = self.settings
        let cancelled = self.cancelled

        // The encoder thread owns the MP3 writer from creation to finish.
        let encoderFinished = DispatchSemaphore(value: 0)
        let encoder = Thread {
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

        // The summary's loudness from libebur128 (integrated only) and its true peak from the same
        // 8× interpolation as the limiter: libebur128's true-peak mode would cost as much as the limiter.
        let meter = LoudnessMeter(sampleRate: rate, truePeak: false)
        let peakMeter = TruePeakMeter()
        var written: Int64 = 0
        let total = plan.total
        do {
            try renderer.run { block in
                meter.add(block.baseAddress!, frames: block.count / 2)
                peakMeter.process(block)
                var offset = 0
                while offset < block.count {
                    if let error = encoderResult.error { throw error }
                    if cancelled.isRaised { throw CancellationError() }
                    let n = ring.write(from: block.baseAddress! + offset, count: block.count - offset)
                    if n == 0 { usleep(200) }
                    offset += n
                }
                written += Int64(block.count / 2)
                progress?(written, total)
            }
        } catch {
            cancelled.raise()
            done.raise()
            encoderFinished.wait()
            throw encoderResult.error ?? error
        }
        done.raise()
        encoderFinished.wait()
        if let error = encoderResult.error { throw error }

        let chaptersURL = url.deletingPathExtension().appendingPathExtension("chapters.json")
        try ChaptersJSON.write(tag.chapters, to: chaptersURL)
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0
        return Summary(frames: written, sampleRate: rate, integratedLoudness: meter.integrated, truePeak: Double(peakMeter.decibels),
                       bytes: bytes, lateFrames: renderer.mixer.lateFrames.load(ordering: .relaxed),
                       faults: renderer.faults, chapters: tag.chapters)
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
