// Show / rundown → podcast channel and episode: shared by `regie publish` and the live finisher.
import Foundation
import MP3
import Podcast
import RegieModel

/// What the podcast needs that the show or the rundown does not say, each at its file.
package struct MissingPodcastMetadata: Error, CustomStringConvertible {
    /// One located error per file.
    package var diagnostics: [Diagnostic]
    package var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// How a show and an episode rundown become a podcast channel and episode.
package enum PodcastMapping {
    /// The channel of `show`; `baseURL` overrides the show's `base_url` (a staging server).
    /// - Throws: `MissingPodcastMetadata` naming every podcast key `show.yaml` lacks.
    package static func channel(for show: Show, baseURL: String? = nil) throws -> PodcastChannel {
        var missing = show.missingPodcastKeys
        if baseURL != nil { missing.removeAll { $0 == "base_url" } }
        guard missing.isEmpty, let description = show.description, let author = show.author, let language = show.language,
              let category = show.category, let explicit = show.explicit, let artwork = show.artwork,
              let link = show.link, let base = baseURL ?? show.baseURL, let owner = show.owner else {
            throw MissingPodcastMetadata(diagnostics: [Diagnostic(
                .error, at: SourceLocation(file: show.file, line: 1, column: 1),
                "publishing needs \(missing.map { "'\($0)'" }.joined(separator: ", ")) in the show (see docs/rundown-format.md)")])
        }
        return PodcastChannel(title: show.title, description: description, author: author, language: language,
                              category: category, explicit: explicit, artwork: URL(fileURLWithPath: artwork), link: link,
                              baseURL: base, ownerName: owner.name, ownerEmail: owner.email)
    }

    /// The episode of `plan` published from `mp3` (`duration` seconds) with `chapters`.
    /// - Throws: `MissingPodcastMetadata` when the rundown has no `description`.
    package static func episode(for plan: Plan, mp3: URL, duration: Double, chapters: [PodcastChapter]) throws -> PodcastEpisode {
        let rundown = plan.rundown
        guard let number = rundown.episode, let description = rundown.description else {
            let missing = [rundown.episode == nil ? "'episode'" : nil, rundown.description == nil ? "'description'" : nil]
            throw MissingPodcastMetadata(diagnostics: [Diagnostic(
                .error, at: SourceLocation(file: rundown.file, line: 1, column: 1),
                "publishing needs the episode's \(missing.compactMap { $0 }.joined(separator: " and ")) in the rundown")])
        }
        return PodcastEpisode(number: number, title: rundown.title, description: .plain(description),
                              pubDate: Date(timeIntervalSince1970: TimeInterval(rundown.air.epochSeconds)),
                              mp3: mp3, duration: duration, chapters: chapters)
    }

    /// The channel and episode together, every missing key of both files in one error.
    package static func channelAndEpisode(for plan: Plan, mp3: URL, duration: Double, chapters: [PodcastChapter],
                                          baseURL: String? = nil) throws -> (PodcastChannel, PodcastEpisode) {
        var problems: [Diagnostic] = []
        var channel: PodcastChannel?, episode: PodcastEpisode?
        do { channel = try self.channel(for: plan.rundown.show, baseURL: baseURL) } catch let error as MissingPodcastMetadata {
            problems += error.diagnostics
        }
        do { episode = try self.episode(for: plan, mp3: mp3, duration: duration, chapters: chapters) } catch let error as MissingPodcastMetadata {
            problems += error.diagnostics
        }
        guard let channel, let episode else { throw MissingPodcastMetadata(diagnostics: problems) }
        return (channel, episode)
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
