// After the show: normalise the programme recording to the show's loudness and publish it.
import AudioIO
import DSP
import Foundation
import Podcast
import RegieModel

/// Errors finishing an episode.
public enum EpisodeFinisherError: Error, CustomStringConvertible {
    /// The recording cannot be decoded.
    case unreadable(String)
    /// The recording holds only silence: there is no loudness to normalise.
    case silent(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .unreadable(let why): "the recording cannot be decoded: \(why)"
        case .silent(let path): "\(path) is silent: nothing to normalise"
        }
    }
}

/// Turns the raw programme recording into the published episode: gain to the show's loudness
/// target (`loudness` LUFS), the DSP `TruePeakLimiter` at `true_peak` dBTP, a new MP3 (the raw
/// recording is kept) with the episode's ID3 tag and the chapters from the as-run log, then the
/// Podcast `Publisher`.
///
/// Threading: a control thread (after the show; it takes seconds to a minute for an hour).
public struct EpisodeFinisher: Sendable {
    /// What was done and how long each step took.
    public struct Result: Sendable {
        /// The normalised MP3.
        public var url: URL
        /// Its chapters file.
        public var chaptersURL: URL
        /// Loudness of the raw recording, LUFS (measured or given).
        public var sourceLoudness: Double
        /// Gain applied before the limiter, dB (includes `codecCompensation`).
        public var gainDecibels: Double
        /// Loudness one more LAME generation loses at these settings (measured on an excerpt and
        /// added to the gain), LU.
        public var codecCompensation: Double
        /// Frames in the output (equals the recording's).
        public var frames: Int64
        /// Seconds spent measuring (0 when the recorder's measurement was given).
        public var measureSeconds: Double
        /// Seconds spent decoding, limiting and encoding.
        public var encodeSeconds: Double
        /// Seconds spent publishing (0 when not published).
        public var publishSeconds: Double
        /// The published episode, when published.
        public var published: PublishedEpisode?
    }

    /// The episode's plan (show settings, tag, feed fields).
    public let plan: Plan
    /// LAME quality for the re-encode, 0 (best) – 9 (fastest).
    public var quality: Int

    /// A finisher for `plan`.
    public init(plan: Plan, quality: Int = 2) {
        self.plan = plan
        self.quality = quality
    }

    /// `<recording name>-normalised.mp3` beside the recording.
    public static func normalisedURL(for recording: URL) -> URL {
        recording.deletingLastPathComponent()
            .appendingPathComponent(recording.deletingPathExtension().lastPathComponent + "-normalised.mp3")
    }

    /// Normalises `recording` into `output` (default `normalisedURL(for:)`, written atomically) with
    /// `chapters`; skips the measuring pass when `measuredLoudness` (the recorder's) is given.
    public func normalise(recording: URL, chapters: [Chapter], output: URL? = nil,
                          measuredLoudness: Double? = nil) throws -> Result {
        let show = plan.rundown.show
        let output = output ?? Self.normalisedURL(for: recording)
        let clock = ContinuousClock()
        var loudness = measuredLoudness ?? 0
        let measureTime = try clock.measure {
            if measuredLoudness == nil {
                do { loudness = try LoudnessMeter.measureFile(path: recording.path).integrated } catch {
                    throw EpisodeFinisherError.unreadable("\(error)")
                }
            }
        }
        guard loudness.isFinite else { throw EpisodeFinisherError.silent(recording.path) }
        var gainDB = show.loudness - loudness
        // At 128 kb/s LAME loses ~0.5 LU even on a sine; measure what this generation loses on an
        // excerpt (a second or two for any length) and make up for it, so the file lands on target.
        var compensation = 0.0
        let calibrateTime = try clock.measure {
            compensation = (try? codecLoss(recording: recording, gainDecibels: gainDB, ceiling: show.truePeak,
                                           bitrate: show.bitrate)) ?? 0
        }
        gainDB += compensation
        let gain = Float(Decibels.toLinear(gainDB))

        var tag = EpisodeRender.tag(of: plan)
        tag.chapters = chapters
        tag.lengthMs = nil
        var frames: Int64 = 0
        let encodeTime = try clock.measure {
            let decoder: SndFileDecoder
            do { decoder = try SndFileDecoder(path: recording.path) } catch { throw EpisodeFinisherError.unreadable("\(error)") }
            let rate = decoder.info.sampleRate
            let limiter = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: Float(show.truePeak))
            let writer = try MP3FileWriter(url: output, mode: .atomic, sampleRate: rate, bitrateKbps: show.bitrate,
                                           quality: quality, tag: tag)
            let chunk = 8192
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
            defer { buffer.deallocate() }
            // The limiter's output lags by `latency` frames: drop that much at the start, feed that
            // much silence at the end, so the output lines up with the recording frame for frame.
            var toSkip = limiter.latencyFrames
            var tail = limiter.latencyFrames
            var inputDone = false
            while true {
                var n = 0
                if !inputDone {
                    n = decoder.read(into: buffer, frames: chunk)
                    if n == 0 { inputDone = true }
                }
                if n == 0 {
                    if tail == 0 { break }
                    n = min(tail, chunk)
                    buffer.update(repeating: 0, count: n * 2)
                    tail -= n
                } else {
                    for i in 0..<(n * 2) { buffer[i] *= gain }
                }
                limiter.process(UnsafeMutableBufferPointer(start: buffer, count: n * 2))
                let skip = min(toSkip, n)
                toSkip -= skip
                if n > skip {
                    try writer.write(interleaved: buffer + skip * 2, frames: n - skip)
                }
            }
            frames = writer.framesWritten
            try writer.finish(tag: tag)
        }
        let chaptersURL = output.deletingPathExtension().appendingPathExtension("chapters.json")
        try ChaptersJSON.write(chapters, to: chaptersURL)
        return Result(url: output, chaptersURL: chaptersURL, sourceLoudness: loudness, gainDecibels: gainDB,
                      codecCompensation: compensation, frames: frames,
                      measureSeconds: Self.seconds(measureTime) + Self.seconds(calibrateTime),
                      encodeSeconds: Self.seconds(encodeTime),
                      publishSeconds: 0, published: nil)
    }

    /// Loudness (LU, clamped to 0…2) that re-encoding loses: `seconds` from the middle of the
    /// recording, with the gain and limiter, measured before and after a LAME round trip.
    func codecLoss(recording: URL, gainDecibels: Double, ceiling: Double, bitrate: Int, seconds: Int = 20) throws -> Double {
        let decoder = try SndFileDecoder(path: recording.path)
        let rate = decoder.info.sampleRate
        let length = min(Int64(seconds * rate), decoder.info.frames)
        try decoder.seek(toFrame: max(0, decoder.info.frames / 2 - length / 2))
        var samples = [Float](repeating: 0, count: Int(length) * 2)
        let got = samples.withUnsafeMutableBufferPointer { decoder.read(into: $0.baseAddress!, frames: Int(length)) }
        guard got > rate else { return 0 }   // under a second: nothing reliable to learn
        let gain = Float(Decibels.toLinear(gainDecibels))
        for i in 0..<(got * 2) { samples[i] *= gain }
        let limiter = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: Float(ceiling))
        samples.withUnsafeMutableBufferPointer { limiter.process(UnsafeMutableBufferPointer(rebasing: $0[0..<(got * 2)])) }
        let before = LoudnessMeter(sampleRate: rate)
        samples.withUnsafeBufferPointer { before.add($0.baseAddress!, frames: got) }
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("regie-calibrate-\(UUID().uuidString).mp3")
        defer { try? FileManager.default.removeItem(at: temp) }
        let writer = try MP3FileWriter(url: temp, mode: .atomic, sampleRate: rate, bitrateKbps: bitrate, quality: quality,
                                       tag: ID3v2Tag(), reservedTagSpace: 0)
        try samples.withUnsafeBufferPointer { try writer.write(interleaved: $0.baseAddress!, frames: got) }
        try writer.finish()
        let after = try LoudnessMeter.measureFile(path: temp.path).integrated
        let loss = before.integrated - after
        return loss.isFinite ? min(max(loss, 0), 2) : 0
    }

    /// Publishes `mp3` as this plan's episode into `folder` (default `public/<show>`) with
    /// `chapters`, through the Podcast `Publisher` (atomic feed, page, chapters).
    @discardableResult
    public func publish(mp3: URL, frames: Int64, chapters: [Chapter], to folder: URL? = nil,
                        baseURL: String? = nil, publisher: Publisher = Publisher()) throws -> PublishedEpisode {
        let show = plan.rundown.show
        let folder = folder ?? URL(fileURLWithPath: "public/\(show.slug)")
        let channel = PodcastMapping.channel(for: show, baseURL: baseURL)
        let episode = PodcastMapping.episode(for: plan, mp3: mp3, duration: FrameMath.seconds(frames, sampleRate: plan.sampleRate),
                                             chapters: PodcastMapping.podcastChapters(chapters))
        return try publisher.publish(channel: channel, episode: episode, to: folder)
    }

    /// Normalises, then publishes: the whole end of the show.
    public func run(recording: URL, chapters: [Chapter], measuredLoudness: Double? = nil, publishTo folder: URL? = nil,
                    baseURL: String? = nil, publisher: Publisher = Publisher()) throws -> Result {
        var result = try normalise(recording: recording, chapters: chapters, measuredLoudness: measuredLoudness)
        let clock = ContinuousClock()
        var published: PublishedEpisode?
        let t = try clock.measure {
            published = try publish(mp3: result.url, frames: result.frames, chapters: chapters, to: folder,
                                    baseURL: baseURL, publisher: publisher)
        }
        result.published = published
        result.publishSeconds = Self.seconds(t)
        return result
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
