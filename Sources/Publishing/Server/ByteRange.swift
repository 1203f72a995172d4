import Foundation

/// A `Range` request header, reduced to what this server honours: one byte range.
package enum ByteRangeRequest: Equatable {
    /// Serve these bytes (inclusive bounds) with 206.
    case satisfiable(ClosedRange<Int64>)
    /// 416 with `Content-Range: bytes */<size>`.
    case unsatisfiable
    /// Ignore the header and serve the whole file with 200 (bad syntax, other units, several ranges).
    case ignore

    /// Interprets `header` for a representation of `size` bytes (RFC 9110 §14.1.2).
    package static func parse(_ header: String, size: Int64) -> ByteRangeRequest {
        let h = header.trimmingCharacters(in: .whitespaces)
        guard h.lowercased().hasPrefix("bytes=") else { return .ignore }
        let spec = h.dropFirst(6).trimmingCharacters(in: .whitespaces)
        // Several ranges would need multipart/byteranges; answering with the whole file is allowed.
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .ignore }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ s: String) -> Int64? {
            guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int64(s) ?? Int64.max  // absurdly long numbers: treat as huge
        }
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let n = number(last) else { return .ignore }
            guard n > 0, size > 0 else { return .unsatisfiable }
            return .satisfiable(max(0, size - n)...(size - 1))
        }
        guard let start = number(first) else { return .ignore }
        var end = size - 1
        if !last.isEmpty {
            guard let e = number(last) else { return .ignore }
            guard e >= start else { return .ignore }  // invalid range-spec: ignore the header
            end = min(e, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .satisfiable(start...end)
    }
}
