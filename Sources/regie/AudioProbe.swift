import CSndFile
import Foundation
import RegieModel

/// Opens audio files with libsndfile to learn their length and format, before anything airs.
enum AudioProbe {
    /// Why a file cannot be played.
    enum Failure: Error, Equatable {
        case notFound
        case undecodable(String)
        case empty
    }

    /// The file's facts, or why it cannot be played.
    static func probe(_ path: String) -> Result<AudioSourceInfo, Failure> {
        guard FileManager.default.fileExists(atPath: path) else { return .failure(.notFound) }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            return .failure(.undecodable(String(cString: sf_strerror(nil))))
        }
        defer { sf_close(file) }
        var format = SF_FORMAT_INFO()
        format.format = info.format & Int32(SF_FORMAT_TYPEMASK)
        sf_command(file, Int32(SFC_GET_FORMAT_INFO), &format, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
        let name = format.name.map { String(cString: $0) } ?? "audio"
        guard info.frames > 0 else { return .failure(.empty) }
        return .success(AudioSourceInfo(frames: info.frames, sampleRate: Int(info.samplerate),
                                        channels: Int(info.channels), format: name))
    }
}
