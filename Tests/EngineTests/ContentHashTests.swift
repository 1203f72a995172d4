import Foundation
import Testing
import TestSupport
@testable import Engine

/// The loudness cache's key: the same bytes give the same hash however they are fed, and any
/// change of one byte or of the length gives another.
@Suite struct ContentHashTests {
    static func bytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    static func hash(_ data: [UInt8], cuts: [Int] = []) -> UInt64 {
        var h = ContentHash()
        data.withUnsafeBytes { raw in
            var start = 0
            for cut in cuts + [data.count] where cut >= start {
                h.add(UnsafeRawBufferPointer(rebasing: raw[start..<cut]))
                start = cut
            }
        }
        return h.value
    }

    @Test func independentOfHowTheStreamIsCut() {
        let data = Self.bytes(1000)
        let whole = Self.hash(data)
        #expect(Self.hash(data, cuts: [1, 2, 3, 31, 32, 33, 64, 100, 999]) == whole)
        #expect(Self.hash(data, cuts: Array(stride(from: 7, to: 1000, by: 7))) == whole)
        #expect(Self.hash(data, cuts: [500]) == whole)
    }

    @Test func everyByteAndTheLengthCount() {
        let data = Self.bytes(1000)
        let whole = Self.hash(data)
        var seen: Set<UInt64> = [whole]
        // Each position (inside the 32-byte stripes and in the tail), one bit flipped.
        for position in 0..<data.count {
            var changed = data
            changed[position] ^= 1 << (position % 8)
            seen.insert(Self.hash(changed))
        }
        #expect(seen.count == data.count + 1, "two different inputs gave the same hash")
        // Lengths: a zero byte more or less is another file.
        #expect(Self.hash(data + [0]) != whole)
        #expect(Self.hash(Array(data.dropLast())) != whole)
        #expect(Self.hash([]) != Self.hash([0]))
        // Two stripes swapped.
        let swapped = Array(data[32..<64] + data[0..<32] + data[64...])
        #expect(Self.hash(swapped) != whole)
    }

    @Test func cacheKeyNamesTheHashAndTheSize() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("regie-hash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let data = Self.bytes(3 << 20 | 5)   // more than one 1 MiB read, with a tail
        try Data(data).write(to: url)
        let key = try LoudnessCache.contentKey(of: url.path)
        #expect(key == "lanes64-" + String(Self.hash(data), radix: 16) + "-\(data.count)")
    }
}

/// The cache's keys are stored in every show's `.loudness-cache.json`: if the hash of the same
/// bytes ever changed, every cached measurement would silently be thrown away and measured again
/// (minutes of analysis before air). These values pin it.
@Suite struct ContentHashPinTests {
    @Test func knownInputsKeepTheirHash() throws {
        #expect(ContentHashTests.hash([]) == 16_760_315_318_340_738_270)
        #expect(ContentHashTests.hash(Array("abc".utf8)) == 8_695_900_709_076_796_342)
        #expect(ContentHashTests.hash(ContentHashTests.bytes(1000)) == 16_683_278_794_647_836_171)
        #expect(ContentHashTests.hash(ContentHashTests.bytes(1 << 20, seed: 3)) == 10_951_229_395_168_086_982)
    }

    @Test func theCacheKeyOfAFileIsTheHashAndTheLength() throws {
        let dir = try TempDir("regie-hash")
        defer { dir.cleanup() }
        let path = dir.path("source.wav")
        try Data(ContentHashTests.bytes(1000)).write(to: URL(fileURLWithPath: path))
        #expect(try LoudnessCache.contentKey(of: path) == "lanes64-\(String(16_683_278_794_647_836_171 as UInt64, radix: 16))-1000")
    }
}
