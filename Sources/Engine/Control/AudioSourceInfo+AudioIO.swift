import AudioIO
import RegieModel

extension AudioSourceInfo {
    /// The planner's view of a file libsndfile opened.
    package init(_ info: AudioFileInfo) {
        self.init(frames: info.frames, sampleRate: info.sampleRate, channels: info.channels, format: info.formatDescription)
    }
}
