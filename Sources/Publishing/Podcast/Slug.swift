import Foundation

/// ASCII file-name slugs for episodes.
package enum Slug {
    /// Lower-case ASCII letters and digits separated by single hyphens: diacritics are stripped
    /// and other scripts transliterated to Latin where Foundation can, everything else becomes `-`.
    package static func make(_ text: String) -> String {
        var s = text
        // Latin letters that do not decompose into base + diacritic.
        let special: [Character: String] = ["ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe",
                                            "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th",
                                            "Þ": "TH", "ð": "d", "Ð": "D", "ı": "i"]
        s = String(s.flatMap { special[$0].map(Array.init) ?? [$0] })
        if let latin = s.applyingTransform(.toLatin, reverse: false) { s = latin }
        if let stripped = s.applyingTransform(.stripDiacritics, reverse: false) { s = stripped }
        s = s.folding(options: [.diacriticInsensitive, .widthInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        var out: [UInt8] = []
        var pendingHyphen = false
        for b in s.utf8 {
            let lower = (b >= 0x41 && b <= 0x5A) ? b + 0x20 : b
            if (lower >= 0x61 && lower <= 0x7A) || (lower >= 0x30 && lower <= 0x39) {
                if pendingHyphen && !out.isEmpty { out.append(0x2D) }
                pendingHyphen = false
                out.append(lower)
            } else {
                pendingHyphen = true
            }
        }
        if out.count > 60 {  // keep file names short; cut at a hyphen when there is one
            out = Array(out[0..<60])
            if let cut = out.lastIndex(of: 0x2D), cut > 20 { out = Array(out[0..<cut]) }
            while out.last == 0x2D { out.removeLast() }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The episode slug: zero-padded number, then the title slug, e.g. `012-winter-on-campus`;
    /// without a number (a rundown not yet numbered), the title slug alone, or `episode`.
    package static func episode(number: Int?, title: String) -> String {
        let t = make(title)
        guard let number else { return t.isEmpty ? "episode" : t }
        let n = String(number)
        let padded = String(repeating: "0", count: max(0, 3 - n.count)) + n
        return t.isEmpty ? padded : padded + "-" + t
    }
}
