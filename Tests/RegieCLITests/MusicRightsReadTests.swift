import Foundation
import RegieModel
import RegieYAML
import Testing
import TestSupport

/// A music item's rights metadata as the reader keeps it (issue 16's first part): every key
/// read, the ISRC stored as its 12 characters, the show's default for the podcast.
@Suite struct MusicRightsReadTests {
    @Test func theRightsKeysAreKept() throws {
        let path = TestSupport.repositoryRoot
            .appendingPathComponent("Tests/RegieCLITests/Corpus/radio/shows/demo/music-rights.yaml").path
        let (rundown, _) = RundownReader.read(path: path, keepingErrors: true)
        let good = try #require(rundown?.items.first)
        #expect(good.composer == "A. Writer" && good.album == "Demo Tapes" && good.label == "Campus Records")
        #expect(good.isrc == "FRZ031400123" && good.year == 2014 && good.podcast == false)
        #expect(rundown?.items[1].isrc == nil && rundown?.items[1].podcast == nil)
        #expect(rundown?.show.podcastMusic == true)
    }

    @Test func aShowWhoseMusicIsNotClearedForPodcasting() throws {
        let show = try TestShow(extra: "podcast_music: false")
        let rundown = try show.writeRundown("""
            title: T
            air: 2026-12-03T18:00:00+01:00
            slot: 1:00
            items:
              - live: Desk
                planned: 1:00
            """)
        let (read, diagnostics) = RundownReader.read(path: rundown.path)
        #expect(read?.show.podcastMusic == false, "\(diagnostics)")
    }
}
