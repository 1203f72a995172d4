import Foundation

/// The show as a podcast: everything the channel part of the feed and the page need.
public struct PodcastChannel: Sendable, Equatable, Codable {
    /// Show title.
    public var title: String
    /// Show description (plain text).
    public var description: String
    /// `itunes:author`.
    public var author: String
    /// ISO 639-1 language code, e.g. `en`.
    public var language: String
    /// Apple Podcasts category, `"Parent"` or `"Parent/Child"`.
    public var category: String
    /// Whether the show is marked explicit.
    public var explicit: Bool
    /// Path of the show artwork (PNG or JPEG) to copy into the published folder.
    public var artwork: URL
    /// The show's web page.
    public var link: String
    /// Public URL where the published folder is served (a trailing slash is added if missing).
    public var baseURL: String
    /// `itunes:owner` name.
    public var ownerName: String
    /// `itunes:owner` e-mail (also the `podcast:locked` owner).
    public var ownerEmail: String
    /// Copyright line; defaults to "© <author>" when nil.
    public var copyright: String?

    /// Creates a channel description.
    public init(title: String, description: String, author: String, language: String, category: String,
                explicit: Bool, artwork: URL, link: String, baseURL: String, ownerName: String,
                ownerEmail: String, copyright: String? = nil) {
        self.title = title
        self.description = description
        self.author = author
        self.language = language
        self.category = category
        self.explicit = explicit
        self.artwork = artwork
        self.link = link
        self.baseURL = baseURL
        self.ownerName = ownerName
        self.ownerEmail = ownerEmail
        self.copyright = copyright
    }

    /// `baseURL` with exactly one trailing slash.
    public var normalizedBaseURL: String {
        var s = Substring(baseURL)
        while s.hasSuffix("/") { s = s.dropLast() }
        return s + "/"
    }

    /// The absolute URL of `feed.xml`.
    public var feedURL: String { normalizedBaseURL + "feed.xml" }
}

/// One chapter mark: start time in seconds from the beginning of the episode, and a title.
public struct PodcastChapter: Sendable, Equatable, Codable {
    /// Start time in seconds.
    public var startTime: Double
    /// Chapter title.
    public var title: String
    /// Creates a chapter mark.
    public init(startTime: Double, title: String) {
        self.startTime = startTime
        self.title = title
    }
}

/// `itunes:episodeType`.
public enum PodcastEpisodeType: String, Sendable, Codable, CaseIterable {
    /// A regular episode.
    case full
    /// A trailer.
    case trailer
    /// Bonus content.
    case bonus
}

/// An episode's description, either plain text or HTML.
public enum PodcastText: Sendable, Equatable, Codable {
    /// Plain text: escaped everywhere, paragraphs on blank lines.
    case plain(String)
    /// HTML: passed in CDATA to the feed, sanitized for the page.
    case html(String)

    /// The raw string.
    public var raw: String {
        switch self {
        case .plain(let s), .html(let s): s
        }
    }
}

/// One episode to publish.
public struct PodcastEpisode: Sendable, Equatable {
    /// Episode number (positive); identifies the episode in the published folder.
    public var number: Int
    /// Episode title.
    public var title: String
    /// Episode description.
    public var description: PodcastText
    /// Publication date.
    public var pubDate: Date
    /// A GUID to use the first time this episode is published; nil lets the publisher choose.
    /// Once an episode number has a stored GUID, that GUID is kept forever.
    public var guid: String?
    /// The MP3 file to publish.
    public var mp3: URL
    /// Duration in seconds.
    public var duration: Double
    /// Chapter marks, in any order (sorted on publishing).
    public var chapters: [PodcastChapter]
    /// `itunes:episodeType`.
    public var episodeType: PodcastEpisodeType
    /// Optional per-episode artwork (PNG or JPEG).
    public var image: URL?

    /// Creates an episode description.
    public init(number: Int, title: String, description: PodcastText, pubDate: Date, guid: String? = nil,
                mp3: URL, duration: Double, chapters: [PodcastChapter] = [],
                episodeType: PodcastEpisodeType = .full, image: URL? = nil) {
        self.number = number
        self.title = title
        self.description = description
        self.pubDate = pubDate
        self.guid = guid
        self.mp3 = mp3
        self.duration = duration
        self.chapters = chapters
        self.episodeType = episodeType
        self.image = image
    }
}

/// What publishing can refuse or fail at.
public enum PodcastError: Error, Equatable, CustomStringConvertible {
    /// A channel or episode field is not acceptable (field, reason).
    case invalid(String, String)
    /// A file could not be read or written (path, errno description).
    case io(String, String)
    /// No published episode matches (number or slug).
    case notFound(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalid(let field, let why): "invalid \(field): \(why)"
        case .io(let path, let why): "\(path): \(why)"
        case .notFound(let what): "no published episode \(what)"
        }
    }
}
