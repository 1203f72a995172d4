import Foundation
import Support

/// Publishes episodes into a folder that a plain web server can serve as is:
///
///     public/<show-slug>/
///       feed.xml                       RSS 2.0 + iTunes + Podcast Index namespaces
///       index.html                     the show's page
///       artwork.png | artwork.jpg      show artwork
///       012-winter-on-campus.mp3       episodes, named by ASCII slug
///       012-winter-on-campus.chapters.json
///       012-winter-on-campus.png       optional episode artwork
///       episodes.json                  the publisher's state: episodes and their stable GUIDs
///
/// Every file is replaced atomically (temp file, fsync, rename, fsync of the folder), so a
/// listener's app never sees a half-written feed or MP3. Publishing the same episode number again
/// replaces that episode and keeps its GUID; other episodes are never touched.
package struct Publisher: Sendable {
    /// Clock for `lastBuildDate`.
    package var now: @Sendable () -> Date

    /// Creates a publisher; `now` is injectable for reproducible output.
    package init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Publishes (or re-publishes) `episode` into `dir`, copying `mp3` (default: `episode.mp3`)
    /// in, writing its chapters, and regenerating `feed.xml` and `index.html`.
    /// Returns the episode as recorded, with its GUID.
    @discardableResult
    package func publish(channel: PodcastChannel, episode: PodcastEpisode, mp3: URL? = nil,
                        to dir: URL) throws -> PublishedEpisode {
        try Self.validate(channel)
        try Self.validate(episode, mp3: mp3 ?? episode.mp3)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lock = try Self.io { try FolderLock(dir.path) }
        defer { withExtendedLifetime(lock) {} }

        let previous = try PublishedState.load(from: dir)
        if let previous, previous.channel.normalizedBaseURL != channel.normalizedBaseURL {
            // Every enclosure URL and the feed's identity would change under the listeners' apps.
            throw PodcastError.invalid("base_url", "\(dir.path) holds the podcast served at \(previous.channel.normalizedBaseURL); publishing it for \(channel.normalizedBaseURL) would move every episode and change the feed's podcast:guid. Publish into another folder, or set base_url back")
        }
        var episodes = previous?.episodes ?? []
        let old = episodes.first { $0.number == episode.number }

        // Artwork: named by content, not by the source's extension.
        let artworkFile = "artwork." + (try Self.imageExtension(channel.artwork, field: "artwork"))
        try Self.copy(channel.artwork, to: dir, name: artworkFile)

        let slug = Slug.episode(number: episode.number, title: episode.title)
        let mp3File = slug + ".mp3"
        let length = try Self.copy(mp3 ?? episode.mp3, to: dir, name: mp3File)

        let chapters = episode.chapters.sorted { $0.startTime < $1.startTime }
        var chaptersFile: String?
        if !chapters.isEmpty {
            chaptersFile = slug + ".chapters.json"
            try Self.write(ChaptersJSON.encode(chapters), to: dir, name: chaptersFile!)
        }
        var imageFile: String?
        if let image = episode.image {
            imageFile = slug + "." + (try Self.imageExtension(image, field: "episode image"))
            try Self.copy(image, to: dir, name: imageFile!)
        }

        let guid = old?.guid ?? episode.guid ?? Self.defaultGUID(channel: channel, number: episode.number)
        let record = PublishedEpisode(
            number: episode.number, slug: slug, title: episode.title, description: episode.description,
            pubDate: Date(timeIntervalSince1970: episode.pubDate.timeIntervalSince1970.rounded(.down)),
            guid: guid, mp3File: mp3File, length: length, duration: episode.duration, chapters: chapters,
            episodeType: episode.episodeType, chaptersFile: chaptersFile, imageFile: imageFile)
        episodes.removeAll { $0.number == episode.number }
        episodes.append(record)
        // episodes.json is served with the rest: keep the producer's local paths out of it.
        var storedChannel = channel
        storedChannel.artwork = URL(string: artworkFile)!
        let podcastGUID = previous?.podcastGUID ?? UUIDv5.podcastGUID(feedURL: channel.feedURL).uuidString.lowercased()
        var state = PublishedState(channel: storedChannel, podcastGUID: podcastGUID, artworkFile: artworkFile,
                                   episodes: Self.ordered(episodes))
        // The live show's announcement gives way to its episode; another show's stays.
        if let live = previous?.live, live.number != episode.number { state.live = live }
        try write(state, to: dir)

        // Files of the replaced version that the new one no longer uses (title or image changed).
        var stale = Set([old?.mp3File, old?.chaptersFile, old?.imageFile].compactMap { $0 })
        stale.subtract([mp3File, chaptersFile, imageFile].compactMap { $0 })
        if let prevArt = previous?.artworkFile, prevArt != artworkFile { stale.insert(prevArt) }
        for name in stale { try Self.remove(name, in: dir) }
        return record
    }

    /// Announces (or updates, or with nil withdraws) the live show in `dir`'s feed and page
    /// (`podcast:liveItem`), atomically like the rest; a folder with no episode yet is started.
    package func announceLive(_ live: PodcastLiveItem?, channel: PodcastChannel, in dir: URL) throws {
        try Self.validate(channel)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lock = try Self.io { try FolderLock(dir.path) }
        defer { withExtendedLifetime(lock) {} }
        var state: PublishedState
        if let previous = try PublishedState.load(from: dir) {
            state = previous
        } else {
            let artworkFile = "artwork." + (try Self.imageExtension(channel.artwork, field: "artwork"))
            try Self.copy(channel.artwork, to: dir, name: artworkFile)
            var storedChannel = channel
            storedChannel.artwork = URL(string: artworkFile)!
            state = PublishedState(channel: storedChannel,
                                   podcastGUID: UUIDv5.podcastGUID(feedURL: channel.feedURL).uuidString.lowercased(),
                                   artworkFile: artworkFile, episodes: [])
        }
        state.live = live
        try write(state, to: dir)
    }

    /// The live show announced in `dir`, if any.
    package func liveItem(in dir: URL) throws -> PodcastLiveItem? { try PublishedState.load(from: dir)?.live }

    /// The GUID of the live show that becomes episode `number`.
    package static func liveGUID(channel: PodcastChannel, number: Int) -> String {
        UUIDv5.podcastGUID(feedURL: channel.feedURL + "#live-\(number)").uuidString.lowercased()
    }

    /// Removes the episode with this number from `dir`; the feed and page are regenerated.
    package func unpublish(number: Int, from dir: URL) throws {
        try unpublish(from: dir, describedAs: String(number)) { $0.number == number }
    }

    /// Removes the episode with this slug (e.g. `012-winter-on-campus`) from `dir`.
    package func unpublish(slug: String, from dir: URL) throws {
        try unpublish(from: dir, describedAs: slug) { $0.slug == slug }
    }

    /// Regenerates `feed.xml` and `index.html` from `episodes.json` (e.g. after an upgrade).
    package func regenerate(in dir: URL) throws {
        let lock = try Self.io { try FolderLock(dir.path) }
        defer { withExtendedLifetime(lock) {} }
        guard let state = try PublishedState.load(from: dir) else { throw PodcastError.notFound("(no episodes.json)") }
        try write(state, to: dir)
    }

    /// The episodes currently published in `dir`, newest number first.
    package func episodes(in dir: URL) throws -> [PublishedEpisode] {
        try PublishedState.load(from: dir)?.episodes ?? []
    }

    private func unpublish(from dir: URL, describedAs what: String,
                           _ matches: (PublishedEpisode) -> Bool) throws {
        let lock = try Self.io { try FolderLock(dir.path) }
        defer { withExtendedLifetime(lock) {} }
        guard var state = try PublishedState.load(from: dir),
              let gone = state.episodes.first(where: matches) else { throw PodcastError.notFound(what) }
        state.episodes.removeAll(where: matches)
        // Feed first, files after: the feed never points at a missing file.
        try write(state, to: dir)
        for name in [gone.mp3File, gone.chaptersFile, gone.imageFile].compactMap({ $0 }) {
            try Self.remove(name, in: dir)
        }
    }

    /// Writes the state file, then the feed and the page, each atomically.
    private func write(_ state: PublishedState, to dir: URL) throws {
        try Self.write(Array(try state.encoded()), to: dir, name: PublishedState.fileName)
        try Self.write(Self.feed(state, lastBuildDate: now()), to: dir, name: "feed.xml")
        try Self.write(Self.page(state), to: dir, name: "index.html")
    }

    static func feed(_ state: PublishedState, lastBuildDate: Date) -> [UInt8] {
        FeedXML.render(channel: state.channel,
                       podcastGUID: state.podcastGUID ?? UUIDv5.podcastGUID(feedURL: state.channel.feedURL).uuidString.lowercased(),
                       artworkFile: state.artworkFile, episodes: state.episodes, live: state.live, lastBuildDate: lastBuildDate)
    }

    static func page(_ state: PublishedState) -> [UInt8] {
        IndexHTML.render(channel: state.channel, artworkFile: state.artworkFile, episodes: state.episodes, live: state.live)
    }

    /// Newest first: by publication date, then by number.
    static func ordered(_ episodes: [PublishedEpisode]) -> [PublishedEpisode] {
        episodes.sorted { ($0.pubDate, $0.number) > ($1.pubDate, $1.number) }
    }

    /// GUID for an episode published for the first time: UUIDv5 of "<feed URL>#episode-<n>" in
    /// the Podcast Index namespace. Deterministic, so even a lost `episodes.json` gives the same one.
    package static func defaultGUID(channel: PodcastChannel, number: Int) -> String {
        UUIDv5.make(namespace: UUIDv5.podcastNamespace, name: "\(channel.feedURL)#episode-\(number)")
            .uuidString.lowercased()
    }

    // MARK: - Files (Support.AtomicFile; its errors become PodcastError.io)

    static func io<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FileSystemError { throw PodcastError.io(error.path, error.reason) }
    }

    static func write(_ bytes: [UInt8], to dir: URL, name: String) throws {
        try io { try AtomicFile.write(bytes, to: dir.appendingPathComponent(name).path) }
    }

    @discardableResult
    /// Copies `source` in as `name`, unless the file there already holds the same bytes: then it
    /// is left as it is, so its modification time and the server's ETag stay the same (a podcast
    /// app does not download it again) and a mirror to the web host sends nothing for it.
    static func copy(_ source: URL, to dir: URL, name: String) throws -> Int64 {
        let target = dir.appendingPathComponent(name).path
        if AtomicFile.sameContent(source.path, target) {
            return (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int64) ?? 0
        }
        return try io { try AtomicFile.copy(from: source.path, to: target) }
    }

    static func remove(_ name: String, in dir: URL) throws {
        try io { try AtomicFile.remove(dir.appendingPathComponent(name).path) }
    }

    /// Checks what the feed needs and Apple requires.
    package static func validate(_ channel: PodcastChannel) throws {
        for (field, value) in [("title", channel.title), ("description", channel.description),
                               ("author", channel.author), ("owner name", channel.ownerName)]
        where value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw PodcastError.invalid(field, "must not be empty")
        }
        let lang = channel.language
        guard (2...3).contains(lang.split(separator: "-").first?.count ?? 0),
              lang.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else {
            throw PodcastError.invalid("language", "\(lang) is not an ISO 639 code")
        }
        guard ApplePodcastCategories.parse(channel.category) != nil else {
            throw PodcastError.invalid("category", "\(channel.category) is not an Apple Podcasts category")
        }
        for (field, url) in [("base_url", channel.baseURL), ("link", channel.link)] {
            guard let u = URL(string: url), ["http", "https"].contains(u.scheme?.lowercased() ?? ""),
                  u.host?.isEmpty == false else {
                throw PodcastError.invalid(field, "\(url) is not an absolute http(s) URL")
            }
        }
        let email = channel.ownerEmail
        guard let at = email.firstIndex(of: "@"), at != email.startIndex, email[at...].contains("."),
              !email.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" }) else {
            throw PodcastError.invalid("owner email", "\(email) is not an e-mail address")
        }
        _ = try imageExtension(channel.artwork, field: "artwork")
    }

    static func validate(_ episode: PodcastEpisode, mp3: URL) throws {
        guard episode.number > 0 else { throw PodcastError.invalid("episode", "must be a positive number") }
        guard !episode.title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PodcastError.invalid("title", "must not be empty")
        }
        guard episode.duration.isFinite, episode.duration >= 0 else {
            throw PodcastError.invalid("duration", "must be a non-negative number of seconds")
        }
        for ch in episode.chapters where !(ch.startTime.isFinite && ch.startTime >= 0) {
            throw PodcastError.invalid("chapter \(ch.title)", "start time must be a non-negative number")
        }
        guard FileManager.default.isReadableFile(atPath: mp3.path) else {
            throw PodcastError.invalid("mp3", "\(mp3.path) is not a readable file")
        }
    }

    /// `png` or `jpg`, from the file's first bytes (the extension of the source may lie).
    static func imageExtension(_ url: URL, field: String) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw PodcastError.invalid(field, "\(url.path) cannot be read")
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpg" }
        throw PodcastError.invalid(field, "\(url.path) is neither PNG nor JPEG")
    }
}
