import AudioIO
import RegieModel

/// The planner's view of a file, read with libsndfile.
enum AudioFileProbe {
    static func info(_ path: String) throws -> AudioSourceInfo {
        let info = try AudioFile.probe(path: path)
        return AudioSourceInfo(frames: info.frames, sampleRate: info.sampleRate, channels: info.channels,
                               format: info.formatDescription)
    }
}
