/// What the planner needs to know of an audio file (read by the audio layer with libsndfile).
package struct AudioSourceInfo: Sendable, Hashable {
    /// Length in frames at the file's own rate.
    package var frames: Int64
    /// The file's sample rate.
    package var sampleRate: Int
    /// Channel count.
    package var channels: Int
    /// A description of the format, for messages.
    package var format: String

    /// Info of one file.
    package init(frames: Int64, sampleRate: Int, channels: Int, format: String) {
        self.frames = frames; self.sampleRate = sampleRate; self.channels = channels; self.format = format
    }
}

/// The part of a file an item plays, in the file's own frames.
package struct SourceSpan: Sendable, Hashable {
    /// Absolute path.
    package var path: String
    /// The file's sample rate.
    package var sampleRate: Int
    /// First frame played (cue in).
    package var firstFrame: Int64
    /// One past the last frame played (cue out).
    package var endFrame: Int64
    /// Channel count of the file.
    package var channels: Int
}

/// The timeline of a rundown in frames at the show's sample rate: the producer's timing sheet, and
/// the schedule the engine plays.
///
/// Two schedules are kept. *As written*: every item at its written length. *Fitted*: what airs and
/// what `regie render` renders — live items squeezed or stretched within `min`/`max` and optional
/// items dropped so that the show ends at the hard end when it can. Both are contiguous: each item
/// starts where the previous one ends, less the crossfade overlap into it.
package struct Plan: Sendable {
    /// One item on the timeline.
    package struct Entry: Sendable {
        /// The rundown item.
        package var item: Item
        /// Length as written, frames.
        package var writtenLength: Int64
        /// Start as written (back-timed for the back-timed item), frames from the top.
        package var writtenStart: Int64
        /// Overlap from the previous item as written.
        package var writtenOverlap: Int64
        /// True when the fit drops this item (an optional one, or one a post cut off).
        package var dropped: Bool
        /// A post cut this item short (it fades out under the post) or dropped it.
        package var cutAtPost = false
        /// Fitted length (differs from written for squeezed or stretched live items).
        package var length: Int64
        /// Fitted start, frames from the top of the show.
        package var start: Int64
        /// Fitted overlap from the previous item that airs.
        package var overlap: Int64
        /// The audio the item plays; nil for live items.
        package var source: SourceSpan?
        /// Fade-in length, frames.
        package var fadeIn: Int64
        /// Fade-out length, frames.
        package var fadeOut: Int64
        /// The facts of a live item's bed file, when it has one.
        package var bedInfo: AudioSourceInfo?

        /// Fitted end.
        package var end: Int64 { start + length }
        /// How much the fit changed a live item's length.
        package var adjustment: Int64 { dropped ? 0 : length - writtenLength }
    }

    /// The rundown planned.
    package var rundown: Rundown
    /// The show's sample rate: every frame count here is at this rate.
    package var sampleRate: Int
    /// The items in rundown order (dropped ones included, flagged).
    package var entries: [Entry]
    /// The slot, frames; the hard end is at this offset.
    package var slot: Int64
    /// Total as written: the end of the last item with every item at its written length.
    package var writtenTotal: Int64
    /// Total of the fitted schedule: the length of the render.
    package var total: Int64
    /// Index of the back-timed item, if any.
    package var backtimeIndex: Int?
    /// The posts (fixed-time items and the back-timed closer), in running order, as fitted.
    package var posts: [Post] = []

    /// A fixed time the show must meet: an item with `at`, or the back-timed closer.
    package struct Post: Sendable, Equatable {
        /// The item (rundown index).
        package var index: Int
        /// Its time, frames from the top of the show.
        package var target: Int64
        /// Hard (starts at its time whatever is on air) or soft (becomes next at its time).
        package var mode: PostMode
        /// Where it starts in the fitted schedule: its time, earlier when the items before it run
        /// short, later for a soft post they overrun.
        package var start: Int64 = 0
        /// How far the items before it, fitted, run over its time (0 when they do not).
        package var overrun: Int64 = 0
        /// The item a hard post cut short, if any.
        package var cutItem: Int?
        /// Items the post dropped (they would have started after its time).
        package var droppedItems: [Int] = []
        /// As written (every item at its written length, each stretch from its post): the time
        /// left to fill before it (negative: to remove).
        package var writtenGap: Int64 = 0

        package init(index: Int, target: Int64, mode: PostMode) {
            self.index = index; self.target = target; self.mode = mode
        }
    }

    /// The gap before the back-timed item (or before the hard end without one) as written:
    /// positive = time to fill, negative = overlap to remove.
    package var writtenGap: Int64 { slot - writtenTotal }
    /// Over (positive) or under (negative) the slot, as written.
    package var writtenOverUnder: Int64 { writtenTotal - slot }
    /// Over (positive) or under (negative) the slot once fitted.
    package var overUnder: Int64 { total - slot }
    /// Entries that air (not dropped).
    package var airing: [Entry] { entries.filter { !$0.dropped } }
    /// Entries the fit drops.
    package var droppedEntries: [Entry] { entries.filter(\.dropped) }
    /// Live entries whose length the fit changed.
    package var adjustedEntries: [Entry] { entries.filter { !$0.dropped && !$0.cutAtPost && $0.adjustment != 0 } }
}
