// Offline sink: writes interleaved stereo Float32 blocks to a WAV or FLAC file with libsndfile.
// For offline renders and test fixtures; file I/O, so never on the live render thread.
import CSndFile

/// Container and sample encoding of a written file.
package enum AudioFileEncoding: Sendable, Equatable {
    /// WAV, 32-bit float: bit-exact copy of the rendered samples.
    case wavFloat
    /// WAV, 16-bit PCM (clipped, rounded).
    case wav16
    /// FLAC, 16-bit (clipped, rounded).
    case flac16
    /// FLAC, 24-bit (clipped, rounded).
    case flac24

    var sndFileFormat: Int32 {
        switch self {
        case .wavFloat: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .wav16: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .flac16: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .flac24: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        }
    }
}

/// Writes interleaved stereo Float32 frames (±1.0) to an audio file.
///
/// Threading: one thread at a time (the offline render loop or a test).
package final class AudioFileWriter: @unchecked Sendable {
    /// Path being written.
    package let path: String
    /// Frames per second.
    package let sampleRate: Int
    /// Encoding on disk.
    package let encoding: AudioFileEncoding
    /// Frames written so far.
    package private(set) var framesWritten: Int64 = 0
    private var file: OpaquePointer?

    /// Creates (or truncates) `path`.
    package init(path: String, sampleRate: Int, encoding: AudioFileEncoding = .wavFloat) throws(AudioFileError) {
        self.path = path
        self.sampleRate = sampleRate
        self.encoding = encoding
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 2
        info.format = encoding.sndFileFormat
        guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .unwritable(path, String(cString: sf_strerror(nil)))
        }
        // Integer encodings clip out-of-range floats instead of wrapping around.
        sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        self.file = file
    }

    deinit {
        close()
    }

    /// Appends `frames` interleaved stereo frames.
    package func write(interleaved samples: UnsafePointer<Float>, frames: Int) throws(AudioFileError) {
        guard let file else { throw .unwritable(path, "the file is closed") }
        let written = sf_writef_float(file, samples, sf_count_t(frames))
        if written != frames { throw .unwritable(path, String(cString: sf_strerror(file))) }
        framesWritten += Int64(written)
    }

    /// Finishes the header and closes the file (idempotent).
    package func close() {
        if let file { sf_close(file) }
        file = nil
    }
}
