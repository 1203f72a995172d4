// Show / rundown → podcast channel and episode: shared by `regie publish` and the live finisher.
import Foundation
import Podcast
import RegieModel

/// How a show and an episode rundown become a podcast channel and episode.
public enum PodcastMapping {
    /// The channel of `show`; `baseURL` overrides the show's `base_url` (a staging server).
    public static func channel(for show: Show, baseURL: String? = nil) -> PodcastChannel {
        PodcastChannel(title: show.title, description: show.description, author: show.author,
                       language: show.language, category: show.category, explicit: show.explicit,
                       artwork: URL(fileURLWithPath: show.artwork), link: show.link,
                       baseURL: baseURL ?? show.baseURL, ownerName: show.owner.name, ownerEmail: show.owner.email)
    }

    /// The episode of `plan` published from `mp3` (`duration` seconds) with `chapters`.
    public static func episode(for plan: Plan, mp3: URL, duration: Double, chapters: [PodcastChapter]) -> PodcastEpisode {
        let rundown = plan.rundown
        return PodcastEpisode(number: rundown.episode, title: rundown.title, description: .plain(rundown.description),
                              pubDate: Date(timeIntervalSince1970: TimeInterval(rundown.air.epochSeconds)),
                              mp3: mp3, duration: duration, chapters: chapters)
    }

    /// Podcast chapter marks (start times) from recorder chapters.
    public static func podcastChapters(_ chapters: [Chapter]) -> [PodcastChapter] {
        chapters.map { PodcastChapter(startTime: Double($0.startMs) / 1000, title: $0.title) }
    }

    /// The plan's own chapters (what was planned to air), when nothing better is known.
    public static func plannedChapters(_ plan: Plan) -> [PodcastChapter] {
        plan.airing.filter { $0.item.kind.isChapter }.map {
            PodcastChapter(startTime: FrameMath.seconds($0.start, sampleRate: plan.sampleRate), title: $0.item.displayTitle)
        }
    }

    /// The chapters of an episode: those in `<mp3 name>.chapters.json` beside it (what actually
    /// aired or rendered), else the plan's.
    public static func chapters(for mp3: URL, plan: Plan) -> [PodcastChapter] {
        let file = mp3.deletingPathExtension().appendingPathExtension("chapters.json")
        struct File: Decodable { struct Chapter: Decodable { var startTime: Double; var title: String }; var chapters: [Chapter] }
        if let data = try? Data(contentsOf: file), let decoded = try? JSONDecoder().decode(File.self, from: data) {
            return decoded.chapters.map { PodcastChapter(startTime: $0.startTime, title: $0.title) }
        }
        return plannedChapters(plan)
    }
}
