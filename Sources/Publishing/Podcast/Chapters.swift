import Foundation

/// Podcasting 2.0 JSON chapters (`application/json+chapters`, version 1.2.0): the one writer and
/// reader of `<episode>.chapters.json`, beside a render, a recording and in the published folder.
package enum ChaptersJSON {
    /// The chapters file for `chapters` (already sorted), e.g.
    /// `{"version":"1.2.0","chapters":[{"startTime":0,"endTime":61.5,"title":"Intro"}]}`.
    package static func encode(_ chapters: [PodcastChapter]) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: "{\"version\":\"1.2.0\",\"chapters\":[".utf8)
        for (k, ch) in chapters.enumerated() {
            if k > 0 { out.append(0x2C) }
            out.append(contentsOf: "\n{\"startTime\":".utf8)
            out.append(contentsOf: number(ch.startTime).utf8)
            if let end = ch.endTime {
                out.append(contentsOf: ",\"endTime\":".utf8)
                out.append(contentsOf: number(end).utf8)
            }
            out.append(contentsOf: ",\"title\":".utf8)
            string(MarkupBuffer.clean(ch.title), into: &out)
            if let url = ch.url {
                out.append(contentsOf: ",\"url\":".utf8)
                string(MarkupBuffer.clean(url), into: &out)
            }
            out.append(0x7D)
        }
        out.append(contentsOf: "\n]}\n".utf8)
        return out
    }

    /// The chapters of a chapters file, nil when it is not one.
    package static func decode(_ data: Data) -> [PodcastChapter]? {
        struct File: Decodable { var chapters: [PodcastChapter] }
        return (try? JSONDecoder().decode(File.self, from: data))?.chapters
    }

    /// Seconds with at most millisecond precision, no exponent.
    static func number(_ t: Double) -> String {
        let ms = Int((max(0, t) * 1000).rounded())
        if ms % 1000 == 0 { return String(ms / 1000) }
        var frac = String(ms % 1000)
        frac = String(repeating: "0", count: 3 - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return "\(ms / 1000).\(frac)"
    }

    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        let hex = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: "\\\"".utf8)
            case 0x5C: out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20: out.append(contentsOf: "\\u00".utf8); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
