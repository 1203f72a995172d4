// The compiled programme the render thread plays: plain data, allocated on the control side.
// No Foundation here (real-time rule 1).

/// One voice on the programme timeline: an item's audio (or a bed) with its envelope.
/// Frame positions are in the show's sample rate, from the top of the show.
public struct VoiceSpec: BitwiseCopyable, Sendable, Equatable {
    /// First frame on the programme timeline.
    package var start: Int64
    /// Length in frames (the source delivers exactly this many).
    package var length: Int64
    /// The sample ring that carries this voice's audio (voices sharing a slot never overlap);
    /// `VoiceSpec.noAudio` (-1) for an item with no audio (a live item without a bed: silence that
    /// still takes its time); `VoiceSpec.onAir` (-2) for audio whose ring the mixer assigns just
    /// before it is needed (live playout: the running order may change until then).
    package var slot: Int32
    /// The rundown item it belongs to (index from 0).
    package var item: Int32
    /// Fade-in (the item's `fade_in`), frames.
    package var fadeIn: Int64
    /// Fade-out (the item's `fade_out`), frames.
    package var fadeOut: Int64
    /// Crossfade overlap into this voice, frames (equal-power fade-in).
    package var crossfadeIn: Int64
    /// Crossfade overlap out of this voice, frames (equal-power fade-out).
    package var crossfadeOut: Int64
    /// A music bed under a live item: ducked from its start.
    package var isBed: Bool
    /// A live item (with or without a bed): in interactive playout it holds at its end until GO.
    package var isLive: Bool
    /// A jingle: GO does not cut it (its tail plays over the next item).
    package var isJingle: Bool
    /// The source loops with no end until the mixer cuts the voice (beds in live playout).
    package var isOpenEnded: Bool
    /// A post: the programme frame this voice must start at (hard) or become next at (soft), or -1.
    /// The control side moves it as the sound card's clock drifts against the station's.
    package var post: Int64 = -1
    /// Soft post (becomes next at `post`) rather than hard (starts at `post`).
    package var postIsSoft: Bool = false
    /// What is on air fades out over this many frames under a hard post.
    package var postFade: Int64 = 0

    /// `slot` of a voice without audio.
    package static let noAudio: Int32 = -1
    /// `slot` of a voice with audio whose ring is assigned on air.
    package static let onAir: Int32 = -2

    /// True when the voice has audio (in a ring, or in one to be assigned).
    @inline(__always) package var hasAudio: Bool { slot != Self.noAudio }
    /// True when the voice's ring is known.
    @inline(__always) package var hasRing: Bool { slot >= 0 }

    /// One past the last frame.
    @inline(__always) package var end: Int64 { start + length }

    /// A voice.
    public init(start: Int64, length: Int64, slot: Int32, item: Int32, fadeIn: Int64 = 0, fadeOut: Int64 = 0,
                crossfadeIn: Int64 = 0, crossfadeOut: Int64 = 0, isBed: Bool = false, isLive: Bool = false,
                isJingle: Bool = false, isOpenEnded: Bool = false) {
        self.start = start; self.length = length; self.slot = slot; self.item = item
        self.fadeIn = fadeIn; self.fadeOut = fadeOut; self.crossfadeIn = crossfadeIn
        self.crossfadeOut = crossfadeOut; self.isBed = isBed; self.isLive = isLive || isBed
        self.isJingle = isJingle; self.isOpenEnded = isOpenEnded
    }
}

/// Bed ducking under live items, in frames and decibels.
public struct DuckingSpec: BitwiseCopyable, Sendable, Equatable {
    /// Gain of a ducked bed, dB (negative).
    package var depth: Float
    /// Seconds to reach the ducked level.
    package var attack: Double
    /// Seconds to come back up; a bed also fades out over this time at the end of its item.
    package var release: Double

    /// A ducking setting.
    public init(depth: Float, attack: Double, release: Double) {
        self.depth = depth; self.attack = attack; self.release = release
    }
}
