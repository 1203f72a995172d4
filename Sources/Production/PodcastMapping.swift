// Show / rundown → podcast channel and episode: shared by `regie publish` and the live finisher.
import Foundation
import MP3
import Podcast
import RegieModel

/// How a show and an episode rundown become a podcast channel and episode.
package enum PodcastMapping {
    /// The channel of `show`; `baseURL` overrides the show's `base_url` (a staging server).
    package static func channel(for show: Show, baseURL: String? = nil) -> PodcastChannel {
        PodcastChannel(title: show.title, description: show.description, author: show.author,
                       language: show.language, category: show.category, explicit: show.explicit,
                       artwork: URL(fileURLWithPath: show.artwork), link: show.link,
                       baseURL: baseURL ?? show.baseURL, ownerName: show.owner.name, ownerEmail: show.owner.email)
    }

    /// The episode of `plan` published from `mp3` (`duration` seconds) with `chapters`.
    package static func episode(for plan: Plan, mp3: URL, duration: Double, chapters: [PodcastChapter]) -> PodcastEpisode {
        let rundown = plan.rundown
        return PodcastEpisode(number: rundown.episode, title: rundown.title, description: .plain(rundown.description),
                              pubDate: Date(timeIntervalSince1970: TimeInterval(rundown.air.epochSeconds)),
                              mp3: mp3, duration: duration, chapters: chapters)
    }

    /// Podcast chapters (start and end times, link) from an episode's chapters.
    package static func podcastChapters(_ chapters: [Chapter]) -> [PodcastChapter] {
        chapters.map {
            PodcastChapter(startTime: Double($0.startMs) / 1000, endTime: Double($0.endMs) / 1000, title: $0.title, url: $0.url)
        }
    }

    /// The chapters of an episode: those in `<mp3 name>.chapters.json` beside it (what actually
    /// aired or rendered, end times included), else the plan's.
    package static func chapters(for mp3: URL, plan: Plan) -> [PodcastChapter] {
        if let data = try? Data(contentsOf: EpisodeTag.chaptersURL(beside: mp3)), let chapters = ChaptersJSON.decode(data) {
            return chapters
        }
        return podcastChapters(EpisodeTag.plannedChapters(plan))
    }
}
