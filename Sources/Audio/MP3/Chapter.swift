/// A chapter of an episode: a titled span of audio, in milliseconds from the start.
package struct Chapter: Sendable, Equatable {
    /// Chapter title, shown by podcast apps.
    package var title: String
    /// Start, in milliseconds from the first audio sample.
    package var startMs: Int
    /// End (exclusive), in milliseconds from the first audio sample.
    package var endMs: Int
    /// Optional link shown with the chapter (Podcasting 2.0 `url`).
    package var url: String?

    /// A chapter from millisecond times.
    package init(title: String, startMs: Int, endMs: Int, url: String? = nil) {
        self.title = title
        self.startMs = startMs
        self.endMs = endMs
        self.url = url
    }

    /// A chapter from sample-frame positions at `sampleRate`, rounded to the nearest millisecond.
    package init(title: String, startFrame: Int64, endFrame: Int64, sampleRate: Int, url: String? = nil) {
        self.init(title: title,
                  startMs: Chapter.milliseconds(frames: startFrame, sampleRate: sampleRate),
                  endMs: Chapter.milliseconds(frames: endFrame, sampleRate: sampleRate),
                  url: url)
    }

    /// `frames` at `sampleRate` in whole milliseconds, rounded half up.
    package static func milliseconds(frames: Int64, sampleRate: Int) -> Int {
        Int((frames * 1000 + Int64(sampleRate) / 2) / Int64(sampleRate))
    }
}
