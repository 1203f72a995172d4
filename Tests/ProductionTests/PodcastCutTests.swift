import Foundation
import MP3
@testable import Production
import RegieModel
import Testing
import TestSupport

/// The podcast cut on frames it can name: a source whose every sample is its own frame number,
/// read through the cut, says exactly where each output frame came from.
@Suite struct PodcastCutTests {
    /// A source of `frames` frames whose samples (both channels) are their frame numbers.
    final class Ramp: @unchecked Sendable {
        var position = 0
        let frames: Int
        init(frames: Int) { self.frames = frames }
        func read(_ buffer: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
            let n = min(count, frames - position)
            for i in 0..<n { buffer[2 * i] = Float(position + i); buffer[2 * i + 1] = Float(position + i) }
            position += n
            return n
        }
    }

    /// All of the output, read in uneven chunks (a chunk boundary must never show).
    static func output(_ cut: PodcastCut, sting: [Float] = [], frames: Int) -> [Float] {
        let ramp = Ramp(frames: frames)
        let reader = PodcastCutReader(cut: cut, sting: sting) { ramp.read($0, $1) }
        var out: [Float] = []
        var chunk = 7
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 1000)
        defer { buffer.deallocate() }
        while true {
            let n = reader.read(into: buffer, frames: chunk)
            if n == 0 { break }
            out += (0..<n).map { buffer[2 * $0] }
            chunk = chunk % 997 + 13
        }
        return out
    }

    @Test func aCrossfadeCentredOnTheCutTakesOutExactlyTheTrack() {
        let cut = PodcastCut(spans: [.init(range: 1000..<3000, title: "Song — Band")], recordingFrames: 10_000, crossfadeFrames: 100)
        #expect(cut.outputFrames == 8000)
        #expect(cut.removedFrames == 2000)
        let out = Self.output(cut, frames: 10_000)
        #expect(out.count == 8000)
        // Before the join: the recording as it is; after: the recording 2000 frames on.
        #expect((0..<950).allSatisfy { out[$0] == Float($0) })
        #expect((1050..<8000).allSatisfy { out[$0] == Float($0 + 2000) })
        // In the join: recording 950…1049 fading out under 2950…3049 fading in (equal power).
        for i in 0..<100 {
            let t = (Double(i) + 0.5) / 100 * Double.pi / 2
            let expected = Double(950 + i) * cos(t) + Double(2950 + i) * sin(t)
            #expect(abs(Double(out[950 + i]) - expected) < 0.01 * expected, "frame \(950 + i)")
        }
        // Nothing of the track's middle: only its first and last 50 frames, faded.
        #expect(out.indices.filter { !(950..<1050).contains($0) }.allSatisfy { out[$0] < 1000 || out[$0] >= 3000 })
    }

    @Test func aStingReplacesEachTrackAndTheLengthCountsIt() {
        let sting = (0..<500).flatMap { [Float(-1 - $0), Float(-1 - $0)] }   // negative: told from the ramp
        let cut = PodcastCut(spans: [.init(range: 1000..<3000, title: "A"), .init(range: 6000..<7000, title: "B")],
                             recordingFrames: 10_000, crossfadeFrames: 100, stingFrames: 500)
        // Each join takes the track and the crossfade's length, and gives the sting whole.
        let expected: Int64 = 10_000 - 3000 - 2 * 100 + 2 * 500
        #expect(cut.outputFrames == expected)
        let out = Self.output(cut, sting: sting, frames: 10_000)
        #expect(out.count == 7800)
        // The sting's middle plays as it is, right after the first join.
        #expect(out[950 + 100] == -101)
        #expect(out[950 + 399] == -400)
        // Then the recording again, from 50 frames after the track.
        #expect(out[1450] == 3050)
        #expect(out[7799] == 9999)
        let secondJoin: Int64 = 950 + 500 + (5950 - 3050)
        #expect(cut.joins().map(\.start) == [950, secondJoin])
    }

    @Test func tracksAtTheEdgesFadeFromOrToSilenceAndCloseOnesAreOneCut() {
        let atStart = PodcastCut(spans: [.init(range: 20..<2000, title: "A")], recordingFrames: 10_000, crossfadeFrames: 100)
        #expect(atStart.spans.first?.range == 0..<2000, "within half a crossfade of the start: from the start")
        let out = Self.output(atStart, frames: 10_000)
        #expect(out.count == 8000)
        #expect(out[0] < 2001 * 0.02, "fades in from silence")
        #expect(out[100...].allSatisfy { $0 >= 2100 }, "nothing of the track")
        #expect(out[100] == 2100)

        let atEnd = PodcastCut(spans: [.init(range: 9000..<10_000, title: "Z")], recordingFrames: 10_000, crossfadeFrames: 100)
        let end = Self.output(atEnd, frames: 10_000)
        #expect(end.count == 9000)
        #expect(end.max()! < 9000, "nothing of the last track")
        #expect(end[8999] < 9000 * 0.02, "fades out to silence")

        let close = PodcastCut(spans: [.init(range: 1000..<2000, title: "A"), .init(range: 2050..<3000, title: "B")],
                               recordingFrames: 10_000, crossfadeFrames: 100)
        #expect(close.spans.count == 1)
        #expect(close.spans[0].range == 1000..<3000)
        #expect(close.spans[0].title == "A / B")
    }

    @Test func chaptersMoveWithTheCutAndTheTrackIsMarkedOnAirOnly() {
        // At 1000 Hz a frame is a millisecond.
        let cut = PodcastCut(spans: [.init(range: 1000..<3000, title: "Song — Band")], recordingFrames: 10_000, crossfadeFrames: 100)
        let chapters = [Chapter(title: "Intro", startMs: 0, endMs: 1000), Chapter(title: "Song — Band", startMs: 1000, endMs: 3000),
                        Chapter(title: "Talk", startMs: 3000, endMs: 10_000)]
        let moved = cut.chapters(chapters, sampleRate: 1000)
        #expect(moved.map(\.title) == ["Intro", "Music: Song — Band (on air only)", "Talk"])
        #expect(moved.map(\.startMs) == [0, 1000, 1000])
        #expect(moved.map(\.endMs) == [1000, 1000, 8000])

        let stung = PodcastCut(spans: [.init(range: 1000..<3000, title: "Song — Band")], recordingFrames: 10_000,
                               crossfadeFrames: 100, stingFrames: 400)
        let withSting = stung.chapters(chapters, sampleRate: 1000)
        // The sting sounds from the start of the crossfade into it.
        #expect(withSting.map(\.startMs) == [0, 950, 1350])
        #expect(withSting.map(\.endMs) == [950, 1350, 8300])
    }

    @Test func theAsRunSaysWhereEachUnclearedTrackSounded() throws {
        let dir = try TempDir("regie-cut").url
        defer { try? FileManager.default.removeItem(at: dir) }
        func line(_ seq: Int, _ event: String, _ position: Int, _ extra: String = "") -> String {
            "{\"seq\":\(seq),\"event\":\"\(event)\",\"position\":\(position),\"sample_rate\":44100,\"wall\":\"2026-12-03T18:00:00.000+01:00\",\"unix_ms\":0\(extra)}"
        }
        let log = [
            line(1, "log_opened", 0),
            line(2, "recording_started", 500, ",\"source\":\"program\""),
            line(3, "item_started", 500, ",\"item\":1,\"kind\":\"music\",\"title\":\"Cleared\",\"artist\":\"A\",\"podcast\":\"yes\""),
            line(4, "item_ended", 10_000, ",\"item\":1,\"kind\":\"music\",\"title\":\"Cleared\""),
            line(5, "item_started", 10_000, ",\"item\":2,\"kind\":\"music\",\"title\":\"Faded\",\"artist\":\"B\",\"podcast\":\"no\""),
            line(6, "item_faded", 15_000, ",\"item\":2,\"kind\":\"music\",\"title\":\"Faded\",\"fade_frames\":2000"),
            line(7, "item_started", 16_000, ",\"item\":3,\"kind\":\"segment\",\"title\":\"Talk\""),
            line(8, "item_ended", 17_000, ",\"item\":2,\"kind\":\"music\",\"title\":\"Faded\""),
            line(9, "item_started", 30_000, ",\"item\":4,\"kind\":\"music\",\"title\":\"Skipped\",\"artist\":\"C\",\"podcast\":\"no\""),
            line(10, "item_skipped", 31_000, ",\"item\":4,\"kind\":\"music\",\"title\":\"Skipped\""),
            line(11, "item_started", 40_000, ",\"item\":5,\"kind\":\"music\",\"title\":\"Last\",\"artist\":\"D\",\"podcast\":\"no\""),
            line(12, "show_ended", 44_000),
        ].joined(separator: "\n") + "\n"
        let url = dir.appendingPathComponent("x.asrun.jsonl")
        try log.write(to: url, atomically: true, encoding: .utf8)
        let spans = PodcastCut.spans(fromAsRun: try AsRunLog.read(url))
        // In the recording's frames (it started at programme frame 500).
        #expect(spans.map(\.range) == [9500..<16_500, 29_500..<30_500, 39_500..<43_500])
        #expect(spans.map(\.title) == ["Faded — B", "Skipped — C", "Last — D"])
    }
}
