import Foundation
import Production
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
        #expect(good.rights == MusicRights(composer: "A. Writer", album: "Demo Tapes", label: "Campus Records",
                                           isrc: "FRZ031400123", year: 2014))
        #expect(good.podcast == false)
        #expect(rundown?.items[1].rights.isrc == nil && rundown?.items[1].podcast == nil)
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

    /// What the rundown does not say is read from the file's own tags (TagLib): ID3v2 in an MP3
    /// (TSRC, TALB, TPUB, TCOM), Vorbis comments in a FLAC; the rundown wins where it speaks, and
    /// an ISRC tag that is not one is a warning at the item, not a value.
    @Test func theRightsTheRundownLacksComeFromTheFilesTags() throws {
        let show = try TestShow()
        let tone = (0..<44100).map { Float(0.2 * sin(Double($0) * 0.05)) }
        let wav = try show.writeAudio("audio/source.wav", samples: tone, sampleRate: 44100)
        let mp3 = show.directory.appendingPathComponent("audio/tagged.mp3")
        let flac = show.directory.appendingPathComponent("audio/tagged.flac")
        let wrong = show.directory.appendingPathComponent("audio/wrong.flac")
        try runChecked("lame", ["--quiet", wav.path, mp3.path])
        try runChecked("sox", [wav.path, flac.path])
        try runChecked("sox", [wav.path, wrong.path])
        try python("""
            import sys
            from mutagen.id3 import ID3, TSRC, TALB, TPUB, TCOM, TDRC
            from mutagen.flac import FLAC
            t = ID3()
            t.add(TSRC(encoding=3, text='FR-Z03-14-00777')); t.add(TALB(encoding=3, text='Tagged Album'))
            t.add(TPUB(encoding=3, text='Tag Records')); t.add(TCOM(encoding=3, text='T. Composer'))
            t.add(TDRC(encoding=3, text='2019'))
            t.save(sys.argv[1])
            f = FLAC(sys.argv[2]); f['ISRC'] = 'GBAYE0601498'; f['ALBUM'] = 'Vorbis Album'; f['LABEL'] = 'Vorbis Label'; f.save()
            w = FLAC(sys.argv[3]); w['ISRC'] = 'not-an-isrc'; w.save()
            """, [mp3.path, flac.path, wrong.path], interpreter: systemPython)
        let rundown = try show.writeRundown("""
            title: T
            air: 2026-12-03T18:00:00+01:00
            slot: 1:00
            items:
              - music: audio/tagged.mp3
                title: From ID3
                artist: A
              - music: audio/tagged.flac
                title: From Vorbis
                artist: B
                album: The Rundown's Album
              - music: audio/wrong.flac
                title: Wrong tag
                artist: C
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        let plan = try #require(workspace.plans.first, "\(workspace.diagnostics)")
        let items = plan.rundown.items
        #expect(items[0].rights == MusicRights(composer: "T. Composer", album: "Tagged Album", label: "Tag Records",
                                               isrc: "FRZ031400777", year: 2019))
        #expect(items[1].rights.isrc == "GBAYE0601498" && items[1].rights.label == "Vorbis Label")
        #expect(items[1].rights.album == "The Rundown's Album", "the rundown wins")
        #expect(items[2].rights.isrc == nil)
        let warning = try #require(workspace.diagnostics.first { $0.description.contains("not-an-isrc") })
        #expect(warning.severity == .warning)
        #expect(warning.description.contains("2026-12-03.yaml:12:"), "at the item's line: \(warning)")
        // The as-run log carries what the tags gave.
        let line = AsRunLog.line(for: AsRunEvent(.itemStarted, position: 0, item: 0), sequence: 1,
                                 catalog: AsRunCatalog(plan: plan), file: nil, message: nil, utcOffsetSeconds: 0)
        #expect(line.contains("\"isrc\":\"FRZ031400777\"") && line.contains("\"label\":\"Tag Records\""), "\(line)")
    }
}
