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
        let ducking = plan.rundown.show.ducking
        self.ducking = DuckingSpec(depth: Float(ducking.depth),
                                   attack: Double(ducking.attack.nanoseconds) / 1e9,
                                   release: Double(ducking.release.nanoseconds) / 1e9)
        let airing = plan.airing
        let fades = Self.crossfades(airing, plan: plan)
        var pairs = airing.indices.map { position in
            Self.voice(for: airing[position], crossfadeIn: fades[position].into, crossfadeOut: fades[position].out,
                       live: playout != nil, plan: plan)
        }
        pairs.sort { $0.0.start < $1.0.start }
        voiceCapacity = pairs.count + (playout != nil ? Self.insertCapacity : 0)
        if playout != nil {
            voices = pairs.map(\.0)
            sources = pairs.map(\.1)
            slotCount = Self.liveRings
            return
        }
        // Greedy interval colouring: a voice takes the first ring whose previous voice has ended.
        var slotEnds: [Int64] = []
        for index in pairs.indices where pairs[index].1 != nil {
            let voice = pairs[index].0
            let slot: Int
            if let free = slotEnds.indices.first(where: { slotEnds[$0] <= voice.start }) {
                slot = free
                slotEnds[free] = voice.end
            } else {
                slot = slotEnds.count
                slotEnds.append(voice.end)
            }
            pairs[index].0.slot = Int32(slot)
        }
        voices = pairs.map(\.0)
        sources = pairs.map(\.1)
        slotCount = max(1, slotEnds.count)
    }

    /// The crossfades into and out of each airing entry (in airing order). The overlap out of an
    /// item is the next airing item's overlap into it. A jingle is never faded by a crossfade: it
    /// starts at full level over the fading end of the item before it, and its tail plays over the
    /// start of the item after it, which itself starts at full level. A hard post that cut what
    /// was on air starts at full level over its fade-out (the cut item's own `fadeOut`), as a
    /// jingle does: no crossfade on either side.
    package static func crossfades(_ airing: [Plan.Entry], plan: Plan) -> [(into: Int64, out: Int64)] {
        let hardCuts = Set(plan.posts.filter { $0.mode == .hard && $0.overrun > 0 }.map(\.index))
        return airing.indices.map { position in
            let entry = airing[position]
            guard entry.source != nil else { return (0, 0) }
            let isJingle = entry.item.kind == .jingle || hardCuts.contains(entry.item.index)
            let previousIsJingle = position > 0 && airing[position - 1].item.kind == .jingle
            let nextIsCutPost = position + 1 < airing.count && hardCuts.contains(airing[position + 1].item.index)
            let nextOverlap = position + 1 < airing.count && !nextIsCutPost ? airing[position + 1].overlap : 0
            return (isJingle || previousIsJingle ? 0 : entry.overlap, isJingle ? 0 : nextOverlap)
        }
    }

    /// The voice of an airing entry (at its fitted start) and where its audio comes from: the
    /// item's cue span, a live item's bed looped (until its item ends or GO cuts it, live), or
    /// nothing (a live item without a bed is silence that still takes its time). Live, its ring
    /// is given on air and a post carries its mode and fade.
    package static func voice(for entry: Plan.Entry, crossfadeIn: Int64, crossfadeOut: Int64, live: Bool,
                              plan: Plan) -> (VoiceSpec, VoiceSource?) {
        let item = Int32(entry.item.index)
        var result: (VoiceSpec, VoiceSource?)
        if let source = entry.source {
            let isJingle = entry.item.kind == .jingle
                || plan.posts.contains { $0.index == entry.item.index && $0.mode == .hard && $0.overrun > 0 }
            let voice = VoiceSpec(start: entry.start, length: entry.length, slot: live ? VoiceSpec.onAir : 0, item: item,
                                  fadeIn: entry.fadeIn, fadeOut: entry.fadeOut, crossfadeIn: crossfadeIn,
                                  crossfadeOut: crossfadeOut, isJingle: isJingle)
            result = (voice, VoiceSource(path: source.path, sampleRate: source.sampleRate, firstFrame: source.firstFrame,
                                         frameCount: source.endFrame - source.firstFrame, loops: false))
        } else if entry.item.kind == .live, let bed = entry.item.bed, let info = entry.bedInfo, entry.length > 0 || live {
            let voice = VoiceSpec(start: entry.start, length: entry.length, slot: live ? VoiceSpec.onAir : 0, item: item,
                                  isBed: true, isOpenEnded: live)
            result = (voice, VoiceSource(path: bed, sampleRate: info.sampleRate, firstFrame: 0, frameCount: info.frames, loops: true))
        } else {
            result = (VoiceSpec(start: entry.start, length: entry.length, slot: VoiceSpec.noAudio, item: item,
                                isLive: entry.item.kind == .live), nil)
        }
        if live, let post = plan.posts.first(where: { $0.index == entry.item.index }) {
            result.0.postIsSoft = post.mode == .soft
            result.0.postFade = entry.fadeIn > 0 ? entry.fadeIn : plan.rundown.show.postFade.frames(at: plan.sampleRate)
        }
        return result
    }
}
