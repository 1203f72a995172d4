/// What the planner needs to know of an audio file (read by the audio layer with libsndfile).
public struct AudioSourceInfo: Sendable, Hashable {
    /// Length in frames at the file's own rate.
    public var frames: Int64
    /// The file's sample rate.
    public var sampleRate: Int
    /// Channel count.
    public var channels: Int
    /// A description of the format, for messages.
    public var format: String

    /// Info of one file.
    public init(frames: Int64, sampleRate: Int, channels: Int, format: String) {
        self.frames = frames; self.sampleRate = sampleRate; self.channels = channels; self.format = format
    }
}

/// The part of a file an item plays, in the file's own frames.
public struct SourceSpan: Sendable, Hashable {
    /// Absolute path.
    public var path: String
    /// The file's sample rate.
    public var sampleRate: Int
    /// First frame played (cue in).
    public var firstFrame: Int64
    /// One past the last frame played (cue out).
    public var endFrame: Int64
    /// Channel count of the file.
    public var channels: Int
}

/// The timeline of a rundown in frames at the show's sample rate: the producer's timing sheet, and
/// the schedule the engine plays.
///
/// Two schedules are kept. *As written*: every item at its written length. *Fitted*: what airs and
/// what `regie render` renders — live items squeezed or stretched within `min`/`max` and optional
/// items dropped so that the show ends at the hard end when it can. Both are contiguous: each item
/// starts where the previous one ends, less the crossfade overlap into it.
public struct Plan: Sendable {
    /// One item on the timeline.
    public struct Entry: Sendable {
        /// The rundown item.
        public var item: Item
        /// Length as written, frames.
        public var writtenLength: Int64
        /// Start as written (back-timed for the back-timed item), frames from the top.
        public var writtenStart: Int64
        /// Overlap from the previous item as written.
        public var writtenOverlap: Int64
        /// True when the fit drops this optional item.
        public var dropped: Bool
        /// Fitted length (differs from written for squeezed or stretched live items).
        public var length: Int64
        /// Fitted start, frames from the top of the show.
        public var start: Int64
        /// Fitted overlap from the previous item that airs.
        public var overlap: Int64
        /// The audio the item plays; nil for live items.
        public var source: SourceSpan?
        /// Fade-in length, frames.
        public var fadeIn: Int64
        /// Fade-out length, frames.
        public var fadeOut: Int64
        /// The facts of a live item's bed file, when it has one.
        public var bedInfo: AudioSourceInfo?

        /// Fitted end.
        public var end: Int64 { start + length }
        /// How much the fit changed a live item's length.
        public var adjustment: Int64 { dropped ? 0 : length - writtenLength }
    }

    /// The rundown planned.
    public var rundown: Rundown
    /// The show's sample rate: every frame count here is at this rate.
    public var sampleRate: Int
    /// The items in rundown order (dropped ones included, flagged).
    public var entries: [Entry]
    /// The slot, frames; the hard end is at this offset.
    public var slot: Int64
    /// Total as written: the end of the last item with every item at its written length.
    public var writtenTotal: Int64
    /// Total of the fitted schedule: the length of the render.
    public var total: Int64
    /// Index of the back-timed item, if any.
    public var backtimeIndex: Int?

    /// The gap before the back-timed item (or before the hard end without one) as written:
    /// positive = time to fill, negative = overlap to remove.
    public var writtenGap: Int64 { slot - writtenTotal }
    /// Over (positive) or under (negative) the slot, as written.
    public var writtenOverUnder: Int64 { writtenTotal - slot }
    /// Over (positive) or under (negative) the slot once fitted.
    public var overUnder: Int64 { total - slot }
    /// Entries that air (not dropped).
    public var airing: [Entry] { entries.filter { !$0.dropped } }
    /// Entries the fit drops.
    public var droppedEntries: [Entry] { entries.filter(\.dropped) }
    /// Live entries whose length the fit changed.
    public var adjustedEntries: [Entry] { entries.filter { !$0.dropped && $0.adjustment != 0 } }
}
