import Foundation
package import RegieModel
import Support
import Yams

/// Reads `show.yaml`.
package enum ShowReader {
    /// Every key `show.yaml` accepts.
    package static let keys = ["title", "description", "author", "language", "category", "explicit", "artwork",
                              "link", "base_url", "owner", "loudness", "true_peak", "bitrate", "sample_rate",
                              "crossfade", "post_fade", "jingles", "ducking", "carts", "podcast_music", "podcast_sting"]

    /// Reads and validates a show file. The show is nil when an error makes it unusable; with
    /// `keepingErrors` (checking: every problem of every file in one run) it is nil only when
    /// it cannot be read at all, a value in error standing at its default.
    package static func read(path: String, keepingErrors: Bool = false) -> (show: Show?, diagnostics: [Diagnostic]) {
        var diagnostics = DiagnosticList()
        guard let text = FileText.read(path, diagnostics: &diagnostics),
              let root = YAMLDocument.compose(text, file: path, diagnostics: &diagnostics),
              let reader = MappingReader(root, file: path, context: "the show", diagnostics: &diagnostics)
        else { return (nil, diagnostics.all) }
        let show = read(reader, path: path, diagnostics: &diagnostics)
        return (diagnostics.hasErrors && !keepingErrors ? nil : show, diagnostics.all)
    }

    static func read(_ r: MappingReader, path: String, diagnostics d: inout DiagnosticList) -> Show? {
        r.reportUnknownKeys(known: keys, diagnostics: &d)
        let directory = PathResolver.directory(of: path)
        let title = r.string("title", required: true, diagnostics: &d)
        let description = r.string("description", diagnostics: &d)
        let author = r.string("author", diagnostics: &d)
        let language = r.string("language", diagnostics: &d)
        if let language, !ISO639.isValid(language) {
            var message = "'language' must be an ISO 639-1 code such as 'en' or 'fr', found '\(language)'"
            if let code = ISO639.code(forName: language) { message += "; did you mean '\(code)'?" }
            d.error(r.valueLocations["language"], message)
        }
        let category = r.string("category", diagnostics: &d)
        if let category, !PodcastCategories.isValid(category) {
            var message = "'category' '\(category)' is not an Apple Podcasts category"
            if let suggestion = Suggestions.closest(to: category, among: PodcastCategories.all)
                ?? PodcastCategories.all.first(where: { $0.lowercased() == category.lowercased().replacingOccurrences(of: " and ", with: " & ") }) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += " (see docs/rundown-format.md for the list; write 'Parent' or 'Parent/Child')"
            }
            d.error(r.valueLocations["category"], message)
        }
        let explicit = r.bool("explicit", diagnostics: &d)
        var artwork: String?
        if let written = r.string("artwork", diagnostics: &d) {
            let resolved = PathResolver.resolve(written, relativeTo: path)
            let location = r.valueLocations["artwork"]
            if let why = FileStatus.whyNotARegularFile(resolved) {
                d.error(location, "'artwork' file '\(written)' \(why)")
            } else { switch ImageKind.of(file: resolved) {
            case .missing: d.error(location, "'artwork' file '\(written)' cannot be read")
            case .other: d.error(location, "'artwork' must be a PNG or JPEG image; '\(written)' is neither")
            case .png(let w, let h), .jpeg(let w, let h):
                artwork = resolved
                if let w, let h, w != h || w < 1400 || w > 3000 {
                    d.warning(location, "'artwork' is \(w)×\(h) pixels; Apple Podcasts wants a square image from 1400×1400 to 3000×3000")
                }
            } }
        }
        let link = url(r, "link", diagnostics: &d)
        var baseURL = url(r, "base_url", diagnostics: &d)
        if let url = baseURL, !url.hasSuffix("/") { baseURL = url + "/" }
        var owner: Show.Owner?
        if let node = r.node("owner") {
            if let o = MappingReader(node, file: path, context: "'owner'", diagnostics: &d) {
                o.reportUnknownKeys(known: ["name", "email"], diagnostics: &d)
                let name = o.string("name", required: true, diagnostics: &d)
                let email = o.string("email", required: true, diagnostics: &d)
                if let email, !isPlausibleEmail(email) {
                    d.error(o.valueLocations["email"], "'email' must be an e-mail address, found '\(email)'")
                }
                if let name, let email { owner = Show.Owner(name: name, email: email) }
            }
        }
        let loudness = r.number("loudness", in: -40 ... -5, unit: "LUFS", diagnostics: &d) ?? -16
        let truePeak = r.number("true_peak", in: -20 ... 0, unit: "dBTP", diagnostics: &d) ?? -1
        var bitrate = 128
        if r.has("bitrate"), let value = r.integer("bitrate", in: 32...320, diagnostics: &d) {
            if Show.supportedBitrates.contains(value) { bitrate = value } else {
                d.error(r.valueLocations["bitrate"], "'bitrate' must be an MP3 bitrate in kb/s (\(Show.supportedBitrates.map(String.init).joined(separator: ", "))), found \(value)")
            }
        }
        var sampleRate = 44100
        if r.has("sample_rate"), let value = r.integer("sample_rate", in: 8000...192000, diagnostics: &d) {
            if Show.supportedSampleRates.contains(value) { sampleRate = value } else {
                d.error(r.valueLocations["sample_rate"], "'sample_rate' must be 32000, 44100 or 48000 (what MP3 podcasts use), found \(value)")
            }
        }
        let crossfade = r.timecode("crossfade", diagnostics: &d) ?? Timecode(nanoseconds: 0)
        var jingles = PathResolver.defaultJinglesDirectory(forShowDirectory: directory)
        if let written = r.string("jingles", diagnostics: &d) {
            jingles = PathResolver.resolve(written, relativeTo: path)
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: jingles, isDirectory: &isDirectory) || !isDirectory.boolValue {
                d.error(r.valueLocations["jingles"], "'jingles' folder '\(written)' does not exist")
            }
        }
        var ducking = Show.Ducking.standard
        if let node = r.node("ducking"), let m = MappingReader(node, file: path, context: "'ducking'", diagnostics: &d) {
            m.reportUnknownKeys(known: ["depth", "attack", "release"], diagnostics: &d)
            if let depth = m.number("depth", in: -60...0, unit: "dB", diagnostics: &d) { ducking.depth = depth }
            if let attack = m.timecode("attack", diagnostics: &d) { ducking.attack = attack }
            if let release = m.timecode("release", diagnostics: &d) { ducking.release = release }
        }
        let carts = readCarts(r, path: path, jinglesDirectory: jingles, diagnostics: &d)
        let postFade = r.timecode("post_fade", diagnostics: &d)

        var locations = r.keyLocations
        for (key, location) in r.valueLocations { locations[key] = location }
        guard let title else { return nil }
        var show = Show(directory: directory, file: path, title: title, description: description, author: author,
                    language: language, category: category, explicit: explicit, artwork: artwork, link: link,
                    baseURL: baseURL, owner: owner, loudness: loudness, truePeak: truePeak, bitrate: bitrate,
                    sampleRate: sampleRate, crossfade: crossfade, jinglesDirectory: jingles, ducking: ducking,
                    carts: carts, locations: locations)
        if let postFade { show.postFade = postFade }
        if let podcastMusic = r.bool("podcast_music", diagnostics: &d) { show.podcastMusic = podcastMusic }
        if let sting = r.string("podcast_sting", diagnostics: &d) {
            show.podcastSting = PathResolver.resolveJingle(sting, relativeTo: path, jinglesDirectory: jingles, key: "podcast_sting",
                                                           location: r.valueLocations["podcast_sting"], diagnostics: &d)
        }
        // Podcast keys are only needed to publish: their absence is a note for later, not an error.
        let missing = show.missingPodcastKeys.filter { !r.has($0) }
        if !missing.isEmpty {
            d.warning(r.location, "the podcast needs \(missing.map { "'\($0)'" }.joined(separator: ", ")) before 'regie publish'; checking, timing, playing and rendering do not")
        }
        return show
    }

    static func readCarts(_ r: MappingReader, path: String, jinglesDirectory: String,
                          diagnostics d: inout DiagnosticList) -> [Show.Cart] {
        guard let node = r.node("carts") else { return [] }
        guard let list = node.sequence else {
            d.error(r.valueLocations["carts"], "'carts' must be a list of {key, jingle, title}, found \(MappingReader.describe(node))")
            return []
        }
        var carts: [Show.Cart] = []
        var used: [String: SourceLocation] = [:]
        for (index, element) in list.enumerated() {
            guard let c = MappingReader(element, file: path, context: "cart \(index + 1)", diagnostics: &d) else { continue }
            c.reportUnknownKeys(known: ["key", "jingle", "title"], diagnostics: &d)
            let key = c.string("key", required: true, diagnostics: &d)
            if let key {
                if !Show.cartKeys.contains(key) {
                    var message = "cart 'key' must be one of 1–9, 0, F1–F12, found '\(key)'"
                    if let s = Show.cartKeys.first(where: { $0.lowercased() == key.lowercased() }) { message += "; did you mean '\(s)'?" }
                    d.error(c.valueLocations["key"], message)
                } else if let first = used[key] {
                    d.error(c.valueLocations["key"], "cart key '\(key)' is already used by the cart at line \(first.line)")
                } else {
                    used[key] = c.valueLocations["key"]
                }
            }
            let jingle = c.string("jingle", required: true, diagnostics: &d)
            var resolved: String?
            if let jingle {
                resolved = PathResolver.resolveJingle(jingle, relativeTo: path, jinglesDirectory: jinglesDirectory,
                                                      key: "jingle", location: c.valueLocations["jingle"], diagnostics: &d)
            }
            let title = c.string("title", diagnostics: &d)
            if let key, let jingle, let resolved {
                carts.append(Show.Cart(key: key, jingle: resolved, title: title ?? jingle, location: c.location))
            }
        }
        return carts
    }

    static func url(_ r: MappingReader, _ key: String, diagnostics d: inout DiagnosticList) -> String? {
        guard let text = r.string(key, diagnostics: &d) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              url.host?.isEmpty == false else {
            d.error(r.valueLocations[key], "'\(key)' must be an http:// or https:// URL, found '\(text)'")
            return nil
        }
        return text
    }

    static func isPlausibleEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
    }
}

/// The kind and size of an image file, read from its header.
enum ImageKind {
    case missing, other
    case png(width: Int?, height: Int?)
    case jpeg(width: Int?, height: Int?)

    static func of(file: String) -> ImageKind {
        guard let handle = FileHandle(forReadingAtPath: file) else { return .missing }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 64 * 1024))
        if header.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            guard header.count >= 24 else { return .png(width: nil, height: nil) }
            func be32(_ i: Int) -> Int { header[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
            return .png(width: be32(16), height: be32(20))
        }
        if header.starts(with: [0xFF, 0xD8, 0xFF]) {
            // Walk the JPEG segments to the first start-of-frame marker.
            var i = 2
            while i + 9 < header.count, header[i] == 0xFF {
                let marker = header[i + 1]
                let length = Int(header[i + 2]) << 8 | Int(header[i + 3])
                if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                    let height = Int(header[i + 5]) << 8 | Int(header[i + 6])
                    let width = Int(header[i + 7]) << 8 | Int(header[i + 8])
                    return .jpeg(width: width, height: height)
                }
                i += 2 + length
            }
            return .jpeg(width: nil, height: nil)
        }
        return .other
    }
}

/// Reads a file's text, reporting a missing or unreadable file.
enum FileText {
    static func read(_ path: String, diagnostics: inout DiagnosticList) -> String? {
        guard FileManager.default.fileExists(atPath: path) || FileStatus(path: path, followingLinks: false) != nil else {
            diagnostics.error(nil, "\(path): no such file")
            return nil
        }
        // A folder, a FIFO (reading it would wait for a writer), a device, a link loop: said by
        // stat, before any open.
        if let why = FileStatus.whyNotARegularFile(path) {
            diagnostics.error(nil, "\(path): \(why)")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            diagnostics.error(nil, "\(path): cannot be read: \(String(cString: strerror(errno)))")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            // Where the first byte that is not UTF-8 is, so the producer can find it.
            var line = 1, column = 1, offset = 0
            var bytes = data.makeIterator()
            var decoder = UTF8()
            decoding: while true {
                switch decoder.decode(&bytes) {
                case .scalarValue(let scalar):
                    offset += UTF8.width(scalar)
                    if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
                case .emptyInput: break decoding
                case .error: break decoding
                }
            }
            let byte = offset < data.count ? String(format: " (byte 0x%02X)", data[data.startIndex + offset]) : ""
            diagnostics.error(SourceLocation(file: path, line: line, column: column),
                              "the file is not UTF-8 text\(byte): save it as UTF-8 (it may be Latin-1 or Windows-1252)")
            return nil
        }
        return text
    }
}
