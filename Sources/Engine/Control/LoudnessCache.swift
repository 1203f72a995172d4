import AudioIO
import Foundation

/// What was measured of a whole file.
public struct SourceLoudness: Codable, Sendable, Equatable {
    /// Integrated loudness (libebur128), LUFS (−∞ for silence is stored as −70, the absolute gate).
    public var integrated: Double
    /// True peak (`TruePeakMeter`, within 0.1 dB of libebur128's), dBTP; nil until measured (a
    /// source the render waits for gets its integrated loudness first).
    public var truePeak: Double?
}

/// Loudness measurements kept next to the show (`shows/<show>/.loudness-cache.json`), keyed by
/// the file's content hash, so each file is measured once however often it airs or is renamed.
///
/// Threading: one thread at a time (the analysis thread); `save` writes atomically.
public final class LoudnessCache: @unchecked Sendable {
    /// The cache file.
    public let url: URL
    private var entries: [String: Entry]
    private var keys: [String: String] = [:]   // path → content key, for this run
    private var dirty = false

    struct Entry: Codable {
        var integrated: Double
        var truePeak: Double?
        /// The file it was measured from, for people reading the cache.
        var file: String
    }

    /// Opens (or starts) the cache at `url`; an unreadable cache is started afresh.
    public init(url: URL) {
        self.url = url
        if let data = try? Data(contentsOf: url), let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        } else {
            entries = [:]
        }
    }

    /// The cache of a show folder.
    public convenience init(showDirectory: String) {
        self.init(url: URL(fileURLWithPath: showDirectory).appendingPathComponent(".loudness-cache.json"))
    }

    /// The file's integrated loudness (and its true peak when already known), measuring the file
    /// now unless the cache holds it: the integrated loudness with libebur128 and the true peak
    /// with `TruePeakMeter` in one decoding pass, or with `truePeak: false` the integrated
    /// loudness alone (for a source a render is waiting for; `measureTruePeak` completes the
    /// entry later).
    public func loudness(of path: String, truePeak: Bool = false) throws -> SourceLoudness {
        let key = try Self.contentKey(of: path)
        if let entry = entries[key] { return SourceLoudness(integrated: entry.integrated, truePeak: entry.truePeak) }
        let measured = truePeak ? try LoudnessMeter.measureFile(path: path, truePeakMethod: .interpolated)
            : try LoudnessMeter.measureFile(path: path, truePeak: false)
        let integrated = measured.integrated.isFinite ? max(-70, measured.integrated) : -70
        let peak: Double? = truePeak ? (measured.truePeak.isFinite ? measured.truePeak : -70) : nil
        entries[key] = Entry(integrated: integrated, truePeak: peak, file: (path as NSString).lastPathComponent)
        keys[path] = key
        dirty = true
        return SourceLoudness(integrated: integrated, truePeak: peak)
    }

    /// Measures the true peak of a file whose integrated loudness is cached but whose peak is not
    /// (a decoding pass through `TruePeakMeter`, run after the render has what it needs); does
    /// nothing when the peak is known.
    public func measureTruePeak(of path: String) throws {
        let key = try keys[path] ?? Self.contentKey(of: path)
        guard var entry = entries[key], entry.truePeak == nil else { return }
        let peak = try LoudnessMeter.interpolatedTruePeak(path: path)
        entry.truePeak = peak.isFinite ? peak : -70
        entries[key] = entry
        dirty = true
    }

    /// Writes the cache if anything was measured (temporary file, then rename). A cache that
    /// cannot be written is not an error: the next render measures again.
    public func save() {
        guard dirty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(entries) else { return }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            _ = rename(temporary.path, url.path)
            dirty = false
        } catch {
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// `fnv1a64-<hex>-<size>`: a 64-bit FNV-1a hash of the bytes and the length. Not
    /// cryptographic; it only has to tell two audio files apart.
    public static func contentKey(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AudioFileError.notFound(path) }
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var size = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            size += chunk.count
            chunk.withUnsafeBytes { raw in
                for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            }
        }
        return "fnv1a64-" + String(hash, radix: 16) + "-\(size)"
    }
}
