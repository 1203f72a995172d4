import Foundation

/// Name-based UUIDs (version 5, SHA-1) as RFC 9562 defines them.
package enum UUIDv5 {
    /// The namespace the Podcast Index uses for `podcast:guid`.
    package static let podcastNamespace = UUID(uuidString: "ead4c236-bf58-58c6-a2c6-a6b28d128cb6")!

    /// The version 5 UUID of `name` (UTF-8) in `namespace`.
    package static func make(namespace: UUID, name: String) -> UUID {
        let ns = namespace.uuid
        let nsBytes: [UInt8] = [ns.0, ns.1, ns.2, ns.3, ns.4, ns.5, ns.6, ns.7,
                                ns.8, ns.9, ns.10, ns.11, ns.12, ns.13, ns.14, ns.15]
        var d = SHA1.digest(nsBytes + Array(name.utf8))
        d[6] = (d[6] & 0x0F) | 0x50  // version 5
        d[8] = (d[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                           d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]))
    }

    /// The `podcast:guid` of a feed: UUIDv5 of its URL without scheme and trailing slashes.
    package static func podcastGUID(feedURL: String) -> UUID {
        var s = Substring(feedURL)
        if let r = s.range(of: "://") { s = s[r.upperBound...] }
        while s.hasSuffix("/") { s = s.dropLast() }
        return make(namespace: podcastNamespace, name: String(s))
    }
}
