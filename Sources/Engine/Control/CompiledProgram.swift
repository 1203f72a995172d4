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
/// for a live item without a bed), each with its source, and the sample rings (slots) it needs.
///
/// Offline, every voice gets its ring here, so that voices sharing one never overlap. Live, the
/// running order may change on air (posts, the technician's edits), so voices get their ring from
/// the mixer just before they air (`VoiceSpec.onAir`), from `liveRings` rings; beds loop until
/// their item ends or GO cuts them; and each post carries its mode and fade (its frame is set
/// on air, from the station's clock).
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
    /// Voices the live mixer can hold in all: the compiled ones and room for items inserted on air.
    package var voiceCapacity: Int

    /// Rings of live playout: the voices sounding at once (a crossfade, a jingle's tail, a bed
    /// under its release), the next few with their audio prefetched, and room to spare.
    package static let liveRings = 8
    /// Items the technician may insert into a live show.
    package static let insertCapacity = 64

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
        let openEndedBeds = playout != nil
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
        voiceCapacity = pairs.count + (playout != nil ? Self.insertCapacity : 0)
        if playout != nil {
            let postFade = plan.rundown.show.postFade.frames(at: plan.sampleRate)
            for index in pairs.indices {
                if pairs[index].1 != nil { pairs[index].0.slot = VoiceSpec.onAir }
                let item = Int(pairs[index].0.item)
                if let post = plan.posts.first(where: { $0.index == item }) {
                    pairs[index].0.postIsSoft = post.mode == .soft
                    pairs[index].0.postFade = plan.entries[item].fadeIn > 0 ? plan.entries[item].fadeIn : postFade
                }
            }
            voices = pairs.map(\.0)
            sources = pairs.map(\.1)
            slotCount = Self.liveRings
            return
        }
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
