import Foundation

/// One episode as it stands in a published folder (the publisher's own record of it).
package struct PublishedEpisode: Sendable, Equatable, Codable {
    /// Episode number.
    package var number: Int
    /// File-name slug, e.g. `012-winter-on-campus`.
    package var slug: String
    /// Title.
    package var title: String
    /// Description.
    package var description: PodcastText
    /// Publication date (whole seconds).
    package var pubDate: Date
    /// The stable GUID: never changes once stored.
    package var guid: String
    /// MP3 file name inside the folder.
    package var mp3File: String
    /// Exact MP3 size in bytes.
    package var length: Int64
    /// Duration in seconds.
    package var duration: Double
    /// Chapter marks, sorted by start time.
    package var chapters: [PodcastChapter]
    /// `itunes:episodeType`.
    package var episodeType: PodcastEpisodeType
    /// Chapters JSON file name inside the folder, when there are chapters.
    package var chaptersFile: String?
    /// Episode artwork file name inside the folder, if any.
    package var imageFile: String?
}

/// The contents of `episodes.json`.
struct PublishedState: Codable {
    /// Format version of this file.
    var version: Int = 1
    /// The channel as last published.
    var channel: PodcastChannel
    /// The feed's `podcast:guid`, fixed at the first publish and never changed (podcast indexes
    /// follow a show by it). Older folders without it get the one their base URL gave.
    var podcastGUID: String?
    /// Show artwork file name inside the folder.
    var artworkFile: String
    /// Published episodes, newest number first.
    var episodes: [PublishedEpisode]
    /// The live show announced, until its episode is published.
    var live: PodcastLiveItem? = nil

    static let fileName = "episodes.json"

    static func load(from dir: URL) throws -> PublishedState? {
        let url = dir.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try decoder.decode(PublishedState.self, from: Data(contentsOf: url))
        } catch {
            throw PodcastError.io(url.path, "cannot read publisher state: \(error)")
        }
    }

    func encoded() throws -> Data { try Self.encoder.encode(self) }

    private static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }

    private static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

extension PodcastText {
    private enum CodingKeys: String, CodingKey { case type, text }

    /// Decodes `{"type": "plain"|"html", "text": "..."}`.
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .text)
        switch try c.decode(String.self, forKey: .type) {
        case "html": self = .html(text)
        default: self = .plain(text)
        }
    }

    /// Encodes as `{"type": "plain"|"html", "text": "..."}`.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .plain(let s): try c.encode("plain", forKey: .type); try c.encode(s, forKey: .text)
        case .html(let s): try c.encode("html", forKey: .type); try c.encode(s, forKey: .text)
        }
    }
}
