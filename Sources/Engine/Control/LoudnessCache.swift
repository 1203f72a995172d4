import AudioIO
import Foundation
import Support

/// What was measured of a whole file.
package struct SourceLoudness: Codable, Sendable, Equatable {
    /// Integrated loudness (libebur128), LUFS (−∞ for silence is stored as −70, the absolute gate).
    package var integrated: Double
    /// True peak (`TruePeakMeter`, within 0.1 dB of libebur128's), dBTP; nil until measured (a
    /// source the render waits for gets its integrated loudness first).
    package var truePeak: Double?
    /// The frames that really decode (the whole file was read to measure it); nil in entries
    /// written before Régie counted them.
    package var framesDecoded: Int64?

    package init(integrated: Double, truePeak: Double?, framesDecoded: Int64? = nil) {
        self.integrated = integrated; self.truePeak = truePeak; self.framesDecoded = framesDecoded
    }
}

/// The gain that brings a source to the show's loudness target, for every voice and cart.
package enum LoudnessGain {
    /// The largest boost: near-silent material stays quiet rather than noisy.
    package static let maximumBoostDecibels = 20.0

    /// Decibels from `measured` LUFS to `target` LUFS, the boost capped.
    package static func decibels(target: Double, measured: Double) -> Double {
        min(maximumBoostDecibels, target - measured)
    }

    /// The same as a linear factor.
    package static func linear(target: Double, measured: Double) -> Float {
        Float(pow(10, decibels(target: target, measured: measured) / 20))
    }
}

/// Loudness measurements kept next to the show (`shows/<show>/.loudness-cache.json`), keyed by
/// the file's content hash, so each file is measured once however often it airs or is renamed.
///
/// Threading: one thread at a time (the analysis thread); `save` writes atomically.
package final class LoudnessCache: @unchecked Sendable {
    /// The cache file.
    package let url: URL
    private var entries: [String: Entry]
    private var keys: [String: String] = [:]   // path → content key, for this run
    private var dirty = false

    struct Entry: Codable {
        var integrated: Double
        var truePeak: Double?
        /// The file it was measured from, for people reading the cache.
        var file: String
        /// The frames that decoded when it was measured (a truncated file has fewer than its
        /// header says); absent in entries of older caches.
        var frames: Int64?

        var loudness: SourceLoudness { SourceLoudness(integrated: integrated, truePeak: truePeak, framesDecoded: frames) }
    }

    /// Opens (or starts) the cache at `url`; an unreadable cache is started afresh.
    package init(url: URL) {
        self.url = url
        if let data = try? Data(contentsOf: url), let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        } else {
            entries = [:]
        }
    }

    /// The cache of a show folder.
    package convenience init(showDirectory: String) {
        self.init(url: URL(fileURLWithPath: showDirectory).appendingPathComponent(".loudness-cache.json"))
    }

    /// The file's integrated loudness (and its true peak when already known), measuring the file
    /// now unless the cache holds it: the integrated loudness with libebur128 and the true peak
    /// with `TruePeakMeter` in one decoding pass, or with `truePeak: false` the integrated
    /// loudness alone (for a source a render is waiting for; `measureTruePeak` completes the
    /// entry later).
    package func loudness(of path: String, truePeak: Bool = false) throws -> SourceLoudness {
        let key = try Self.contentKey(of: path)
        if let entry = entries[key] { return entry.loudness }
        return try measure(path, key: key, truePeak: truePeak)
    }

    /// The file's loudness with the frames that really decode: the whole file decoded once
    /// (measuring its loudness and true peak in the same pass) unless the cache knows it. This is
    /// how `regie check` finds a truncated or damaged file before air.
    package func verified(_ path: String) throws -> SourceLoudness {
        let key = try Self.contentKey(of: path)
        if let entry = entries[key], entry.frames != nil { return entry.loudness }
        return try measure(path, key: key, truePeak: true)
    }

    /// The file's loudness with the frames that decode when the cache already knows them (the
    /// file is hashed, not decoded); nil otherwise.
    package func knownVerification(of path: String) throws -> SourceLoudness? {
        let key = try Self.contentKey(of: path)
        guard let entry = entries[key], entry.frames != nil else { return nil }
        return entry.loudness
    }

    private func measure(_ path: String, key: String, truePeak: Bool) throws -> SourceLoudness {
        let measured = try LoudnessMeter.measure(path: path, integrated: true, truePeak: truePeak ? .interpolated : nil)
        let integrated = measured.integrated.isFinite ? max(-70, measured.integrated) : -70
        let peak: Double? = truePeak ? (measured.truePeak.isFinite ? measured.truePeak : -70) : nil
        let entry = Entry(integrated: integrated, truePeak: peak, file: (path as NSString).lastPathComponent,
                          frames: measured.framesDecoded)
        entries[key] = entry
        keys[path] = key
        dirty = true
        return entry.loudness
    }

    /// Measures the true peak of a file whose integrated loudness is cached but whose peak is not
    /// (a decoding pass through `TruePeakMeter`, run after the render has what it needs); does
    /// nothing when the peak is known.
    package func measureTruePeak(of path: String) throws {
        let key = try keys[path] ?? Self.contentKey(of: path)
        guard var entry = entries[key], entry.truePeak == nil else { return }
        let peak = try LoudnessMeter.interpolatedTruePeak(path: path)
        entry.truePeak = peak.isFinite ? peak : -70
        entries[key] = entry
        dirty = true
    }

    /// Writes the cache if anything was measured (atomically, as every file). A cache that
    /// cannot be written is not an error: the next render measures again.
    package func save() {
        guard dirty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(entries) else { return }
        do {
            try AtomicFile.write([UInt8](data), to: url.path)
            dirty = false
        } catch {}
    }

    /// `lanes64-<hex>-<size>`: a 64-bit hash of the bytes (`ContentHash`) and the length. Not
    /// cryptographic; it only has to tell two audio files apart. Every render and every
    /// `regie play` hashes all its sources to find their measurements, so it must be fast: the
    /// FNV-1a hash used before (key prefix `fnv1a64-`; such entries are simply measured again)
    /// went a byte at a time, about 0.15 s per 80 MB file here.
    package static func contentKey(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AudioFileError.notFound(path) }
        defer { try? handle.close() }
        var hash = ContentHash()
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hash.add($0) }
        }
        return "lanes64-" + String(hash.value, radix: 16) + "-\(hash.count)"
    }
}

/// A streaming 64-bit hash of a byte stream: four independent multiply-rotate lanes over 32-byte
/// stripes (the multiplies of one stripe overlap instead of waiting on each other, several GB/s),
/// the tail bytes and the length folded in at the end, then a final avalanche. The result does not
/// depend on how the stream is cut into `add` calls.
package struct ContentHash: Sendable {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344,
                                                           0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)
    /// Bytes of an unfinished stripe (fewer than 32), carried to the next `add`.
    private var partial = [UInt8]()
    /// Bytes added so far.
    package private(set) var count = 0

    package init() {}

    @inline(__always) private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = lane &+ word &* prime2
        return ((mixed << 29) | (mixed >> 35)) &* prime1
    }

    package mutating func add(_ bytes: UnsafeRawBufferPointer) {
        count += bytes.count
        var rest = bytes
        if !partial.isEmpty {
            let take = min(32 - partial.count, rest.count)
            partial.append(contentsOf: rest.prefix(take))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
            if partial.count < 32 { return }
            partial.withUnsafeBytes { stripes($0) }
            partial.removeAll(keepingCapacity: true)
        }
        let whole = rest.count / 32 * 32
        stripes(UnsafeRawBufferPointer(rebasing: rest.prefix(whole)))
        partial.append(contentsOf: rest.dropFirst(whole))
    }

    private mutating func stripes(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var (a, b, c, d) = lanes
        var offset = 0
        while offset + 32 <= bytes.count {
            a = Self.round(a, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            b = Self.round(b, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
            c = Self.round(c, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
            d = Self.round(d, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
            offset += 32
        }
        lanes = (a, b, c, d)
    }

    /// The hash of everything added so far.
    package var value: UInt64 {
        var h = lanes.0 ^ (lanes.1 &* Self.prime3)
        h = (h << 17 | h >> 47) ^ (lanes.2 &* Self.prime1)
        h = (h << 23 | h >> 41) ^ (lanes.3 &* Self.prime2)
        for byte in partial { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        h ^= UInt64(count) &* Self.prime3
        h ^= h >> 33; h = h &* Self.prime2
        h ^= h >> 29; h = h &* Self.prime3
        h ^= h >> 32
        return h
    }
}
