import AudioIO
import Engine
import RegieModel

/// The planner's view of a file, read with libsndfile.
enum AudioFileProbe {
    static func info(_ path: String) throws -> AudioSourceInfo { AudioSourceInfo(try AudioFile.probe(path: path)) }
}
