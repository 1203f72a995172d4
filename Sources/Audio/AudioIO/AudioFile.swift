// Audio file probing and decoding through libsndfile (WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF, …).
// Runs on control and prefetch threads, never on the render thread.
import CSndFile
import Foundation

/// What a file holds, as libsndfile reports it.
package struct AudioFileInfo: Sendable, Equatable {
    /// Length in frames (samples per channel).
    package var frames: Int64
    /// Frames per second.
    package var sampleRate: Int
    /// Channels in the file (decoding always yields stereo).
    package var channels: Int
    /// Container and encoding, e.g. "WAV (Microsoft), Signed 16 bit PCM".
    package var formatDescription: String
    /// An MPEG audio file (what a podcast enclosure must be).
    package var isMPEG: Bool

    /// Creates an info value.
    package init(frames: Int64, sampleRate: Int, channels: Int, formatDescription: String, isMPEG: Bool = false) {
        self.frames = frames
        self.sampleRate = sampleRate
        self.channels = channels
        self.formatDescription = formatDescription
        self.isMPEG = isMPEG
    }

    /// Length in seconds.
    package var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }
}

/// Why a file cannot be used.
package enum AudioFileError: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at the path.
    case notFound(String)
    /// The file exists but libsndfile cannot decode it; the reason is libsndfile's message.
    case unreadable(String, String)
    /// The file decodes but holds no audio frames.
    case empty(String)
    /// The file cannot be created or written; the reason is libsndfile's message.
    case unwritable(String, String)

    /// One sentence for the producer.
    package var description: String {
        switch self {
        case .notFound(let path): "Audio file not found: \(path)."
        case .unreadable(let path, let reason): "Audio file \(path) cannot be read: \(reason)."
        case .empty(let path): "Audio file \(path) contains no audio."
        case .unwritable(let path, let reason): "Audio file \(path) cannot be written: \(reason)."
        }
    }
}

/// File-level helpers.
package enum AudioFile {
    /// Reads the header of the file at `path`.
    package static func probe(path: String) throws(AudioFileError) -> AudioFileInfo {
        let decoder = try SndFileDecoder(path: path)
        return decoder.info
    }
}

/// Opens `path` read-only with libsndfile, mapping failures to `AudioFileError`.
func openSndFile(path: String) throws(AudioFileError) -> (OpaquePointer, SF_INFO) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path) }
    if isDirectory.boolValue { throw .unreadable(path, "it is a directory") }
    // A zero-byte file has no header to complain about: it is simply empty.
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue == 0 {
        throw .empty(path)
    }
    var info = SF_INFO()
    guard let file = sf_open(path, Int32(SFM_READ), &info) else {
        let reason = String(cString: sf_strerror(nil))
        throw .unreadable(path, reason)
    }
    return (file, info)
}

/// Human-readable name of a libsndfile format code (major type, then encoding).
func sndFileFormatName(_ format: Int32) -> String {
    func name(_ code: Int32) -> String? {
        var fi = SF_FORMAT_INFO()
        fi.format = code
        guard sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &fi, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
              let n = fi.name else { return nil }
        return String(cString: n)
    }
    let major = name(format & Int32(SF_FORMAT_TYPEMASK)) ?? "unknown container"
    let minor = name(format & Int32(SF_FORMAT_SUBMASK))
    return minor.map { "\(major), \($0)" } ?? major
}

/// Streaming decoder giving interleaved stereo: mono is duplicated to both channels, files with
/// more than two channels yield their first two.
///
/// Threading: use from one thread at a time (a prefetch thread); it may be handed between threads.
/// Allocates only in `init`.
package final class SndFileDecoder: @unchecked Sendable {
    /// The file's header.
    package let info: AudioFileInfo
    /// Path it was opened from.
    package let path: String
    private let file: OpaquePointer
    private let chunkFrames = 4096
    private let scratch: UnsafeMutableRawPointer  // chunkFrames × channels × 4 bytes (float or short)
    /// Frame position of the next read.
    package private(set) var position: Int64 = 0

    /// Opens `path` for decoding; throws `.notFound`, `.unreadable` or `.empty`.
    package init(path: String) throws(AudioFileError) {
        let (file, sfInfo) = try openSndFile(path: path)
        guard sfInfo.frames > 0 else {
            sf_close(file)
            throw .empty(path)
        }
        // A damaged or truncated file can report a length it cannot have (a cut-off Ogg Vorbis
        // file reports INT64_MAX frames): never trusted past 1000 hours, the longest duration a
        // rundown may hold.
        guard sfInfo.samplerate > 0, Int64(sfInfo.frames) / Int64(sfInfo.samplerate) <= 1000 * 3600 else {
            sf_close(file)
            throw .unreadable(path, "its length is unknown (the decoder reports \(sfInfo.frames) frames): the file is truncated or damaged")
        }
        self.file = file
        self.path = path
        info = AudioFileInfo(frames: Int64(sfInfo.frames), sampleRate: Int(sfInfo.samplerate),
                             channels: Int(sfInfo.channels), formatDescription: sndFileFormatName(sfInfo.format),
                             isMPEG: sfInfo.format & Int32(SF_FORMAT_TYPEMASK) == Int32(SF_FORMAT_MPEG))
        scratch = .allocate(byteCount: chunkFrames * max(1, info.channels) * 4, alignment: 16)
    }

    deinit {
        sf_close(file)
        scratch.deallocate()
    }

    /// Moves to `frame` (0-based, clamped to the file length); throws `.unreadable` if the format
    /// cannot seek.
    package func seek(toFrame frame: Int64) throws(AudioFileError) {
        let target = max(0, min(frame, info.frames))
        let result = sf_seek(file, sf_count_t(target), SEEK_SET)
        if result < 0 {
            throw .unreadable(path, "seek to frame \(target) failed: \(String(cString: sf_strerror(file)))")
        }
        position = Int64(result)
    }

    /// Decodes up to `frames` stereo frames as Float32 (±1.0 full scale) into `destination`
    /// (room for `frames * 2` floats); returns frames read, 0 at the end of the file.
    package func read(into destination: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        if info.channels == 2 {
            let n = Int(sf_readf_float(file, destination, sf_count_t(frames)))
            position += Int64(max(0, n))
            return max(0, n)
        }
        let src = scratch.assumingMemoryBound(to: Float.self)
        return readConverted(frames: frames) { offset, count in
            let n = Int(sf_readf_float(file, src, sf_count_t(count)))
            spread(src, n, into: destination + offset * 2)
            return n
        }
    }

    /// Decodes up to `frames` stereo frames as Int16 (for bit-exact 16-bit material) into
    /// `destination` (room for `frames * 2`); returns frames read, 0 at the end of the file.
    package func readShorts(into destination: UnsafeMutablePointer<Int16>, frames: Int) -> Int {
        if info.channels == 2 {
            let n = Int(sf_readf_short(file, destination, sf_count_t(frames)))
            position += Int64(max(0, n))
            return max(0, n)
        }
        let src = scratch.assumingMemoryBound(to: Int16.self)
        return readConverted(frames: frames) { offset, count in
            let n = Int(sf_readf_short(file, src, sf_count_t(count)))
            spread(src, n, into: destination + offset * 2)
            return n
        }
    }

    private func readConverted(frames: Int, _ chunk: (Int, Int) -> Int) -> Int {
        var done = 0
        while done < frames {
            let n = chunk(done, min(chunkFrames, frames - done))
            if n <= 0 { break }
            done += n
        }
        position += Int64(done)
        return done
    }

    private func spread<S>(_ source: UnsafeMutablePointer<S>, _ frames: Int, into destination: UnsafeMutablePointer<S>) {
        let channels = info.channels
        for f in 0..<frames {
            let l = source[f * channels]
            destination[2 * f] = l
            destination[2 * f + 1] = channels == 1 ? l : source[f * channels + 1]
        }
    }
}
