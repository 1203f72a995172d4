import Foundation

/// The show as a podcast: everything the channel part of the feed and the page need.
package struct PodcastChannel: Sendable, Equatable, Codable {
    /// Show title.
    package var title: String
    /// Show description (plain text).
    package var description: String
    /// `itunes:author`.
    package var author: String
    /// ISO 639-1 language code, e.g. `en`.
    package var language: String
    /// Apple Podcasts category, `"Parent"` or `"Parent/Child"`.
    package var category: String
    /// Whether the show is marked explicit.
    package var explicit: Bool
    /// Path of the show artwork (PNG or JPEG) to copy into the published folder.
    package var artwork: URL
    /// The show's web page.
    package var link: String
    /// Public URL where the published folder is served (a trailing slash is added if missing).
    package var baseURL: String
    /// `itunes:owner` name.
    package var ownerName: String
    /// `itunes:owner` e-mail (also the `podcast:locked` owner).
    package var ownerEmail: String
    /// Copyright line; defaults to "© <author>" when nil.
    package var copyright: String?

    /// Creates a channel description.
    package init(title: String, description: String, author: String, language: String, category: String,
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
    package var normalizedBaseURL: String {
        var s = Substring(baseURL)
        while s.hasSuffix("/") { s = s.dropLast() }
        return s + "/"
    }

    /// The absolute URL of `feed.xml`.
    package var feedURL: String { normalizedBaseURL + "feed.xml" }
}

/// One chapter: start (and end) time in seconds from the beginning of the episode, a title and an
/// optional link — the fields of a Podcasting 2.0 chapters file.
package struct PodcastChapter: Sendable, Equatable, Codable {
    /// Start time in seconds.
    package var startTime: Double
    /// End time in seconds, when known (a render or an as-run knows it).
    package var endTime: Double?
    /// Chapter title.
    package var title: String
    /// A link shown with the chapter.
    package var url: String?
    /// Creates a chapter mark.
    package init(startTime: Double, endTime: Double? = nil, title: String, url: String? = nil) {
        self.startTime = startTime
        self.endTime = endTime
        self.title = title
        self.url = url
    }
}

/// `itunes:episodeType`.
package enum PodcastEpisodeType: String, Sendable, Codable, CaseIterable {
    /// A regular episode.
    case full
    /// A trailer.
    case trailer
    /// Bonus content.
    case bonus
}

/// An episode's description, either plain text or HTML.
package enum PodcastText: Sendable, Equatable, Codable {
    /// Plain text: escaped everywhere, paragraphs on blank lines.
    case plain(String)
    /// HTML: passed in CDATA to the feed, sanitized for the page.
    case html(String)

    /// The raw string.
    package var raw: String {
        switch self {
        case .plain(let s), .html(let s): s
        }
    }
}

/// One episode to publish.
package struct PodcastEpisode: Sendable, Equatable {
    /// Episode number (positive); identifies the episode in the published folder.
    package var number: Int
    /// Episode title.
    package var title: String
    /// Episode description.
    package var description: PodcastText
    /// Publication date.
    package var pubDate: Date
    /// A GUID to use the first time this episode is published; nil lets the publisher choose.
    /// Once an episode number has a stored GUID, that GUID is kept forever.
    package var guid: String?
    /// The MP3 file to publish.
    package var mp3: URL
    /// Duration in seconds.
    package var duration: Double
    /// Chapter marks, in any order (sorted on publishing).
    package var chapters: [PodcastChapter]
    /// `itunes:episodeType`.
    package var episodeType: PodcastEpisodeType
    /// Optional per-episode artwork (PNG or JPEG).
    package var image: URL?

    /// Creates an episode description.
    package init(number: Int, title: String, description: PodcastText, pubDate: Date, guid: String? = nil,
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
package enum PodcastError: Error, Equatable, CustomStringConvertible {
    /// A channel or episode field is not acceptable (field, reason).
    case invalid(String, String)
    /// A file could not be read or written (path, errno description).
    case io(String, String)
    /// No published episode matches (number or slug).
    case notFound(String)

    /// A one-line explanation.
    package var description: String {
        switch self {
        case .invalid(let field, let why): "invalid \(field): \(why)"
        case .io(let path, let why): "\(path): \(why)"
        case .notFound(let what): "no published episode \(what)"
        }
    }
}

/// The live show announced in the feed (Podcasting 2.0 `podcast:liveItem`): pending before air,
/// live while on, ended after; replaced by the episode's `<item>` when it is published.
package struct PodcastLiveItem: Sendable, Equatable, Codable {
    package enum Status: String, Sendable, Codable { case pending, live, ended }
    package var status: Status
    /// The episode it becomes.
    package var number: Int
    package var title: String
    /// The slot: start and end, seconds since 1970.
    package var start: Int64
    package var end: Int64
    /// Offset of the station's local time from UTC, seconds (the feed writes local times).
    package var utcOffsetSeconds: Int
    /// What listeners open: the Icecast mount.
    package var streamURL: String
    package var guid: String

    package init(status: Status, number: Int, title: String, start: Int64, end: Int64, utcOffsetSeconds: Int,
                 streamURL: String, guid: String) {
        self.status = status; self.number = number; self.title = title; self.start = start; self.end = end
        self.utcOffsetSeconds = utcOffsetSeconds; self.streamURL = streamURL; self.guid = guid
    }
}
