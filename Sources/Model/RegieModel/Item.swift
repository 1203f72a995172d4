/// How a fixed-time item (a post) keeps its time.
package enum PostMode: String, Sendable, CaseIterable, Codable {
    /// It starts at its time whatever is on air, which fades out under it.
    case hard
    /// It becomes next at its time: what waits before it is dropped, and it starts when the item
    /// on air ends.
    case soft
}

/// One line of the running order.
package struct Item: Sendable {
    /// What kind of item: the key that introduced it.
    package enum Kind: String, Sendable, CaseIterable, Codable {
        /// Station imaging; never a chapter.
        case jingle
        /// Pre-recorded speech.
        case segment
        /// A music track.
        case music
        /// Talk at the desk; no audio from the computer except an optional bed.
        case live

        /// True for the kinds that play a file.
        package var hasAudio: Bool { self != .live }
        /// True for the kinds that become a chapter of the podcast.
        package var isChapter: Bool { self != .jingle }
    }

    /// Position in the rundown, from 0.
    package var index: Int
    /// The kind.
    package var kind: Kind
    /// The value of the kind key as written: jingle name, path, or the live item's text.
    package var value: String
    /// Absolute path of the audio file (jingle, segment, music); nil for live items.
    package var audioPath: String?
    /// Title (required for segment and music).
    package var title: String?
    /// Artist (music).
    package var artist: String?
    /// What the rights bodies' reports ask of a music item (all optional in the rundown).
    package var rights = MusicRights()
    /// Whether the track may go in the podcast (`podcast: false`: on air only); nil: the show's
    /// default (`podcast_music` in show.yaml).
    package var podcast: Bool?
    /// Planned length of a live item.
    package var planned: Timecode?
    /// How far a live item may be squeezed.
    package var min: Timecode?
    /// How far a live item may be stretched.
    package var max: Timecode?
    /// Absolute path of a bed looped under a live item.
    package var bed: String?
    /// Cue in, inside the file.
    package var cueIn: Timecode?
    /// Cue out, inside the file.
    package var cueOut: Timecode?
    /// Fade at the start.
    package var fadeIn: Timecode?
    /// Fade at the end.
    package var fadeOut: Timecode?
    /// Overlap into this item from the previous one (overrides the default).
    package var crossfade: Timecode?
    /// May be dropped to fit the slot.
    package var optional: Bool
    /// Scheduled to end exactly at the hard end: a hard post at the hard end minus its length.
    package var backtime: Bool
    /// A fixed time: the item is a post at this time of day.
    package var at: TimeOfDay?
    /// What the post at `at` does: starts whatever is on air (hard), or becomes next (soft).
    package var post: PostMode = .hard
    /// Free text for the technician.
    package var notes: String?
    /// Where the item starts in the file.
    package var location: SourceLocation
    /// Where each key of the item was written (the key's own position).
    package var keyLocations: SourceLocations
    /// Where each value was written.
    package var valueLocations: SourceLocations

    /// An item of `kind` at `index`; the reader fills the rest.
    package init(index: Int, kind: Kind, value: String, location: SourceLocation) {
        self.index = index; self.kind = kind; self.value = value; self.location = location
        self.optional = false; self.backtime = false; self.keyLocations = [:]; self.valueLocations = [:]
    }

    /// What the sheet and the console show for this item.
    package var displayTitle: String {
        if let title, !title.isEmpty {
            if kind == .music, let artist { return "\(title) — \(artist)" }
            return title
        }
        return value
    }

    /// The location of a key's value (falling back to the key, then the item).
    package func location(ofValue key: String) -> SourceLocation {
        valueLocations[key] ?? keyLocations[key] ?? location
    }
}

/// Where each key of a mapping was written: a short list sorted by key (an item has a handful of
/// keys), several times smaller than a dictionary, which a rundown of 60,000 items kept 54 MB of.
package struct SourceLocations: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    private struct Entry: Hashable, Sendable {
        var key: String
        var location: SourceLocation
    }
    private var entries: [Entry] = []

    package init() {}

    package init(_ locations: [String: SourceLocation]) {
        entries = locations.map { Entry(key: $0.key, location: $0.value) }.sorted { $0.key < $1.key }
    }

    package init(dictionaryLiteral elements: (String, SourceLocation)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    package subscript(key: String) -> SourceLocation? {
        get { entries.first { $0.key == key }?.location }
        set {
            let index = entries.firstIndex { $0.key >= key } ?? entries.endIndex
            let present = index < entries.endIndex && entries[index].key == key
            switch (newValue, present) {
            case (let location?, true): entries[index].location = location
            case (let location?, false): entries.insert(Entry(key: key, location: location), at: index)
            case (nil, true): entries.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// The keys, sorted.
    package var keys: [String] { entries.map(\.key) }
}
