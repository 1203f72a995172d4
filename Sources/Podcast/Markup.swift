// Byte-level writing of XML and HTML text. Works on UTF-8 bytes so a 1,000-episode feed
// regenerates in milliseconds.

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
        Self.forEachCleanScalar(s) { scalar, utf8 in
            switch scalar {
            case 0x26: bytes.append(contentsOf: "&amp;".utf8)
            case 0x3C: bytes.append(contentsOf: "&lt;".utf8)
            case 0x3E: bytes.append(contentsOf: "&gt;".utf8)
            case 0x22: bytes.append(contentsOf: "&quot;".utf8)
            case 0x27: bytes.append(contentsOf: "&#39;".utf8)
            default: bytes.append(contentsOf: utf8)
            }
        }
    }

    /// Appends text as one or more CDATA sections. A `]]>` inside is split across two sections
    /// (`]]` ends one, `>` starts the next), so any text survives.
    mutating func cdata(_ s: String) {
        bytes.append(contentsOf: "<![CDATA[".utf8)
        var tail: (UInt8, UInt8) = (0, 0)  // last two bytes written inside the section
        Self.forEachCleanScalar(s) { scalar, utf8 in
            if scalar == 0x3E && tail == (0x5D, 0x5D) {
                bytes.append(contentsOf: "]]><![CDATA[".utf8)
            }
            bytes.append(contentsOf: utf8)
            if utf8.count == 1 { tail = (tail.1, utf8[0]) } else { tail = (0, 0) }
        }
        bytes.append(contentsOf: "]]>".utf8)
    }

    /// The text without characters XML 1.0 forbids or that are invisible controls.
    static func clean(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        forEachCleanScalar(s) { _, utf8 in out.append(contentsOf: utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Calls `body` with each Unicode scalar value of `s` and its UTF-8 bytes, skipping C0 controls
    /// other than tab/LF/CR, DEL, C1 controls and the noncharacters U+FFFE/U+FFFF.
    @inline(__always)
    static func forEachCleanScalar(_ s: String, _ body: (UInt32, ArraySlice<UInt8>) -> Void) {
        var s = s
        s.withUTF8 { u in
            let n = u.count
            var i = 0
            // Scratch array reused for the slice handed out (at most 4 bytes).
            var scratch: [UInt8] = [0, 0, 0, 0]
            while i < n {
                let b0 = u[i]
                if b0 < 0x80 {
                    i += 1
                    if (b0 < 0x20 && b0 != 0x09 && b0 != 0x0A && b0 != 0x0D) || b0 == 0x7F { continue }
                    scratch[0] = b0
                    body(UInt32(b0), scratch[0..<1])
                    continue
                }
                let len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2
                var scalar: UInt32 = UInt32(b0) & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07)
                for k in 1..<len { scalar = scalar << 6 | (UInt32(u[i + k]) & 0x3F) }
                for k in 0..<len { scratch[k] = u[i + k] }
                i += len
                if (0x80...0x9F).contains(scalar) || scalar == 0xFFFE || scalar == 0xFFFF { continue }
                body(scalar, scratch[0..<len])
            }
        }
    }
}
