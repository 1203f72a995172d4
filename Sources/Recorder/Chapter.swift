import Foundation

/// A chapter of an episode: a titled span of audio, in milliseconds from the start.
public struct Chapter: Sendable, Equatable {
    /// Chapter title, shown by podcast apps.
    public var title: String
    /// Start, in milliseconds from the first audio sample.
    public var startMs: Int
    /// End (exclusive), in milliseconds from the first audio sample.
    public var endMs: Int
    /// Optional link shown with the chapter (Podcasting 2.0 `url`).
    public var url: String?

    /// A chapter from millisecond times.
    public init(title: String, startMs: Int, endMs: Int, url: String? = nil) {
        self.title = title
        self.startMs = startMs
        self.endMs = endMs
        self.url = url
    }

    /// A chapter from sample-frame positions at `sampleRate`, rounded to the nearest millisecond.
    public init(title: String, startFrame: Int64, endFrame: Int64, sampleRate: Int, url: String? = nil) {
        self.init(title: title,
                  startMs: Chapter.milliseconds(frames: startFrame, sampleRate: sampleRate),
                  endMs: Chapter.milliseconds(frames: endFrame, sampleRate: sampleRate),
                  url: url)
    }

    /// `frames` at `sampleRate` in whole milliseconds, rounded half up.
    public static func milliseconds(frames: Int64, sampleRate: Int) -> Int {
        Int((frames * 1000 + Int64(sampleRate) / 2) / Int64(sampleRate))
    }
}

/// Podcasting 2.0 JSON chapters (`application/json+chapters`, version 1.2.0).
public enum ChaptersJSON {
    private struct File: Encodable {
        let version = "1.2.0"
        let chapters: [Entry]
    }

    private struct Entry: Encodable {
        let startTime: Double
        let endTime: Double?
        let title: String
        let url: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(startTime, forKey: .startTime)
            try c.encodeIfPresent(endTime, forKey: .endTime)
            try c.encode(title, forKey: .title)
            try c.encodeIfPresent(url, forKey: .url)
        }

        enum CodingKeys: String, CodingKey { case startTime, endTime, title, url }
    }

    /// The chapters file as UTF-8 JSON; times are numbers of seconds (millisecond precision).
    public static func data(for chapters: [Chapter], includeEndTimes: Bool = true) throws -> Data {
        let entries = chapters.map {
            Entry(startTime: Double($0.startMs) / 1000,
                  endTime: includeEndTimes ? Double($0.endMs) / 1000 : nil,
                  title: $0.title, url: $0.url)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(File(chapters: entries))
    }

    /// Writes the chapters file atomically (temporary file in the same folder, then rename).
    public static func write(_ chapters: [Chapter], to url: URL, includeEndTimes: Bool = true) throws {
        try data(for: chapters, includeEndTimes: includeEndTimes).write(to: url, options: .atomic)
    }
}
