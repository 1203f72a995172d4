/// What the rights bodies' reports ask of a music track besides its title and artist: carried
/// from the rundown (or the file's tags) to the as-run log and the report, as one value.
package struct MusicRights: Sendable, Hashable {
    package var composer: String?
    package var album: String?
    package var label: String?
    /// The 12-character ISRC (checked, upper case, no hyphens).
    package var isrc: String?
    package var year: Int?

    package init(composer: String? = nil, album: String? = nil, label: String? = nil, isrc: String? = nil, year: Int? = nil) {
        self.composer = composer; self.album = album; self.label = label; self.isrc = isrc; self.year = year
    }

    /// The text fields by their rundown (and log) keys, in report order.
    package var textFields: [(key: String, value: String?)] {
        [("composer", composer), ("album", album), ("label", label), ("isrc", isrc)]
    }

    /// These rights, with what they lack taken from `other`.
    package func filled(from other: MusicRights) -> MusicRights {
        MusicRights(composer: composer ?? other.composer, album: album ?? other.album, label: label ?? other.label,
                    isrc: isrc ?? other.isrc, year: year ?? other.year)
    }
}
