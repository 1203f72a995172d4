/// A programme: what stays the same from one episode to the next (`shows/<show>/show.yaml`).
package struct Show: Sendable {
    /// The folder `shows/<show>/`; its last component is the show's identifier.
    package var directory: String
    /// The `show.yaml` path as given or resolved.
    package var file: String
    /// Podcast and programme title.
    package var title: String
    // The podcast's metadata: optional, since checking, timing, playing and rendering a show need
    // none of it; publishing needs every one (`missingPodcastKeys`).
    /// What the programme is about (plain text).
    package var description: String?
    /// Who makes it (itunes:author).
    package var author: String?
    /// ISO 639-1 language code.
    package var language: String?
    /// Apple Podcasts category, `Parent` or `Parent/Child`.
    package var category: String?
    /// Explicit content flag.
    package var explicit: Bool?
    /// Absolute path of the artwork (PNG or JPEG).
    package var artwork: String?
    /// The programme's web page.
    package var link: String?
    /// Public URL under which the published folder is served (ends with `/`).
    package var baseURL: String?
    /// The podcast's owner (itunes:owner).
    package var owner: Owner?
    /// Podcast loudness target, LUFS.
    package var loudness: Double
    /// True-peak ceiling of the programme, dBTP.
    package var truePeak: Double
    /// MP3 bitrate, kb/s (CBR).
    package var bitrate: Int
    /// The programme bus and podcast sample rate.
    package var sampleRate: Int
    /// Default overlap between consecutive audio items.
    package var crossfade: Timecode
    /// Folder where bare jingle names are looked up.
    package var jinglesDirectory: String
    /// How beds duck under live talk.
    package var ducking: Ducking
    /// How long what is on air fades out under a hard post (the back-timed closer, an `at` item
    /// with `post: hard`) when the post's item has no `fade_in` of its own.
    package var postFade: Timecode = Timecode(seconds: 2)
    /// Whether music may go in the podcast unless an item says (`podcast_music:`; default true: a
    /// station whose music is not cleared for podcasting sets it false).
    package var podcastMusic = true
    /// What replaces each track left out of the podcast (`podcast_sting:`, absolute path; nil:
    /// a short crossfade joins the programme around the cut).
    package var podcastSting: String?
    /// The cart wall.
    package var carts: [Cart]
    /// Where each key of the file was written, for diagnostics found later.
    package var locations: [String: SourceLocation]

    /// Owner of the podcast.
    package struct Owner: Sendable, Hashable {
        /// Name.
        package var name: String
        /// Contact e-mail (Apple sends ownership verification here).
        package var email: String
        /// An owner.
        package init(name: String, email: String) { self.name = name; self.email = email }
    }

    /// Bed ducking under live items: the bed plays at `depth` dB while someone talks.
    package struct Ducking: Sendable, Hashable {
        /// Gain applied to a ducked bed, dB (negative).
        package var depth: Double
        /// Time to reach the ducked level.
        package var attack: Timecode
        /// Time to come back to full level.
        package var release: Timecode
        /// Defaults: -15 dB, 0.3 s attack, 0.8 s release.
        package static let standard = Ducking(depth: -15, attack: Timecode(nanoseconds: 300_000_000),
                                             release: Timecode(nanoseconds: 800_000_000))
        /// A ducking setting.
        package init(depth: Double, attack: Timecode, release: Timecode) {
            self.depth = depth; self.attack = attack; self.release = release
        }
    }

    /// A jingle on a key of the cart wall.
    package struct Cart: Sendable, Hashable {
        /// `1`–`9`, `0`, `F1`–`F12`.
        package var key: String
        /// Absolute path of the audio file.
        package var jingle: String
        /// What the wall shows; the jingle's name when not given.
        package var title: String
        /// Where the cart was written.
        package var location: SourceLocation
        /// A cart.
        package init(key: String, jingle: String, title: String, location: SourceLocation) {
            self.key = key; self.jingle = jingle; self.title = title; self.location = location
        }
    }

    /// The keys the cart wall accepts, in wall order.
    package static let cartKeys: [String] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
        + (1...12).map { "F\($0)" }

    /// The `show.yaml` keys publishing needs that this show does not give, in file order.
    package var missingPodcastKeys: [String] {
        var missing: [String] = []
        if description == nil { missing.append("description") }
        if author == nil { missing.append("author") }
        if language == nil { missing.append("language") }
        if category == nil { missing.append("category") }
        if explicit == nil { missing.append("explicit") }
        if artwork == nil { missing.append("artwork") }
        if link == nil { missing.append("link") }
        if baseURL == nil { missing.append("base_url") }
        if owner == nil { missing.append("owner") }
        return missing
    }

    /// The show's identifier: its folder name.
    package var slug: String { directory.split(separator: "/").last.map(String.init) ?? title }

    /// Sample rates LAME encodes as MPEG-1 Layer III (what podcast apps expect).
    package static let supportedSampleRates = [32000, 44100, 48000]
    /// CBR bitrates of MPEG-1 Layer III from 64 kb/s: below that a frame is too small to carry
    /// LAME's info frame, and players could no longer know the episode's exact length.
    package static let supportedBitrates = [64, 80, 96, 112, 128, 160, 192, 224, 256, 320]

    /// A show; every field is given by the reader.
    package init(directory: String, file: String, title: String, description: String? = nil, author: String? = nil,
                language: String? = nil, category: String? = nil, explicit: Bool? = nil, artwork: String? = nil,
                link: String? = nil, baseURL: String? = nil, owner: Owner? = nil, loudness: Double = -16, truePeak: Double = -1,
                bitrate: Int = 128, sampleRate: Int = 44100, crossfade: Timecode = Timecode(nanoseconds: 0),
                jinglesDirectory: String, ducking: Ducking = .standard, carts: [Cart] = [],
                locations: [String: SourceLocation] = [:]) {
        self.directory = directory; self.file = file; self.title = title; self.description = description
        self.author = author; self.language = language; self.category = category; self.explicit = explicit
        self.artwork = artwork; self.link = link; self.baseURL = baseURL; self.owner = owner
        self.loudness = loudness; self.truePeak = truePeak; self.bitrate = bitrate; self.sampleRate = sampleRate
        self.crossfade = crossfade; self.jinglesDirectory = jinglesDirectory; self.ducking = ducking
        self.carts = carts; self.locations = locations
    }
}
