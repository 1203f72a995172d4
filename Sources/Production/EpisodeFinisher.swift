// After the show: normalise the programme recording to the show's loudness and publish it.
import AudioIO
import DSP
import Foundation
import MP3
import Podcast
import RegieModel

/// Errors finishing an episode.
package enum EpisodeFinisherError: Error, CustomStringConvertible {
    /// The recording cannot be decoded.
    case unreadable(String)
    /// The recording holds only silence: there is no loudness to normalise.
    case silent(String)

    /// A one-line explanation.
    package var description: String {
        switch self {
        case .unreadable(let why): "the recording cannot be decoded: \(why)"
        case .silent(let path): "\(path) is silent: nothing to normalise"
        }
    }
}

/// Turns the raw programme recording into the published episode, by the cheapest of three paths
/// that lands on the show's loudness target (`loudness` LUFS) with the true peak at or under
/// `true_peak` dBTP:
///
/// 1. an inspection pass decodes the recording (on `inspectionThreads` threads) and measures the
///    MP3's own integrated loudness and true peak (what listeners will get);
/// 2. `asRecorded`: within ±`asRecordedTolerance` LU of the target and under the ceiling → the
///    recorded MP3 frames as they are (LAME info frame included) under a new ID3 tag;
/// 3. `gainChanged`: a whole number of 1.505 dB steps (`MP3GainEditor`, lossless) brings it
///    within ±`gainTolerance` LU with the true peak still under the ceiling;
/// 4. `gainChangedAtPeaks`: the gain those steps need would take a few peaks over the ceiling
///    (a quiet desk return with its microphones' peaks): the same steps everywhere but around
///    those peaks, held back granule by granule (`GranuleGainPlan`, still no re-encoding), the
///    result decoded to check the ceiling and the loudness — when no more than
///    `peakControlLimits` of the audio needs it;
/// 5. `reencoded`: otherwise (or when the stream refuses the lossless change) gain, the DSP
///    `TruePeakLimiter` and a new LAME encode.
///
/// Every path writes `<name>-normalised.mp3` atomically with the episode's ID3 tag and the
/// as-run chapters, keeps the raw recording, then the Podcast `Publisher` publishes it.
///
/// Threading: a control thread (after the show; seconds for an hour on the lossless paths, a
/// minute and a half when it must re-encode).
package struct EpisodeFinisher: Sendable {
    /// How the episode was made from the recording.
    package enum Path: Sendable, Equatable, CustomStringConvertible {
        /// The recorded frames as they are, under a new tag.
        case asRecorded
        /// Every granule's global gain moved by `steps` × 1.505 dB (lossless).
        case gainChanged(steps: Int)
        /// `steps` everywhere but around peaks: `heldBack` of the `granules` granules (13 ms each at
        /// 44.1 kHz) got up to `deepest` steps less (lossless: nothing re-quantised).
        case gainChangedAtPeaks(steps: Int, heldBack: Int, granules: Int, deepest: Int)
        /// Decoded, gain, limiter, encoded again; `reason` says why neither lossless path fit.
        case reencoded(reason: String)

        /// Why it was re-encoded (empty for the other paths).
        package var reencodingReason: String {
            if case let .reencoded(reason) = self { reason } else { "" }
        }

        /// Whether the recorded frames are kept (as they are, or gain-changed).
        package var isLossless: Bool {
            if case .reencoded = self { false } else { true }
        }

        /// A few words for a summary line.
        package var description: String {
            switch self {
            case .asRecorded: "as recorded"
            case let .gainChanged(steps): String(format: "gain %+.1f dB, lossless", Double(steps) * EpisodeFinisher.gainStepDecibels)
            case let .gainChangedAtPeaks(steps, heldBack, granules, deepest):
                String(format: "gain %+.1f dB, lossless, held back at peaks on %.1f %% of the audio (by up to %.1f dB)",
                       Double(steps) * EpisodeFinisher.gainStepDecibels, 100 * Double(heldBack) / Double(max(1, granules)),
                       Double(deepest) * EpisodeFinisher.gainStepDecibels)
            case let .reencoded(reason): "re-encoded (\(reason))"
            }
        }
    }

    /// The recording as decoded: what the path is chosen by.
    package struct Inspection: Sendable {
        /// Integrated loudness of the MP3 as decoded, LUFS.
        package var loudness: Double
        /// True peak of the MP3 as decoded (8× oversampled, as the limiter sees it), dBTP.
        package var truePeak: Double
        /// Sample frames (the LAME tag's delay and padding removed).
        package var frames: Int64
        /// Sample rate.
        package var sampleRate: Int
    }

    /// What was done and how long each step took.
    package struct Result: Sendable {
        /// The path taken.
        package var path: Path
        /// The recording's measurements.
        package var inspection: Inspection
        /// The normalised MP3.
        package var url: URL
        /// Its chapters file.
        package var chaptersURL: URL
        /// Loudness of the raw recording, LUFS: the MP3's own, from the inspection pass.
        package var sourceLoudness: Double
        /// The recorder's live figure when given (measured on the PCM before encoding), LUFS.
        package var recorderLoudness: Double?
        /// Gain applied, dB: 0 as recorded, the steps' gain when lossless, the gain before the
        /// limiter when re-encoded (includes `codecCompensation`).
        package var gainDecibels: Double
        /// Loudness the limiter and one more LAME generation take away at this gain (measured on an
        /// excerpt and added to the gain; re-encoding only), LU.
        package var codecCompensation: Double
        /// Frames in the output (equals the recording's).
        package var frames: Int64
        /// Seconds spent measuring: the inspection pass, plus the codec-loss excerpt when re-encoding.
        package var measureSeconds: Double
        /// Seconds spent writing the file: copying or gain-changing the frames, or decoding,
        /// limiting and encoding.
        package var encodeSeconds: Double
        /// Seconds spent publishing (0 when not published).
        package var publishSeconds: Double
        /// The published episode, when published.
        package var published: PublishedEpisode?
        /// The episode's chapters (the recording's, moved by the podcast cut).
        package var chapters: [Chapter] = []
        /// The music left out of the podcast (nil: nothing cut).
        package var cut: PodcastCut?
    }

    /// The episode's plan (show settings, tag, feed fields).
    package let plan: Plan
    /// LAME quality for the re-encode, 0 (best) – 9 (fastest).
    package var quality: Int
    /// Whether the lossless paths may be taken (false: always re-encode, for comparisons).
    package var losslessPaths = true
    /// Threads of the inspection pass (each decodes and measures a part of the recording).
    package var inspectionThreads = 2

    /// How far from the target (LU) the recording may be published as it is.
    package static let asRecordedTolerance = 0.5
    /// How far from the target (LU) a lossless gain change must land.
    package static let gainTolerance = 1.0
    /// How much holding back at peaks the lossless path may do before re-encoding (with a real
    /// limiter) sounds better: the share of the audio held back, the deepest reduction in steps.
    package static let peakControlLimits = (share: 0.1, deepest: 6)
    /// One step of an MP3 granule's global gain: 2^(1/4) in amplitude, 1.505 dB.
    package static let gainStepDecibels = 20 * log10(pow(2, 0.25))

    /// A finisher for `plan`.
    package init(plan: Plan, quality: Int = 2) {
        self.plan = plan
        self.quality = quality
    }

    /// The path for a recording measured at `loudness` LUFS and `truePeak` dBTP: as recorded when
    /// close enough; else the lossless gain (whole steps, none) that lands closest to the target
    /// within `gainTolerance` while keeping the true peak at or under `ceiling`; else re-encoding.
    package static func choosePath(loudness: Double, truePeak: Double, target: Double, ceiling: Double) -> Path {
        let error = target - loudness
        if abs(error) <= asRecordedTolerance && truePeak <= ceiling { return .asRecorded }
        var best: (steps: Int, miss: Double)?
        for steps in -40...40 where steps != 0 {
            let gain = Double(steps) * gainStepDecibels
            let miss = abs(error - gain)
            guard miss <= gainTolerance, truePeak + gain <= ceiling else { continue }
            if best == nil || miss < best!.miss { best = (steps, miss) }
        }
        if let best { return .gainChanged(steps: best.steps) }
        let need = String(format: "%+.2f dB", error)
        if truePeak > ceiling && abs(error) <= asRecordedTolerance {
            return .reencoded(reason: String(format: "on target but the true peak %.2f dBTP is over the ceiling", truePeak))
        }
        return .reencoded(reason: "needs \(need); no whole 1.5 dB step lands within ±\(gainTolerance) LU with the true peak at or under \(ceiling) dBTP")
    }

    /// `<recording name>-normalised.mp3` beside the recording.
    package static func normalisedURL(for recording: URL) -> URL {
        recording.deletingLastPathComponent()
            .appendingPathComponent(recording.deletingPathExtension().lastPathComponent + "-normalised.mp3")
    }

    /// Normalises `recording` into `output` (default `normalisedURL(for:)`, written atomically) with
    /// `chapters`. `measuredLoudness` (the recorder's live figure, of the PCM before encoding) is
    /// reported beside the MP3's own; the path is chosen by the MP3's loudness and true peak, which
    /// the inspection pass measures in any case (the true peak needs the decode).
    ///
    /// With a non-empty `cut` (the music not cleared for podcasting, `PodcastCut`), the episode is
    /// the recording without those tracks, joined by crossfades or `sting`: it is measured as cut
    /// and always re-encoded (a join cannot be made from the recorded frames); the chapters move
    /// with the cut, and the recording itself is left whole.
    package func normalise(recording: URL, chapters: [Chapter], output: URL? = nil,
                          measuredLoudness: Double? = nil, cut: PodcastCut? = nil, sting: [Float] = []) throws -> Result {
        let cut = cut.flatMap { $0.isEmpty ? nil : $0 }
        let show = plan.rundown.show
        let output = output ?? Self.normalisedURL(for: recording)
        let clock = ContinuousClock()
        var inspection = Inspection(loudness: 0, truePeak: 0, frames: 0, sampleRate: 0)
        let inspectTime = try clock.measure {
            inspection = try Self.inspect(recording: recording, threads: inspectionThreads)
        }
        var measureTime = inspectTime
        if let cut {
            // What listeners get is the cut: its loudness and peak choose the gain.
            measureTime += try clock.measure { try Self.measure(recording: recording, through: cut, sting: sting, into: &inspection) }
        }
        guard inspection.loudness.isFinite else { throw EpisodeFinisherError.silent(recording.path) }
        let chapters = cut?.chapters(chapters, sampleRate: inspection.sampleRate) ?? chapters

        var tag = EpisodeTag.of(plan)
        tag.chapters = chapters
        var path: Path = losslessPaths
            ? Self.choosePath(loudness: inspection.loudness, truePeak: inspection.truePeak,
                              target: show.loudness, ceiling: show.truePeak)
            : .reencoded(reason: "lossless paths turned off")
        if let cut {
            path = .reencoded(reason: "\(cut.spans.count) track\(cut.spans.count == 1 ? "" : "s") left out of the podcast")
        }
        var result = Result(path: path, inspection: inspection, url: output,
                            chaptersURL: EpisodeTag.chaptersURL(beside: output),
                            sourceLoudness: inspection.loudness, recorderLoudness: measuredLoudness, gainDecibels: 0,
                            codecCompensation: 0, frames: inspection.frames, measureSeconds: Self.seconds(measureTime),
                            encodeSeconds: 0, publishSeconds: 0, published: nil, chapters: chapters, cut: cut)

        let chosenPath = path
        if path.isLossless {
            var written = false
            let copyTime = try clock.measure {
                let audio = try Self.audioFrames(of: recording)
                var bytes = audio
                if case let .gainChanged(steps) = path {
                    do {
                        bytes = try MP3GainEditor(audio: audio).applying(steps: steps)
                    } catch let error as MP3GainError {
                        path = .reencoded(reason: "the lossless gain change was refused: \(error)")
                        return
                    }
                    result.gainDecibels = Double(steps) * Self.gainStepDecibels
                }
                tag.lengthMs = Chapter.milliseconds(frames: inspection.frames, sampleRate: inspection.sampleRate)
                try MP3FileWriter.writeAtomically(url: output, tag: tag, audio: bytes)
                written = true
            }
            if written {
                result.encodeSeconds = Self.seconds(copyTime)
                try EpisodeTag.writeChapters(chapters, beside: output)
                return result
            }
            result.path = path
        }
        // Holding back at peaks: when the peaks, not the stream, kept the uniform gain out.
        if losslessPaths, cut == nil, case .reencoded = chosenPath {
            var planned: GranuleGainPlan?
            var editSeconds = 0.0
            let peakTime = try clock.measure {
                var lengthTag = tag
                lengthTag.lengthMs = Chapter.milliseconds(frames: inspection.frames, sampleRate: inspection.sampleRate)
                planned = try gainAtPeaks(recording: recording, inspection: inspection, tag: lengthTag, output: output,
                                          editSeconds: &editSeconds)
            }
            if let plan = planned {
                result.path = .gainChangedAtPeaks(steps: plan.baseSteps, heldBack: plan.heldBack,
                                                  granules: plan.reduction.count, deepest: plan.deepest)
                result.gainDecibels = Double(plan.baseSteps) * Self.gainStepDecibels
                result.encodeSeconds = editSeconds
                result.measureSeconds += Self.seconds(peakTime) - editSeconds
                try EpisodeTag.writeChapters(chapters, beside: output)
                return result
            }
            result.path = .reencoded(reason: "\(path.reencodingReason); nor did holding back at peaks (on at most \(Int(Self.peakControlLimits.share * 100)) % of the audio, by \(Self.peakControlLimits.deepest) steps)")
        }

        var gainDB = show.loudness - inspection.loudness
        // At 128 kb/s LAME loses ~0.5 LU even on a sine, and the limiter takes more where peaks come
        // often; measure what they take on an excerpt (a second or two for any length) and make up
        // for it, so the file lands on target.
        var compensation = 0.0
        let calibrateTime = clock.measure {
            compensation = (try? encodingLoss(recording: recording, gainDecibels: gainDB, ceiling: show.truePeak,
                                              bitrate: show.bitrate)) ?? 0
        }
        gainDB += compensation
        let gain = Float(Decibels.toLinear(gainDB))

        tag.lengthMs = nil
        var frames: Int64 = 0
        let encodeTime = try clock.measure {
            let decoder: SndFileDecoder
            do { decoder = try SndFileDecoder(path: recording.path) } catch { throw EpisodeFinisherError.unreadable("\(error)") }
            let rate = decoder.info.sampleRate
            let cutReader = cut.map { PodcastCutReader(cut: $0, sting: sting) { decoder.read(into: $0, frames: $1) } }
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
                    n = cutReader?.read(into: buffer, frames: chunk) ?? decoder.read(into: buffer, frames: chunk)
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
        try EpisodeTag.writeChapters(chapters, beside: output)
        result.gainDecibels = gainDB
        result.codecCompensation = compensation
        result.frames = frames
        result.measureSeconds += Self.seconds(calibrateTime)
        result.encodeSeconds = Self.seconds(encodeTime)
        return result
    }

    /// Publishes `mp3` as this plan's episode into `folder` (default `public/<show>`) with
    /// `chapters`, through the Podcast `Publisher` (atomic feed, page, chapters).
    @discardableResult
    package func publish(mp3: URL, frames: Int64, chapters: [Chapter], to folder: URL? = nil,
                        baseURL: String? = nil, publisher: Publisher = Publisher()) throws -> PublishedEpisode {
        let show = plan.rundown.show
        let folder = folder ?? URL(fileURLWithPath: "public/\(show.slug)")
        let (channel, episode) = try PodcastMapping.channelAndEpisode(
            for: plan, mp3: mp3, duration: FrameMath.seconds(frames, sampleRate: plan.sampleRate),
            chapters: PodcastMapping.podcastChapters(chapters), baseURL: baseURL)
        return try publisher.publish(channel: channel, episode: episode, to: folder)
    }

    /// Normalises, then publishes: the whole end of the show.
    package func run(recording: URL, chapters: [Chapter], measuredLoudness: Double? = nil, cut: PodcastCut? = nil,
                    sting: [Float] = [], publishTo folder: URL? = nil, baseURL: String? = nil,
                    publisher: Publisher = Publisher()) throws -> Result {
        var result = try normalise(recording: recording, chapters: chapters, measuredLoudness: measuredLoudness, cut: cut, sting: sting)
        let clock = ContinuousClock()
        var published: PublishedEpisode?
        let t = try clock.measure {
            published = try publish(mp3: result.url, frames: result.frames, chapters: result.chapters, to: folder,
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
