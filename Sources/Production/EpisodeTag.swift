// What an episode says about itself: its ID3 tag (title, show, episode number, date, artwork,
// chapters, length) and its chapters, from the plan or from what aired.
import Foundation
import MP3
import Podcast
import RegieModel
import Support

/// The tag and chapters of an episode.
package enum EpisodeTag {
    /// The chapters of a plan: one per segment, music and live item that airs, from its start to
    /// the start of the next chapter (or the end).
    package static func plannedChapters(_ plan: Plan) -> [Chapter] {
        let airing = plan.airing.filter { $0.item.kind.isChapter }
        return airing.enumerated().map { index, entry in
            let end = index + 1 < airing.count ? airing[index + 1].start : plan.total
            return Chapter(title: entry.item.displayTitle, startFrame: entry.start, endFrame: end, sampleRate: plan.sampleRate)
        }
    }

    /// The ID3 tag of an episode as planned: its chapters and length are the plan's.
    package static func of(_ plan: Plan) -> ID3v2Tag {
        let rundown = plan.rundown
        var tag = ID3v2Tag()
        tag.title = rundown.title
        tag.album = rundown.show.title
        tag.artist = rundown.show.author
        tag.track = rundown.episode
        let date = rundown.air.localDate
        tag.date = (date.year, date.month, date.day)
        tag.comment = rundown.description
        if let artwork = rundown.show.artwork, let data = FileManager.default.contents(atPath: artwork) {
            tag.cover = ID3v2Tag.Picture(imageData: [UInt8](data), description: "Cover")
        }
        tag.chapters = plannedChapters(plan)
        tag.lengthMs = Chapter.milliseconds(frames: plan.total, sampleRate: plan.sampleRate)
        return tag
    }

    /// `<name>.chapters.json` beside an MP3.
    package static func chaptersURL(beside mp3: URL) -> URL {
        mp3.deletingPathExtension().appendingPathExtension("chapters.json")
    }

    /// Writes `chapters` (start and end times) as the Podcasting 2.0 chapters file beside `mp3`,
    /// atomically; returns its URL.
    @discardableResult
    package static func writeChapters(_ chapters: [Chapter], beside mp3: URL) throws -> URL {
        let url = chaptersURL(beside: mp3)
        try AtomicFile.write(ChaptersJSON.encode(PodcastMapping.podcastChapters(chapters)), to: url.path)
        return url
    }
}
