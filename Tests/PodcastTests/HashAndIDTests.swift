import Foundation
@testable import Podcast
import Testing
import TestSupport

@Suite struct HashAndIDTests {
    @Test func sha1MatchesFIPSVectors() {
        #expect(SHA1.hex(SHA1.digest(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex(SHA1.digest([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA1.hex(SHA1.digest(Array(two.utf8))) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func sha1MatchesPythonHashlibAcrossBlockBoundaries() throws {
        // Lengths around the 55/56/64-byte padding edges.
        let lengths = [1, 55, 56, 63, 64, 65, 119, 120, 1000]
        let ours = lengths.map { n in SHA1.hex(SHA1.digest((0..<n).map { UInt8($0 % 251) })) }
        let r = try python("""
            import hashlib, sys
            for n in map(int, sys.argv[1:]):
                print(hashlib.sha1(bytes(i % 251 for i in range(n))).hexdigest())
            """, lengths.map(String.init))
        #expect(r.stdout.split(separator: "\n").map(String.init) == ours)
    }

    @Test func uuid5MatchesPython() throws {
        let names = ["radio.example.org/podcasts/campus-magazine/feed.xml", "", "épisode ☃", String(repeating: "x", count: 300)]
        let ours = names.map { UUIDv5.make(namespace: UUIDv5.podcastNamespace, name: $0).uuidString.lowercased() }
        let r = try python("""
            import uuid, sys
            ns = uuid.UUID('ead4c236-bf58-58c6-a2c6-a6b28d128cb6')
            for n in sys.argv[1:]:
                print(uuid.uuid5(ns, n))
            """, names)
        #expect(r.stdout.split(separator: "\n").map(String.init) == ours)
        // Standard namespaces too (DNS namespace, RFC example name).
        let dns = UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!
        #expect(UUIDv5.make(namespace: dns, name: "python.org").uuidString.lowercased()
                == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
    }

    @Test func podcastGUIDStripsSchemeAndTrailingSlashes() {
        // The example given by the podcast namespace documentation.
        #expect(UUIDv5.podcastGUID(feedURL: "https://mp3s.nashownotes.com/pc20rss.xml").uuidString.lowercased()
                == "917393e3-1b1e-5cef-ace4-edaa54e1f810")
        #expect(UUIDv5.podcastGUID(feedURL: "http://mp3s.nashownotes.com/pc20rss.xml//")
                == UUIDv5.podcastGUID(feedURL: "mp3s.nashownotes.com/pc20rss.xml"))
    }
}

@Suite struct SlugAndDateTests {
    @Test func slugs() {
        #expect(Slug.episode(number: 12, title: "Winter on campus") == "012-winter-on-campus")
        #expect(Slug.episode(number: 1234, title: "  Über   Größe — Ça va?!  ") == "1234-uber-grosse-ca-va")
        #expect(Slug.make("Crème brûlée & Smørrebrød") == "creme-brulee-smorrebrod")
        #expect(Slug.make("Москва") == "moskva")
        #expect(Slug.episode(number: 7, title: "!!!") == "007")
        #expect(Slug.make(String(repeating: "word ", count: 40)).count <= 60)
        for s in [Slug.make("東京 ラジオ"), Slug.make("<script>alert(1)</script>"), Slug.make("a/../b")] {
            #expect(s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
        }
    }
}
