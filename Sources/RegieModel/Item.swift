/// One line of the running order.
public struct Item: Sendable {
    /// What kind of item: the key that introduced it.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Station imaging; never a chapter.
        case jingle
        /// Pre-recorded speech.
        case segment
        /// A music track.
        case music
        /// Talk at the desk; no audio from the computer except an optional bed.
        case live

        /// True for the kinds that play a file.
        public var hasAudio: Bool { self != .live }
        /// True for the kinds that become a chapter of the podcast.
        public var isChapter: Bool { self != .jingle }
    }

    /// Position in the rundown, from 0.
    public var index: Int
    /// The kind.
    public var kind: Kind
    /// The value of the kind key as written: jingle name, path, or the live item's text.
    public var value: String
    /// Absolute path of the audio file (jingle, segment, music); nil for live items.
    public var audioPath: String?
    /// Title (required for segment and music).
    public var title: String?
    /// Artist (music).
    public var artist: String?
    /// Planned length of a live item.
    public var planned: Timecode?
    /// How far a live item may be squeezed.
    public var min: Timecode?
    /// How far a live item may be stretched.
    public var max: Timecode?
    /// Absolute path of a bed looped under a live item.
    public var bed: String?
    /// Cue in, inside the file.
    public var cueIn: Timecode?
    /// Cue out, inside the file.
    public var cueOut: Timecode?
    /// Fade at the start.
    public var fadeIn: Timecode?
    /// Fade at the end.
    public var fadeOut: Timecode?
    /// Overlap into this item from the previous one (overrides the default).
    public var crossfade: Timecode?
    /// May be dropped to fit the slot.
    public var optional: Bool
    /// Scheduled to end exactly at the hard end.
    public var backtime: Bool
    /// Free text for the technician.
    public var notes: String?
    /// Where the item starts in the file.
    public var location: SourceLocation
    /// Where each key of the item was written (the key's own position).
    public var keyLocations: [String: SourceLocation]
    /// Where each value was written.
    public var valueLocations: [String: SourceLocation]

    /// An item of `kind` at `index`; the reader fills the rest.
    public init(index: Int, kind: Kind, value: String, location: SourceLocation) {
        self.index = index; self.kind = kind; self.value = value; self.location = location
        self.optional = false; self.backtime = false; self.keyLocations = [:]; self.valueLocations = [:]
    }

    /// What the sheet and the console show for this item.
    public var displayTitle: String {
        if let title, !title.isEmpty {
            if kind == .music, let artist { return "\(title) — \(artist)" }
            return title
        }
        return value
    }

    /// The location of a key's value (falling back to the key, then the item).
    public func location(ofValue key: String) -> SourceLocation {
        valueLocations[key] ?? keyLocations[key] ?? location
    }
}
