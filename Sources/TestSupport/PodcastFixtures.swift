// Podcast fixtures shared by PodcastTests and ServerTests.
import Foundation
import Podcast

/// Real media made at test time with sox, LAME and ffmpeg.
package enum Media {
    /// A real MP3 (sine tone, 128 kb/s CBR, ID3v2 tag) of `seconds` at `url`.
    package static func mp3(_ url: URL, seconds: Double = 3, frequency: Int = 440, title: String = "Test tone") throws {
        let wav = url.deletingPathExtension().appendingPathExtension("wav")
        try runChecked("sox", ["-n", "-r", "44100", "-c", "2", "-b", "16", wav.path,
                        "synth", String(seconds), "sine", String(frequency), "gain", "-6"])
        try runChecked("lame", ["--quiet", "-b", "128", "--add-id3v2", "--tt", title, "--ta", "Régie tests",
                        wav.path, url.path])
        try FileManager.default.removeItem(at: wav)
    }

    /// A square PNG of one colour (Apple wants 1400–3000 px artwork).
    package static func png(_ url: URL, size: Int = 1400, color: String = "teal") throws {
        try runChecked("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=\(color):s=\(size)x\(size)",
                        "-frames:v", "1", url.path])
    }
}

/// A channel for tests, served from `baseURL`.
package func testChannel(baseURL: String, artwork: URL, title: String = "Campus Magazine",
                 description: String = "The monthly magazine of the campus station.") -> PodcastChannel {
    PodcastChannel(title: title, description: description, author: "Campus Radio", language: "en",
                   category: "Society & Culture/Documentary", explicit: false, artwork: artwork,
                   link: "https://radio.example.org/campus-magazine", baseURL: baseURL,
                   ownerName: "Jo Producer", ownerEmail: "jo@example.org", copyright: "© 2026 Campus Radio")
}

/// An episode for tests.
package func testEpisode(_ number: Int, title: String, mp3: URL, description: PodcastText = .plain("Interviews and music."),
                 day: Int = 0, chapters: [PodcastChapter]? = nil) -> PodcastEpisode {
    PodcastEpisode(
        number: number, title: title, description: description,
        pubDate: Date(timeIntervalSince1970: 1_796_317_200 + Double(day) * 86400),  // 2026-12-03 17:00 UTC + day
        mp3: mp3, duration: 3,
        chapters: chapters ?? [PodcastChapter(startTime: 0, title: "Opening"),
                               PodcastChapter(startTime: 1.5, title: "Interview with the dean")])
}
