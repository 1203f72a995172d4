// The tags an audio file carries about itself (ID3v2 in MP3 and WAV, Vorbis comments in FLAC and
// Ogg, MP4 atoms, RIFF INFO), read with TagLib: what the rights reports can take from the file
// when the rundown does not say it.
import CTagReader
import Glibc

/// A file's tag properties, by TagLib's names (upper case): `TITLE`, `ARTIST`, `ALBUM`, `ISRC`,
/// `LABEL` (ID3's TPUB), `COMPOSER`, `DATE`…
package struct FileTags: Sendable, Equatable {
    /// Each property's first value.
    package var properties: [String: String]

    /// The tags of `path`; nil when TagLib cannot read the file (not audio, or no such file).
    package static func read(path: String) -> FileTags? {
        guard let raw = regie_tag_properties(path) else { return nil }
        defer { free(raw) }
        var properties: [String: String] = [:]
        for line in String(cString: raw).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingSpaces
            if !value.isEmpty, properties[String(parts[0])] == nil { properties[String(parts[0])] = value }
        }
        return FileTags(properties: properties)
    }

    /// The album.
    package var album: String? { properties["ALBUM"] }
    /// The ISRC as written in the tag (to be checked by the caller).
    package var isrc: String? { properties["ISRC"] }
    /// The record label: `LABEL` (ID3 TPUB, Vorbis LABEL), else Vorbis `ORGANIZATION` or `PUBLISHER`.
    package var label: String? { properties["LABEL"] ?? properties["ORGANIZATION"] ?? properties["PUBLISHER"] }
    /// The composer.
    package var composer: String? { properties["COMPOSER"] }
    /// The year, from `DATE` (`2024` or `2024-05-01`).
    package var year: Int? { properties["DATE"].flatMap { Int($0.prefix(4)) } }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
