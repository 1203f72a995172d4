// The podcast cut: music not cleared for podcasting left out of the episode, at the frames where
// it aired, joined by a short equal-power crossfade or by the show's sting. The full recording
// (or render) stays as it is for the station; only the podcast's copy is cut.
import AudioIO
import DSP
import Foundation
import MP3
import RegieModel

/// Where the music that may not go in the podcast is, in a recording's frames, and how the
/// rest is joined around it.
///
/// Each span `[s, e)` is replaced by a *join*:
/// - without a sting, a crossfade of `crossfadeFrames` (F) centred on the cut: the programme
///   `[s − F/2, s + F/2)` fades out while `[e − F/2, e + F/2)` fades in, so the episode is
///   exactly `e − s` frames shorter and no more than F/2 of the track's first and last frames
///   (faded) remain;
/// - with a sting of L frames, the programme `[s − F/2, s + F/2)` crossfades into the sting's
///   first F frames and its last F frames into `[e − F/2, e + F/2)`: the sting sounds whole
///   and the episode is `e − s + F − L` frames shorter.
///
/// A track at the very start (within F/2) or end of the recording is cut with a fade from or to
/// silence instead; spans closer than F to each other are cut as one (the gap would be shorter
/// than the crossfade).
package struct PodcastCut: Sendable, Equatable {
    /// One track left out.
    package struct Span: Sendable, Equatable {
        /// Recording frames the track sounded in.
        package var range: Range<Int64>
        /// Its chapter title as on air ("Title — Artist").
        package var title: String
        package init(range: Range<Int64>, title: String) { self.range = range; self.title = title }
    }

    /// Where output comes from.
    package enum Track: Sendable, Equatable {
        case silence
        /// The recording from this frame on.
        case recording(Int64)
        /// The sting from this frame on.
        case sting(Int)
    }

    /// A stretch of the output.
    package enum Piece: Sendable, Equatable {
        /// These recording frames as they are.
        case recording(Range<Int64>)
        /// These sting frames as they are.
        case sting(Range<Int>)
        /// `frames` frames of `from` fading out under `to` fading in (equal power).
        case crossfade(from: Track, to: Track, frames: Int)

        /// Output frames it makes.
        package var frames: Int64 {
            switch self {
            case .recording(let r): Int64(r.count)
            case .sting(let r): Int64(r.count)
            case .crossfade(_, _, let n): Int64(n)
            }
        }
    }

    /// Default crossfade: 50 ms at 44.1 kHz (even, so it centres on the cut).
    package static func defaultCrossfade(sampleRate: Int) -> Int { (sampleRate / 20) & ~1 }

    /// The tracks cut, sorted, merged when closer than the crossfade, within the recording.
    package private(set) var spans: [Span]
    /// Frames of the recording.
    package let recordingFrames: Int64
    /// Crossfade length, frames (even).
    package let crossfadeFrames: Int
    /// Length of the sting that replaces each track (0: none).
    package let stingFrames: Int
    /// What the output is made of, in order.
    package private(set) var pieces: [Piece] = []

    /// The cut of `spans` out of a recording of `recordingFrames`.
    package init(spans: [Span], recordingFrames: Int64, crossfadeFrames: Int, stingFrames: Int = 0) {
        self.recordingFrames = recordingFrames
        self.crossfadeFrames = max(2, crossfadeFrames & ~1)
        // A sting shorter than two crossfades is not used (it would be all crossfade).
        self.stingFrames = stingFrames >= 2 * self.crossfadeFrames ? stingFrames : 0
        let f = Int64(self.crossfadeFrames), h = f / 2
        var merged: [Span] = []
        for span in spans.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            var lower = max(0, span.range.lowerBound), upper = min(recordingFrames, span.range.upperBound)
            guard upper > lower else { continue }
            if lower <= h { lower = 0 }
            if upper + h >= recordingFrames { upper = recordingFrames }
            if let last = merged.last, lower - last.range.upperBound < f {
                merged[merged.count - 1].range = last.range.lowerBound..<max(upper, last.range.upperBound)
                merged[merged.count - 1].title += " / " + span.title
            } else {
                merged.append(Span(range: lower..<upper, title: span.title))
            }
        }
        self.spans = merged
        pieces = Self.pieces(spans: merged, total: recordingFrames, f: self.crossfadeFrames, sting: self.stingFrames)
    }

    /// True when nothing is cut.
    package var isEmpty: Bool { spans.isEmpty }
    /// Frames of the episode.
    package var outputFrames: Int64 { pieces.reduce(0) { $0 + $1.frames } }
    /// Frames of recording left out (the tracks).
    package var removedFrames: Int64 { spans.reduce(0) { $0 + Int64($1.range.count) } }

    static func pieces(spans: [Span], total: Int64, f: Int, sting: Int) -> [Piece] {
        let h = Int64(f / 2)
        var pieces: [Piece] = []
        var cursor: Int64 = 0
        func copy(to end: Int64) {
            if end > cursor { pieces.append(.recording(cursor..<end)) }
            cursor = max(cursor, end)
        }
        for span in spans {
            let s = span.range.lowerBound, e = span.range.upperBound
            let atStart = s == 0, atEnd = e == total
            var from: Track = .silence
            if !atStart {
                let fadeStart = atEnd && sting == 0 ? s - Int64(f) : s - h   // at the end: nothing of the track
                copy(to: fadeStart)
                from = .recording(fadeStart)
                cursor = fadeStart + Int64(f)
            }
            if sting > 0 {
                if from == .silence { pieces.append(.sting(0..<f)) } else { pieces.append(.crossfade(from: from, to: .sting(0), frames: f)) }
                if sting > 2 * f { pieces.append(.sting(f..<(sting - f))) }
                from = .sting(sting - f)
            }
            if atEnd {
                if from != .silence { pieces.append(.crossfade(from: from, to: .silence, frames: f)) }
                cursor = total
                break
            }
            // After a fade from silence nothing of the track may sound: the recording comes in at e.
            let toStart = from == .silence || (atStart && sting > 0) ? e : e - h
            pieces.append(.crossfade(from: from, to: .recording(toStart), frames: f))
            cursor = toStart + Int64(f)
        }
        copy(to: total)
        return pieces
    }

    /// Where each span's join is in the episode: its first frame and its length (the sting's
    /// L frames, from the start of the crossfade into it; without a sting, the empty point at the
    /// middle of the crossfade).
    package func joins() -> [(start: Int64, frames: Int64)] {
        var shift: Int64 = 0
        let h = Int64(crossfadeFrames / 2), l = Int64(stingFrames)
        return spans.map { span in
            let start = max(0, stingFrames > 0 ? span.range.lowerBound - h + shift : span.range.lowerBound + shift)
            shift += (stingFrames > 0 ? l - Int64(crossfadeFrames) : 0) - Int64(span.range.count)
            return (min(start, outputFrames), l)
        }
    }

    /// The output position of recording frame `p`; a frame replaced by a join (the track, and
    /// with a sting the crossfades into it) maps to the join's start (`afterJoin` false) or to
    /// its end (true: where the recording comes back).
    package func outputPosition(_ p: Int64, afterJoin: Bool = false) -> Int64 {
        var shift: Int64 = 0
        let h = Int64(crossfadeFrames / 2), l = Int64(stingFrames)
        for (span, join) in zip(spans, joins()) {
            let replaced = stingFrames > 0 ? (span.range.lowerBound - h)..<(span.range.upperBound + h) : span.range
            if p < replaced.lowerBound { break }
            if p < replaced.upperBound { return min(outputFrames, afterJoin ? join.start + join.frames : join.start) }
            shift += (stingFrames > 0 ? l - Int64(crossfadeFrames) : 0) - Int64(span.range.count)
        }
        return max(0, min(outputFrames, p + shift))
    }

    /// The title a chapter gives a track left out.
    package static func onAirOnlyTitle(_ title: String) -> String { "Music: \(title) (on air only)" }

    /// `chapters` of the recording (at `sampleRate`) as they fall in the episode: a chapter that
    /// starts in a cut (the track's own) is replaced by a chapter "Music: … (on air only)" at its
    /// join (as long as the sting, or empty), others move with the cut and lose what was cut.
    package func chapters(_ chapters: [Chapter], sampleRate: Int) -> [Chapter] {
        guard !isEmpty else { return chapters }
        func frame(_ ms: Int) -> Int64 { (Int64(ms) * Int64(sampleRate) + 500) / 1000 }
        func inCut(_ p: Int64) -> Bool { spans.contains { $0.range.contains(p) } }
        var out: [Chapter] = []
        for chapter in chapters {
            let start = frame(chapter.startMs), end = frame(chapter.endMs)
            // Within a millisecond of a cut's start: the track's own chapter.
            let tolerance = Int64(sampleRate / 1000 + 1)
            if inCut(start) || spans.contains(where: { abs($0.range.lowerBound - start) <= tolerance }) { continue }
            let s = outputPosition(start, afterJoin: true), t = outputPosition(end, afterJoin: false)
            guard t > s else { continue }
            out.append(Chapter(title: chapter.title, startFrame: s, endFrame: t, sampleRate: sampleRate, url: chapter.url))
        }
        for (span, join) in zip(spans, joins()) {
            out.append(Chapter(title: Self.onAirOnlyTitle(span.title), startFrame: join.start,
                               endFrame: min(outputFrames, join.start + join.frames), sampleRate: sampleRate))
        }
        // By start; at the same start the empty marker first.
        return out.sorted { ($0.startMs, $0.endMs) < ($1.startMs, $1.endMs) }
    }
}

extension PodcastCut {
    /// The music items of `plan` that may not go in the podcast (the item's `podcast:`, else the
    /// show's `podcast_music`), from their fitted start to their end (fade-out included).
    package static func spans(of plan: Plan) -> [Span] {
        let show = plan.rundown.show
        return plan.airing.compactMap { entry in
            guard entry.item.kind == .music, !(entry.item.podcast ?? show.podcastMusic) else { return nil }
            return Span(range: entry.start..<entry.end, title: entry.item.displayTitle)
        }
    }

    /// The music that aired and may not go in the podcast, from the last session of an as-run
    /// log, in the frames of the recording of `source` (its first frame is programme position
    /// `recordingStart`, default its `recording_started`): from the track's `item_started` to the
    /// first of its `item_ended`, the end of its fade, its skip, or the end of the show.
    package static func spans(fromAsRun entries: [AsRunLog.Entry], source: RecordingSource = .program,
                              recordingStart: Int64? = nil) -> [Span] {
        let session = AsRunLog.lastSession(entries)
        let origin = recordingStart
            ?? session.first { $0.kind == .recordingStarted && ($0.source ?? .program) == source }?.position ?? 0
        var spans: [Span] = []
        for (index, start) in session.enumerated()
        where start.kind == .itemStarted && start.itemKind == "music" && start.podcast == false {
            let stop = AsRunLog.end(ofItemStartedAt: index, in: session, recording: source)
            guard stop > start.position else { continue }
            spans.append(Span(range: (start.position - origin)..<(stop - origin), title: start.chapterTitle))
        }
        return spans
    }
}

/// Reads a recording through a `PodcastCut`: the episode's frames, in order, from a source read
/// once from start to end (a decoder, or the render's ring).
///
/// Threading: one thread. Allocates in `init` only.
package final class PodcastCutReader {
    /// Fills the buffer with up to `frames` interleaved stereo frames; 0 at the end.
    package typealias Source = (UnsafeMutablePointer<Float>, Int) -> Int

    private let cut: PodcastCut
    private let sting: [Float]
    private let source: Source
    private var sourcePosition: Int64 = 0
    private var pieceIndex = 0
    private var pieceOffset: Int64 = 0
    /// A crossfade is mixed whole here, then served.
    private let fadeBuffer: UnsafeMutablePointer<Float>
    private let otherBuffer: UnsafeMutablePointer<Float>
    private let discard: UnsafeMutablePointer<Float>
    private let discardFrames = 4096
    private var fadeReady = false
    /// Frames delivered.
    package private(set) var framesRead: Int64 = 0

    /// A reader of `source` through `cut`; `sting` (interleaved stereo, `cut.stingFrames` frames)
    /// is what replaces each track when the cut has one.
    package init(cut: PodcastCut, sting: [Float] = [], source: @escaping Source) {
        self.cut = cut
        self.sting = sting
        self.source = source
        fadeBuffer = .allocate(capacity: cut.crossfadeFrames * 2)
        otherBuffer = .allocate(capacity: cut.crossfadeFrames * 2)
        discard = .allocate(capacity: discardFrames * 2)
    }

    deinit {
        fadeBuffer.deallocate(); otherBuffer.deallocate(); discard.deallocate()
    }

    /// Reads `frames` recording frames from `position` into `buffer` (silence past the source's end).
    private func readRecording(at position: Int64, frames: Int, into buffer: UnsafeMutablePointer<Float>) {
        while sourcePosition < position {
            let n = source(discard, Int(min(Int64(discardFrames), position - sourcePosition)))
            if n == 0 { break }
            sourcePosition += Int64(n)
        }
        var done = 0
        while done < frames {
            let n = source(buffer + done * 2, frames - done)
            if n == 0 { break }
            done += n
        }
        sourcePosition += Int64(done)
        if done < frames { (buffer + done * 2).update(repeating: 0, count: (frames - done) * 2) }
    }

    private func fill(_ track: PodcastCut.Track, frames: Int, into buffer: UnsafeMutablePointer<Float>) {
        switch track {
        case .silence: buffer.update(repeating: 0, count: frames * 2)
        case .recording(let p): readRecording(at: p, frames: frames, into: buffer)
        case .sting(let s):
            let n = max(0, min(frames, sting.count / 2 - s))
            sting.withUnsafeBufferPointer { (buffer).update(from: $0.baseAddress! + s * 2, count: n * 2) }
            if n < frames { (buffer + n * 2).update(repeating: 0, count: (frames - n) * 2) }
        }
    }

    /// Reads up to `frames` frames of the episode; 0 at its end.
    package func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        var done = 0
        while done < frames, pieceIndex < cut.pieces.count {
            let piece = cut.pieces[pieceIndex]
            let want = Int(min(Int64(frames - done), piece.frames - pieceOffset))
            let out = buffer + done * 2
            switch piece {
            case .recording(let range):
                readRecording(at: range.lowerBound + pieceOffset, frames: want, into: out)
            case .sting(let range):
                fill(.sting(range.lowerBound + Int(pieceOffset)), frames: want, into: out)
            case let .crossfade(from, to, n):
                if !fadeReady {
                    fill(from, frames: n, into: fadeBuffer)
                    fill(to, frames: n, into: otherBuffer)
                    let length = Int64(n)
                    for i in 0..<n {
                        // Sampled at frame centres: the two gains never both reach 0 or 1.
                        let t = Double(i) + 0.5
                        let gIn = Float(sin(t / Double(length) * Double.pi / 2))
                        let gOut = Float(cos(t / Double(length) * Double.pi / 2))
                        fadeBuffer[2 * i] = fadeBuffer[2 * i] * gOut + otherBuffer[2 * i] * gIn
                        fadeBuffer[2 * i + 1] = fadeBuffer[2 * i + 1] * gOut + otherBuffer[2 * i + 1] * gIn
                    }
                    fadeReady = true
                }
                out.update(from: fadeBuffer + Int(pieceOffset) * 2, count: want * 2)
            }
            done += want
            pieceOffset += Int64(want)
            if pieceOffset == piece.frames {
                pieceIndex += 1
                pieceOffset = 0
                fadeReady = false
            }
        }
        framesRead += Int64(done)
        return done
    }
}

/// The show's sting for the podcast cut, ready to splice: decoded, at the show's rate, brought to
/// the show's loudness target (and kept under its true-peak ceiling, by sample peak).
package enum PodcastSting {
    /// The interleaved stereo frames of `path` at `sampleRate`, at `loudness` LUFS.
    package static func load(path: String, sampleRate: Int, loudness: Double, ceiling: Double) throws -> [Float] {
        var samples = try Resampler.resampleFile(path: path, outputRate: sampleRate)
        let frames = samples.count / 2
        guard frames > 0 else { return [] }
        let meter = LoudnessMeter(sampleRate: sampleRate, truePeak: false)
        samples.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: frames) }
        var gain = meter.integrated.isFinite ? loudness - meter.integrated : 0
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        if peak > 0 { gain = min(gain, ceiling - Double(Decibels.fromLinear(peak))) }
        let linear = Float(Decibels.toLinear(gain))
        for i in samples.indices { samples[i] *= linear }
        return samples
    }

    /// The sting of `show` (nil without one).
    package static func of(_ show: Show) throws -> [Float]? {
        guard let path = show.podcastSting else { return nil }
        return try load(path: path, sampleRate: show.sampleRate, loudness: show.loudness, ceiling: show.truePeak)
    }
}
