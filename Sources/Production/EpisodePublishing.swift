// `regie publish`: an MP3 made elsewhere (a render, a rehearsal, an edit) becomes the episode of a
// rundown, once it is known to be an MP3 that decodes whole.
import AudioIO
import Foundation
import Podcast
import RegieModel

/// Why an episode file was not published.
package enum EpisodePublishingError: Error, CustomStringConvertible {
    /// The file is not there.
    case missing(String)
    /// Not an MP3: a podcast enclosure must be (`audio/mpeg`); the other format is named.
    case notMP3(path: String, format: String)
    /// It cannot be decoded at all.
    case unreadable(path: String, reason: String)
    /// It decodes to fewer frames than its header says (truncated or damaged).
    case truncated(path: String, stated: Int64, decoded: Int64, sampleRate: Int)
    /// The show or rundown lacks podcast metadata (located errors).
    case metadata(MissingPodcastMetadata)
    /// The podcast folder refused it.
    case podcast(PodcastError)
    /// It is the whole programme, with music the podcast may not carry (its titles).
    case holdsMusicOnAirOnly(path: String, titles: [String], podcastCopy: String)

    package var description: String {
        switch self {
        case .missing(let path): "\(path): no such file"
        case let .notMP3(path, format):
            "\(path) is \(format), not an MP3: a podcast episode must be MPEG audio; make one with 'regie render' (or encode it with lame)"
        case let .unreadable(path, reason): "\(path) cannot be decoded: it is damaged, truncated or not audio (\(reason))"
        case let .truncated(path, stated, decoded, rate):
            "\(path) is damaged or truncated: its header says \(FrameMath.format(frames: stated, sampleRate: rate, fractionDigits: 1)) but only \(FrameMath.format(frames: decoded, sampleRate: rate, fractionDigits: 1)) decode"
        case .metadata(let missing): missing.description
        case .podcast(let error): "\(error)"
        case let .holdsMusicOnAirOnly(path, titles, copy):
            "\(path) is the whole programme, with \(titles.count) track\(titles.count == 1 ? "" : "s") not cleared for the podcast (\(titles.joined(separator: "; "))): publish \(copy), the copy 'regie render' makes without \(titles.count == 1 ? "it" : "them")"
        }
    }
}

/// Publishing a finished MP3 as the episode of a plan.
package enum EpisodePublishing {
    /// Frames a decoder may come short of the header's count without the file being damaged
    /// (an MP3's last granule).
    static let lengthTolerance: Int64 = 1152

    /// Checks `mp3` (an MP3 that decodes to the length its header states, which becomes the
    /// episode's duration) and publishes it with the chapters beside it (or the plan's) into
    /// `folder`. Returns the episode as published.
    @discardableResult
    package static func publish(plan: Plan, mp3: URL, to folder: URL, baseURL: String? = nil,
                                publisher: Publisher = Publisher()) throws(EpisodePublishingError) -> PublishedEpisode {
        let decoded = try verifiedFrames(of: mp3)
        let onAirOnly = PodcastCut.spans(of: plan)
        if !onAirOnly.isEmpty, abs(decoded.frames - plan.total) <= lengthTolerance {
            throw .holdsMusicOnAirOnly(path: mp3.path, titles: onAirOnly.map(\.title),
                                       podcastCopy: EpisodeRender.podcastURL(for: mp3).path)
        }
        do {
            let (channel, episode) = try PodcastMapping.channelAndEpisode(
                for: plan, mp3: mp3, duration: Double(decoded.frames) / Double(decoded.sampleRate),
                chapters: PodcastMapping.chapters(for: mp3, plan: plan), baseURL: baseURL)
            return try publisher.publish(channel: channel, episode: episode, to: folder)
        } catch let error as MissingPodcastMetadata {
            throw .metadata(error)
        } catch let error as PodcastError {
            throw .podcast(error)
        } catch {
            throw .unreadable(path: mp3.path, reason: "\(error)")
        }
    }

    /// Decodes `mp3` whole: its frames and rate, when it is an MP3 that holds what its header says.
    package static func verifiedFrames(of mp3: URL) throws(EpisodePublishingError) -> (frames: Int64, sampleRate: Int) {
        guard FileManager.default.fileExists(atPath: mp3.path) else { throw .missing(mp3.path) }
        let decoder: SndFileDecoder
        do { decoder = try SndFileDecoder(path: mp3.path) } catch { throw .unreadable(path: mp3.path, reason: "\(error)") }
        guard decoder.info.isMPEG else { throw .notMP3(path: mp3.path, format: decoder.info.formatDescription) }
        let chunk = 16384
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
        defer { buffer.deallocate() }
        var frames: Int64 = 0
        while true {
            let n = decoder.read(into: buffer, frames: chunk)
            if n == 0 { break }
            frames += Int64(n)
        }
        if frames + lengthTolerance < decoder.info.frames {
            throw .truncated(path: mp3.path, stated: decoder.info.frames, decoded: frames, sampleRate: decoder.info.sampleRate)
        }
        return (frames, decoder.info.sampleRate)
    }
}
