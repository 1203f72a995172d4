// Byte-level writing of XML and HTML text. Works on UTF-8 bytes and copies clean runs in bulk,
// so a 1,000-episode feed regenerates in milliseconds.

/// An output buffer of UTF-8 markup with escaping helpers.
struct MarkupBuffer {
    /// The bytes written so far.
    var bytes: [UInt8] = []

    init(capacity: Int = 64 * 1024) { bytes.reserveCapacity(capacity) }

    /// Appends markup verbatim (only for literals written by this module).
    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Appends text escaped for element content or a double-quoted attribute, with characters
    /// that XML 1.0 forbids (and other control characters) removed.
    mutating func text(_ s: String) {
        Self.scan(s, into: &bytes) { b, out in
            switch b {
            case 0x26: out.append(contentsOf: "&amp;".utf8); return true
            case 0x3C: out.append(contentsOf: "&lt;".utf8); return true
            case 0x3E: out.append(contentsOf: "&gt;".utf8); return true
            case 0x22: out.append(contentsOf: "&quot;".utf8); return true
            case 0x27: out.append(contentsOf: "&#39;".utf8); return true
            default: return false
            }
        }
    }

    /// Appends text as one or more CDATA sections. A `]]>` inside is split across two sections
    /// (`]]` ends one, `>` starts the next), so any text survives.
    mutating func cdata(_ s: String) {
        bytes.append(contentsOf: "<![CDATA[".utf8)
        Self.scan(s, into: &bytes) { b, out in
            // Only '>' can complete a terminator; look at what was written just before it.
            guard b == 0x3E, out.count >= 2, out[out.count - 1] == 0x5D, out[out.count - 2] == 0x5D else { return false }
            out.append(contentsOf: "]]><![CDATA[>".utf8)
            return true
        }
        bytes.append(contentsOf: "]]>".utf8)
    }

    /// The text without characters XML 1.0 forbids or that are invisible controls.
    static func clean(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        scan(s, into: &out) { _, _ in false }
        return String(decoding: out, as: UTF8.self)
    }

    /// Copies the UTF-8 of `s` to `out`, dropping C0 controls other than tab/LF/CR, DEL, C1
    /// controls and the noncharacters U+FFFE/U+FFFF. `special` is offered each ASCII byte in
    /// `"&<>'` and `]`-free positions that may need escaping; it returns true if it wrote a
    /// replacement. Runs of ordinary bytes are copied in one go.
    @inline(__always)
    static func scan(_ s: String, into out: inout [UInt8], special: (UInt8, inout [UInt8]) -> Bool) {
        var s = s
        s.withUTF8 { u in
            let n = u.count
            var runStart = 0
            var i = 0
            @inline(__always) func flush(_ end: Int) {
                if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<end])) }
            }
            while i < n {
                let b = u[i]
                if b >= 0x20 && b < 0x7F {
                    if b == 0x26 || b == 0x3C || b == 0x3E || b == 0x22 || b == 0x27 {
                        flush(i)
                        if !special(b, &out) { out.append(b) }
                        i += 1
                        runStart = i
                    } else {
                        i += 1
                    }
                } else if b < 0x80 {
                    // Control character (or DEL): keep only tab, LF and CR.
                    if b == 0x09 || b == 0x0A || b == 0x0D { i += 1; continue }
                    flush(i)
                    i += 1
                    runStart = i
                } else if b == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F {
                    flush(i)  // C1 control U+0080–U+009F
                    i += 2
                    runStart = i
                } else if b == 0xEF && i + 2 < n && u[i + 1] == 0xBF && (u[i + 2] == 0xBE || u[i + 2] == 0xBF) {
                    flush(i)  // U+FFFE, U+FFFF
                    i += 3
                    runStart = i
                } else {
                    i += 1  // other UTF-8 bytes are copied as they are (Swift strings are valid UTF-8)
                }
            }
            flush(n)
        }
    }
}
