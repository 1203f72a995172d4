import Foundation
import RegieModel

/// Where a voice's audio comes from: part of a file, resampled to the show's rate, looped for beds.
package struct VoiceSource: Sendable, Hashable {
    /// Absolute path.
    package var path: String
    /// The file's sample rate.
    package var sampleRate: Int
    /// First source frame played (cue in).
    package var firstFrame: Int64
    /// Source frames played (cue out − cue in); for a looped bed, the whole file.
    package var frameCount: Int64
    /// True for a bed: the file repeats until the voice's length is filled.
    package var loops: Bool
}

/// A plan turned into what the engine plays: one voice per airing item on the timeline (silent
/// for a live item without a bed), each with its source, and the number of sample rings (slots)
/// needed so that voices sharing one never overlap.
///
/// For live playout the slots leave room for the technician: a voice never shares the ring of
/// either of the two voices before it (so GO or skip can start the next item at once from data
/// already prefetched), and in interactive mode a bed has a ring of its own and loops until GO.
package struct CompiledProgram: Sendable {
    /// The plan it came from.
    package var plan: Plan
    /// Voices sorted by start.
    package var voices: [VoiceSpec]
    /// The source of each voice (same order); nil for a silent voice.
    package var sources: [VoiceSource?]
    /// The playout it was compiled for (nil: an offline render).
    package var playout: PlayoutMode?
    /// Sample rings needed.
    package var slotCount: Int
    /// Frames of programme: the plan's fitted total.
    package var totalFrames: Int64 { plan.total }
    /// Ducking of beds.
    package var ducking: DuckingSpec

    /// Decibels the programme is limited under the show's `true_peak`: MP3 encoding adds 0.2 to
    /// 0.3 dB of true peak on programme material, so the encoded episode (rendered, or recorded
    /// live and published as recorded) stays at or under the ceiling.
    package static let codecHeadroomDecibels = 0.5

    /// The limiter's ceiling for this programme, dBTP.
    package var limiterCeiling: Float { Float(plan.rundown.show.truePeak - Self.codecHeadroomDecibels) }

    /// Compiles the fitted schedule of `plan`, for an offline render (`playout` nil) or live playout.
    package init(plan: Plan, playout: PlayoutMode? = nil) {
        self.plan = plan
        self.playout = playout
        let openEndedBeds = playout == .interactive
        let ducking = plan.rundown.show.ducking
        self.ducking = DuckingSpec(depth: Float(ducking.depth),
                                   attack: Double(ducking.attack.nanoseconds) / 1e9,
                                   release: Double(ducking.release.nanoseconds) / 1e9)
        var pairs: [(VoiceSpec, VoiceSource?)] = []
        let airing = plan.airing
        // A hard post that cut what was on air starts at full level over its fade-out (the cut
        // item's own `fadeOut`), as a jingle does: no crossfade on either side.
        let hardCuts = Set(plan.posts.filter { $0.mode == .hard && $0.overrun > 0 }.map(\.index))
        for (position, entry) in airing.enumerated() {
            let item = Int32(entry.item.index)
            if let source = entry.source {
                // The overlap out of this voice is the next airing item's overlap into it. A jingle
                // is never faded by a crossfade: it starts at full level over the fading end of the
                // item before it, and its tail plays over the start of the item after it, which
                // itself starts at full level.
                let isJingle = entry.item.kind == .jingle || hardCuts.contains(entry.item.index)
                let previousIsJingle = position > 0 && airing[position - 1].item.kind == .jingle
                let nextIsCutPost = position + 1 < airing.count && hardCuts.contains(airing[position + 1].item.index)
                let nextOverlap = position + 1 < airing.count && !nextIsCutPost ? airing[position + 1].overlap : 0
                let voice = VoiceSpec(start: entry.start, length: entry.length, slot: 0, item: item,
                                      fadeIn: entry.fadeIn, fadeOut: entry.fadeOut,
                                      crossfadeIn: isJingle || previousIsJingle ? 0 : entry.overlap,
                                      crossfadeOut: isJingle ? 0 : nextOverlap, isJingle: isJingle)
                pairs.append((voice, VoiceSource(path: source.path, sampleRate: source.sampleRate,
                                                 firstFrame: source.firstFrame,
                                                 frameCount: source.endFrame - source.firstFrame, loops: false)))
            } else if entry.item.kind == .live, let bed = entry.item.bed, let info = entry.bedInfo,
                      entry.length > 0 || openEndedBeds {
                let voice = VoiceSpec(start: entry.start, length: entry.length, slot: 0, item: item, isBed: true,
                                      isOpenEnded: openEndedBeds)
                pairs.append((voice, VoiceSource(path: bed, sampleRate: info.sampleRate, firstFrame: 0,
                                                 frameCount: info.frames, loops: true)))
            } else {
                // A live item without a bed (or any item without audio): silence on the timeline.
                pairs.append((VoiceSpec(start: entry.start, length: entry.length, slot: -1, item: item,
                                        isLive: entry.item.kind == .live), nil))
            }
        }
        pairs.sort { $0.0.start < $1.0.start }
        // Greedy interval colouring: a voice takes the first ring whose previous voice has ended
        // (live: and that neither of the two voices before it used; open-ended beds: for good).
        var slotEnds: [Int64] = []
        var recent: [Int] = []
        for index in pairs.indices where pairs[index].1 != nil {
            let voice = pairs[index].0
            let end = voice.isOpenEnded ? Int64.max : voice.end
            let slot: Int
            if let free = slotEnds.indices.first(where: { slotEnds[$0] <= voice.start && (playout == nil || !recent.contains($0)) }) {
                slot = free
                slotEnds[free] = end
            } else {
                slot = slotEnds.count
                slotEnds.append(end)
            }
            pairs[index].0.slot = Int32(slot)
            recent.append(slot)
            if recent.count > 2 { recent.removeFirst() }
        }
        voices = pairs.map(\.0)
        sources = pairs.map(\.1)
        slotCount = max(1, slotEnds.count)
    }
}
