import Foundation

/// Turns episode descriptions into HTML that is safe to put in a page.
enum SafeHTML {
    /// Tags kept (without attributes, except `href` on `a`).
    private static let allowed: Set<String> = ["p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li",
                                               "blockquote", "code", "pre", "a", "h3", "h4"]
    /// Tags dropped together with everything inside them.
    private static let dropWithContent: Set<String> = ["script", "style", "iframe", "object", "embed", "template",
                                                       "noscript", "textarea", "title", "svg", "math", "head"]
    private static let void: Set<String> = ["br"]

    /// Plain text as paragraphs: blank lines separate paragraphs, single newlines become `<br>`.
    static func fromPlain(_ text: String) -> String {
        var out = MarkupBuffer(capacity: text.utf8.count + 64)
        // Lines without their ends (LF, CRLF or CR), then grouped into paragraphs at blank lines.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        var inParagraph = false
        for line in lines {
            let blank = line.allSatisfy { $0 == " " || $0 == "\t" }
            if blank {
                if inParagraph { out.raw("</p>"); inParagraph = false }
                continue
            }
            out.raw(inParagraph ? "<br>" : "<p>")
            inParagraph = true
            out.text(String(line))
        }
        if inParagraph { out.raw("</p>") }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// HTML reduced to a small set of formatting tags with balanced nesting; links only to
    /// http(s) and mailto; scripts, styles and event handlers cannot survive.
    static func sanitize(_ html: String) -> String {
        let s = Array(MarkupBuffer.clean(html).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var open: [String] = []
        var i = 0
        func emit(_ str: String) { out.append(contentsOf: str.utf8) }
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
        }
        while i < s.count {
            let b = s[i]
            if b == 0x3C {  // <
                // Comment: skip to -->.
                if s[i...].starts(with: "<!--".utf8) {
                    if let end = find(s, "-->", from: i + 4) { i = end + 3 } else { i = s.count }
                    continue
                }
                var j = i + 1
                let closing = j < s.count && s[j] == 0x2F
                if closing { j += 1 }
                let nameStart = j
                while j < s.count && isNameByte(s[j]) { j += 1 }
                guard j > nameStart, let gt = find(s, ">", from: j) else {
                    emit("&lt;"); i += 1; continue
                }
                let name = String(decoding: s[nameStart..<j], as: UTF8.self).lowercased()
                let attrs = Array(s[j..<gt])
                i = gt + 1
                if dropWithContent.contains(name) {
                    if !closing, let end = findCaseInsensitive(s, "</" + name, from: i) {
                        i = find(s, ">", from: end).map { $0 + 1 } ?? s.count
                    } else if !closing {
                        i = s.count
                    }
                    continue
                }
                guard allowed.contains(name) else { continue }
                if closing {
                    if let k = open.lastIndex(of: name) {
                        for t in open[k...].reversed() { emit("</\(t)>") }
                        open.removeSubrange(k...)
                    }
                } else if void.contains(name) {
                    emit("<\(name)>")
                } else if name == "a" {
                    if let href = attribute("href", in: attrs), isSafeURL(href) {
                        var buf = MarkupBuffer(capacity: href.utf8.count + 8)
                        buf.text(href)
                        emit("<a href=\"")
                        out.append(contentsOf: buf.bytes)
                        emit("\" rel=\"nofollow noopener\">")
                    } else {
                        emit("<a>")
                    }
                    open.append(name)
                } else {
                    emit("<\(name)>")
                    open.append(name)
                }
                continue
            }
            switch b {
            case 0x3E: emit("&gt;")
            case 0x22: emit("&quot;")
            case 0x27: emit("&#39;")
            case 0x26:
                // Keep well-formed character references, escape a bare ampersand.
                var j = i + 1
                if j < s.count && s[j] == 0x23 { j += 1; if j < s.count && (s[j] | 0x20) == 0x78 { j += 1 } }
                let start = j
                while j < s.count && isNameByte(s[j]) && j - start < 32 { j += 1 }
                if j > start && j < s.count && s[j] == 0x3B { out.append(contentsOf: s[i...j]); i = j + 1; continue }
                emit("&amp;")
            default: out.append(b)
            }
            i += 1
        }
        for t in open.reversed() { emit("</\(t)>") }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isSafeURL(_ url: String) -> Bool {
        let lower = url.trimmingCharacters(in: .whitespaces).lowercased()
        return (lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:"))
            && !lower.contains("\"") && !lower.contains("<")
    }

    /// The value of attribute `name` in the bytes between a tag name and its `>`.
    private static func attribute(_ name: String, in attrs: [UInt8]) -> String? {
        var i = 0
        let n = attrs.count
        func skipSpace() { while i < n && (attrs[i] == 0x20 || attrs[i] == 0x09 || attrs[i] == 0x0A || attrs[i] == 0x0D || attrs[i] == 0x2F) { i += 1 } }
        while i < n {
            skipSpace()
            let ks = i
            while i < n && attrs[i] != 0x3D && attrs[i] != 0x20 && attrs[i] != 0x09 && attrs[i] != 0x0A && attrs[i] != 0x2F { i += 1 }
            let key = String(decoding: attrs[ks..<i], as: UTF8.self).lowercased()
            skipSpace()
            var value = ""
            if i < n && attrs[i] == 0x3D {
                i += 1
                skipSpace()
                if i < n && (attrs[i] == 0x22 || attrs[i] == 0x27) {
                    let q = attrs[i]; i += 1
                    let vs = i
                    while i < n && attrs[i] != q { i += 1 }
                    value = String(decoding: attrs[vs..<i], as: UTF8.self)
                    i += 1
                } else {
                    let vs = i
                    while i < n && attrs[i] != 0x20 && attrs[i] != 0x09 && attrs[i] != 0x0A { i += 1 }
                    value = String(decoding: attrs[vs..<i], as: UTF8.self)
                }
            }
            if key == name { return value }
            if i == ks { i += 1 }
        }
        return nil
    }

    private static func find(_ s: [UInt8], _ needle: String, from: Int) -> Int? {
        let nd = Array(needle.utf8)
        guard !nd.isEmpty, from <= s.count - nd.count else { return nil }
        var i = from
        while i <= s.count - nd.count {
            if s[i] == nd[0] && s[i..<(i + nd.count)].elementsEqual(nd) { return i }
            i += 1
        }
        return nil
    }

    private static func findCaseInsensitive(_ s: [UInt8], _ needle: String, from: Int) -> Int? {
        let nd = Array(needle.lowercased().utf8)
        guard from <= s.count - nd.count else { return nil }
        var i = from
        while i <= s.count - nd.count {
            var k = 0
            while k < nd.count {
                let c = s[i + k]
                let lc = (c >= 0x41 && c <= 0x5A) ? c + 0x20 : c
                if lc != nd[k] { break }
                k += 1
            }
            if k == nd.count { return i }
            i += 1
        }
        return nil
    }
}
