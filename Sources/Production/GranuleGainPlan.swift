// The gain of each MP3 granule when a recording needs more gain than its peaks allow: the whole
// gain everywhere, less around the few peaks that would pass the ceiling — a look-ahead limiter
// at the granularity of the MP3 itself (13 ms, 1.5 dB steps), applied without re-encoding.
import AudioIO
import DSP
import Foundation
import MP3
import RegieModel

/// Per-granule gain steps for `MP3GainEditor.applying(granuleSteps:tagSteps:)`.
///
/// A granule's gain scales its decoded contribution exactly; the decoder's overlap (IMDCT, then
/// the synthesis filter) spreads each granule over three 576-sample output blocks and cross-fades
/// between neighbours' gains. So a block of output that would pass the ceiling is brought under it
/// by lowering the three granules it hears, and the reductions are smoothed like a limiter's
/// envelope: a ramp of one step (1.5 dB) per granule down into a peak, and back up one step every
/// `releaseGranules` granules after it. Where neighbours differ, the cross-fade can leave a peak a
/// little over the estimate: the finisher decodes the result and `tighten`s where it is still over.
package struct GranuleGainPlan: Sendable, Equatable {
    /// The whole gain, in steps of 1.505 dB.
    package let baseSteps: Int
    /// Steps taken back from `baseSteps`, per granule (≥ 0).
    package private(set) var reduction: [Int]
    /// Gapless decoded frame → raw decoder output sample: the encoder's delay plus the decoder's 529.
    package let offset: Int
    /// Granules of release per step back up (4: about 50 ms per 1.5 dB at 44.1 kHz).
    package let releaseGranules: Int

    /// Samples of raw decoder output per granule.
    static let granuleSamples = 576
    /// mpg123's decoder delay (the synthesis filterbank's), which gapless decoding removes.
    static let decoderDelay = 529

    /// A plan of `granules` granules at `baseSteps` everywhere; `encoderDelay` from the LAME tag
    /// (LAME's 576 when unknown).
    package init(baseSteps: Int, granules: Int, encoderDelay: Int?, releaseGranules: Int = 4) {
        self.baseSteps = baseSteps
        reduction = Array(repeating: 0, count: granules)
        offset = (encoderDelay ?? 576) + Self.decoderDelay
        self.releaseGranules = releaseGranules
    }

    /// The steps of each granule.
    package var steps: [Int] { reduction.map { baseSteps - $0 } }
    /// Granules held back (reduction > 0).
    package var heldBack: Int { reduction.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
    /// The deepest reduction, steps.
    package var deepest: Int { reduction.max() ?? 0 }

    /// The granules that sound in gapless frames `frame ..< frame + frames`.
    func granules(frame: Int64, frames: Int) -> ClosedRange<Int>? {
        let first = (Int(frame) + offset) / Self.granuleSamples - 2
        let last = (Int(frame) + frames - 1 + offset) / Self.granuleSamples
        let range = max(0, first)...min(reduction.count - 1, last)
        return range.isEmpty || last < 0 || first >= reduction.count ? nil : range
    }

    /// Steps to take back so that `peak` (linear, as it would sound at the gain its granules have
    /// now) comes to `ceiling` or under: ⌈4·log2(peak / ceiling)⌉.
    static func stepsOver(peak: Float, ceiling: Float) -> Int {
        guard peak > ceiling, ceiling > 0 else { return 0 }
        return max(1, Int((4 * log2(Double(peak) / Double(ceiling))).rounded(.up)))
    }

    /// Holds back the granules of each block whose true peak `block.peak` (linear, measured on
    /// the recording as it was, before any gain) would pass `ceiling` at the base gain.
    package mutating func limit(_ blocks: [LoudnessMeter.HotBlock], ceiling: Float) {
        let gain = Float(pow(2, Double(baseSteps) / 4))
        for block in blocks {
            let need = Self.stepsOver(peak: block.peak * gain, ceiling: ceiling)
            guard need > 0, let range = granules(frame: block.frame, frames: block.frames) else { continue }
            for g in range { reduction[g] = max(reduction[g], need) }
        }
        smooth()
    }

    /// Takes more back around each block still over `ceiling` in the edited file (`block.peak` as
    /// decoded from it).
    package mutating func tighten(_ blocks: [LoudnessMeter.HotBlock], ceiling: Float) {
        for block in blocks {
            let more = max(1, Self.stepsOver(peak: block.peak, ceiling: ceiling))
            guard let range = granules(frame: block.frame, frames: block.frames) else { continue }
            let deepest = range.map { reduction[$0] }.max() ?? 0
            for g in range { reduction[g] = max(reduction[g], deepest + more) }
        }
        smooth()
    }

    /// The limiter's envelope: down one step per granule into each reduction (look-ahead), back
    /// up one step every `releaseGranules` granules after it.
    mutating func smooth() {
        guard !reduction.isEmpty else { return }
        for g in stride(from: reduction.count - 2, through: 0, by: -1) {
            reduction[g] = max(reduction[g], reduction[g + 1] - 1)
        }
        var level = 0, since = 0
        for g in reduction.indices {
            if reduction[g] >= level {
                level = reduction[g]
                since = 0
            } else {
                since += 1
                if since >= releaseGranules { level -= 1; since = 0 }
                reduction[g] = max(reduction[g], level)
            }
        }
    }
}

extension EpisodeFinisher {
    /// The lossless path for a recording whose gain would take some peaks over the ceiling: plans
    /// the granules' gains (`GranuleGainPlan`) from the blocks that would pass it, writes `output`
    /// (with `tag`), decodes it to check the true peak and the loudness, and takes more back where
    /// it is still over (three rounds at most). Tries the step count closest to the target, then
    /// one more (holding back takes a little loudness away). Nil when the holding back would go
    /// past `peakControlLimits`, the stream refuses the change, or the result misses the target:
    /// then the caller re-encodes (over whatever `output` holds).
    func gainAtPeaks(recording: URL, inspection: Inspection, tag: ID3v2Tag, output: URL,
                     editSeconds: inout Double) throws -> GranuleGainPlan? {
        let show = plan.rundown.show
        let ceiling = Float(Decibels.toLinear(show.truePeak))
        let nearest = Int(((show.loudness - inspection.loudness) / Self.gainStepDecibels).rounded())
        let candidates = [nearest, nearest + 1]
        guard let editor = try? MP3GainEditor(audio: Self.audioFrames(of: recording)) else { return nil }
        // One scan at the lowest threshold (the largest gain) finds the blocks for every candidate.
        let lowest = ceiling / Float(pow(2, Double(candidates.max()!) / 4))
        let hot: [LoudnessMeter.HotBlock]
        do { hot = try LoudnessMeter.blocksOver(lowest, path: recording.path, maximumParts: inspectionThreads).blocks } catch {
            throw EpisodeFinisherError.unreadable("\(error)")
        }
        let clock = ContinuousClock()
        func acceptable(_ plan: GranuleGainPlan) -> Bool {
            Double(plan.heldBack) <= Self.peakControlLimits.share * Double(plan.reduction.count)
                && plan.deepest <= Self.peakControlLimits.deepest
        }
        for base in candidates {
            var plan = GranuleGainPlan(baseSteps: base, granules: editor.granuleCount, encoderDelay: editor.encoderDelay)
            plan.limit(hot, ceiling: ceiling)
            for _ in 0..<3 {
                guard acceptable(plan) else { break }
                var written = false
                editSeconds += Self.seconds(try clock.measure {
                    guard let bytes = try? editor.applying(granuleSteps: plan.steps, tagSteps: base) else { return }
                    try MP3FileWriter.writeAtomically(url: output, tag: tag, audio: bytes)
                    written = true
                })
                guard written else { return nil }
                let check: (blocks: [LoudnessMeter.HotBlock], frames: Int64, integrated: Double)
                do { check = try LoudnessMeter.blocksOver(ceiling, path: output.path, integrated: true, maximumParts: inspectionThreads) } catch {
                    throw EpisodeFinisherError.unreadable("\(error)")
                }
                guard check.frames == inspection.frames else { return nil }
                if check.blocks.isEmpty {
                    if abs(show.loudness - check.integrated) <= Self.gainTolerance { return plan }
                    break   // under the ceiling but off target: the next step count, if any
                }
                plan.tighten(check.blocks, ceiling: ceiling)
            }
        }
        return nil
    }
}
