/// Errors building an ID3v2.3 tag.
package enum ID3v2TagError: Error, Equatable, CustomStringConvertible {
    /// CTOC holds at most 255 entries (its count is one byte).
    case tooManyChapters(Int)
    /// A frame or the whole tag exceeds what ID3v2.3 can express (28-bit tag size).
    case tooLarge(Int)
    /// The serialized tag does not fit in the space asked for.
    case doesNotFit(needed: Int, available: Int)

    /// A one-line explanation.
    package var description: String {
        switch self {
        case let .tooManyChapters(n): "\(n) chapters: an ID3v2 table of contents holds at most 255"
        case let .tooLarge(n): "ID3v2 tag of \(n) bytes exceeds the 256 MB limit"
        case let .doesNotFit(needed, available):
            "ID3v2 tag needs \(needed) bytes but only \(available) are reserved"
        }
    }
}

/// An ID3v2.3 tag for a podcast episode: text frames, comment, cover art and chapters (CHAP +
/// one top-level ordered CTOC). ID3v2.3 is the version podcast apps read best.
///
/// Text is written as ISO-8859-1 when every character fits, else as UTF-16 with a BOM (v2.3 has no
/// UTF-8). No unsynchronisation, no extended header.
package struct ID3v2Tag: Sendable, Equatable {
    /// Cover art (APIC, picture type 3 "front cover").
    package struct Picture: Sendable, Equatable {
        /// MIME type, `image/png` or `image/jpeg`.
        package var mimeType: String
        /// The image file's bytes.
        package var data: [UInt8]
        /// Optional description.
        package var description: String

        /// A front cover picture.
        package init(mimeType: String, data: [UInt8], description: String = "") {
            self.mimeType = mimeType
            self.data = data
            self.description = description
        }

        /// Guesses the MIME type from the file's magic bytes (PNG, else JPEG).
        package init(imageData: [UInt8], description: String = "") {
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
            self.init(mimeType: imageData.starts(with: png) ? "image/png" : "image/jpeg",
                      data: imageData, description: description)
        }
    }

    /// TIT2: episode title.
    package var title: String?
    /// TALB: album, i.e. the show's title.
    package var album: String?
    /// TPE1: artist, i.e. the show's author.
    package var artist: String?
    /// TRCK: episode number.
    package var track: Int?
    /// TYER (yyyy) and TDAT (DDMM): the air date's year, month and day.
    package var date: (year: Int, month: Int, day: Int)? {
        get { year.map { ($0, month ?? 1, day ?? 1) } }
        set { year = newValue?.year; month = newValue?.month; day = newValue?.day }
    }
    private var year: Int?
    private var month: Int?
    private var day: Int?
    /// TCON: genre, "Podcast" by default.
    package var genre: String? = "Podcast"
    /// COMM (language "eng", empty description): the episode description.
    package var comment: String?
    /// Language of the comment, ISO 639-2 (three letters).
    package var commentLanguage: String = "eng"
    /// TLEN: audio length in milliseconds.
    package var lengthMs: Int?
    /// APIC: front cover.
    package var cover: Picture?
    /// CHAP frames (ids `chp0`, `chp1`, …) listed in order by a top-level CTOC (`toc`).
    package var chapters: [Chapter] = []

    /// An empty tag (genre "Podcast").
    package init() {}

    package static func == (a: ID3v2Tag, b: ID3v2Tag) -> Bool {
        a.title == b.title && a.album == b.album && a.artist == b.artist && a.track == b.track
            && a.year == b.year && a.month == b.month && a.day == b.day && a.genre == b.genre
            && a.comment == b.comment && a.commentLanguage == b.commentLanguage
            && a.lengthMs == b.lengthMs && a.cover == b.cover && a.chapters == b.chapters
    }

    /// The frames without header or padding.
    package func framesData() throws -> [UInt8] {
        var out: [UInt8] = []
        func text(_ id: String, _ value: String?) {
            guard let value else { return }
            out += Self.frame(id, Self.encodedText(value))
        }
        text("TIT2", title)
        text("TALB", album)
        text("TPE1", artist)
        text("TRCK", track.map(String.init))
        if let year {
            text("TYER", Self.digits(year, 4))
            if let month, let day { text("TDAT", Self.digits(day, 2) + Self.digits(month, 2)) }
        }
        text("TCON", genre)
        if let comment {
            let enc = Self.needsUnicode(comment) ? 1 : 0 // description and text share one encoding
            var body: [UInt8] = [UInt8(enc)]
            body += Array(commentLanguage.utf8.prefix(3)) + Array(repeating: 0x20, count: max(0, 3 - commentLanguage.utf8.count))
            body += Self.encodedString("", encoding: enc, terminated: true)
            body += Self.encodedString(comment, encoding: enc, terminated: false)
            out += Self.frame("COMM", body)
        }
        text("TLEN", lengthMs.map(String.init))
        if let cover {
            let enc = Self.needsUnicode(cover.description) ? 1 : 0
            var body: [UInt8] = [UInt8(enc)]
            body += Array(cover.mimeType.utf8) + [0]
            body.append(0x03) // front cover
            body += Self.encodedString(cover.description, encoding: enc, terminated: true)
            body += cover.data
            out += Self.frame("APIC", body)
        }
        if !chapters.isEmpty {
            guard chapters.count <= 255 else { throw ID3v2TagError.tooManyChapters(chapters.count) }
            var toc: [UInt8] = Array("toc".utf8) + [0]
            toc.append(0x03) // top-level (bit 1) + ordered (bit 0)
            toc.append(UInt8(chapters.count))
            for (i, chapter) in chapters.enumerated() {
                let id = Array("chp\(i)".utf8) + [0]
                toc += id
                var body = id
                body += Self.be32(UInt32(clamping: chapter.startMs))
                body += Self.be32(UInt32(clamping: chapter.endMs))
                body += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] // byte offsets unused
                body += Self.frame("TIT2", Self.encodedText(chapter.title))
                out += Self.frame("CHAP", body)
            }
            out += Self.frame("CTOC", toc)
        }
        return out
    }

    /// The whole tag: 10-byte header, frames, then `padding` zero bytes.
    package func serialized(padding: Int = 0) throws -> [UInt8] {
        let frames = try framesData()
        let size = frames.count + max(0, padding)
        guard size < 1 << 28 else { throw ID3v2TagError.tooLarge(size) }
        var out: [UInt8] = Array("ID3".utf8) + [3, 0, 0] // v2.3.0, no flags
        out += Self.syncsafe(size)
        out.reserveCapacity(10 + size)
        out += frames
        out += [UInt8](repeating: 0, count: size - frames.count)
        return out
    }

    /// The whole tag padded to exactly `totalSize` bytes (header included), to rewrite a tag in
    /// place; throws `doesNotFit` if the frames need more.
    package func serialized(totalSize: Int) throws -> [UInt8] {
        let frames = try framesData()
        guard 10 + frames.count <= totalSize else {
            throw ID3v2TagError.doesNotFit(needed: 10 + frames.count, available: totalSize)
        }
        return try serialized(padding: totalSize - 10 - frames.count)
    }

    // MARK: - Encoding helpers

    static func needsUnicode(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value > 0xFF }
    }

    /// Text frame body: encoding byte + text (no terminator, which v2.3 allows).
    static func encodedText(_ s: String) -> [UInt8] {
        let enc = needsUnicode(s) ? 1 : 0
        return [UInt8(enc)] + encodedString(s, encoding: enc, terminated: false)
    }

    /// `s` as ISO-8859-1 (encoding 0) or UTF-16LE with BOM (encoding 1), optionally terminated.
    static func encodedString(_ s: String, encoding: Int, terminated: Bool) -> [UInt8] {
        if encoding == 0 {
            return s.unicodeScalars.map { UInt8($0.value) } + (terminated ? [0] : [])
        }
        var out: [UInt8] = [0xFF, 0xFE]
        for unit in s.utf16 { out += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        return out + (terminated ? [0, 0] : [])
    }

    static func frame(_ id: String, _ body: [UInt8]) -> [UInt8] {
        Array(id.utf8) + be32(UInt32(body.count)) + [0, 0] + body
    }

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func syncsafe(_ v: Int) -> [UInt8] {
        [UInt8((v >> 21) & 0x7F), UInt8((v >> 14) & 0x7F), UInt8((v >> 7) & 0x7F), UInt8(v & 0x7F)]
    }

    static func digits(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
