// As-run events: plain data with indices into the plan; the log writer resolves the titles when
// it writes the line. The raw values are the names written in the log.

/// What happened on air (the line's `event`).
package enum AsRunEventKind: String, Sendable, CaseIterable {
    /// The log was opened (first line of a session; written by the log writer itself).
    case logOpened = "log_opened"
    /// A rundown item began to sound (`item`).
    case itemStarted = "item_started"
    /// A rundown item finished (its end, or the end of its fade-out).
    case itemEnded = "item_ended"
    /// The technician skipped an item (`item`): before it started (no chapter) or while on air.
    case itemSkipped = "item_skipped"
    /// The technician faded an item out (`item`); `detail` = fade length in frames.
    case itemFaded = "item_faded"
    /// An item was dropped (not aired): by the fit, or because its file is missing (`item`).
    case itemDropped = "item_dropped"
    /// A cart jingle was fired over the programme (`cart` = index in the show's cart wall);
    /// `detail` = frames from the programme position at the key press to the cart's first frame.
    case cartFired = "cart_fired"
    /// A playing cart was stopped (`cart`).
    case cartStopped = "cart_stopped"
    /// The programme was paused.
    case paused
    /// The programme resumed.
    case resumed
    /// A recorder started (`source`; for the capture, `detail` = the round trip in frames: its
    /// first frame is what the desk sent back of programme frame `position`).
    case recordingStarted = "recording_started"
    /// A recorder stopped (`source`).
    case recordingStopped = "recording_stopped"
    /// An alarm was raised (`alarm`; `item` the item concerned or -1).
    case alarm
    /// The show started (first frame of the programme).
    case showStarted = "show_started"
    /// The show ended.
    case showEnded = "show_ended"
    /// A hard post started its item at its time (`item`) over what was on air; `detail`: frames
    /// later the schedule would have reached it (0: on time, or waiting for GO).
    case postStarted = "post_started"
    /// A soft post made its item next at its time (`item`).
    case postMadeNext = "post_made_next"
    /// The running order was changed on air (`message` says how).
    case runningOrderChanged = "running_order_changed"
    /// The technician faded the bed of `item` out (the item went on).
    case bedFaded = "bed_faded"
}

/// Alarms that go to the as-run log (and the console's status line); the raw value is the line's
/// `alarm`.
package enum AsRunAlarm: String, Sendable, CaseIterable {
    /// An item's file is missing or undecodable; it was skipped.
    case missingFile = "missing_file"
    /// A recorder could not write (full disk, unwritable folder); `item` is -1, audio is dropped.
    case recorderDiskError = "recorder_disk_error"
    /// The programme was silent for more than 10 s.
    case silence
    /// The output device under- or overran.
    case xrun
    /// A voice's data was late; it played silence.
    case latePrefetch = "late_prefetch"
    /// The render thread found the recorder's ring full and dropped a block.
    case recorderOverrun = "recorder_overrun"
    /// An earlier run of this episode in the same folder ended without closing its log (killed,
    /// crashed, the machine lost power); logged by the next run, with that log's name.
    case earlierRunCutShort = "earlier_run_cut_short"
    /// The show started after its air time (on the air date); the posts and the hard end stay.
    case lateStart = "late_start"
    /// An Icecast mount was lost or could not be reached (the air and the recordings go on).
    case streamDown = "stream_down"
    /// An Icecast mount is streaming again after an outage.
    case streamBack = "stream_back"
}

/// What a recorder records; the raw value is the line's `source` and part of the file name.
package enum RecordingSource: String, Sendable, CaseIterable {
    /// The programme bus (what the engine sends to the desk).
    case program
    /// The ALSA capture device (the desk's programme return, with the presenters' voices).
    case capture

    /// `program` or `capture` (file names and log lines).
    package var name: String { rawValue }
}

/// One as-run event: plain data with indices into the plan. Titles are resolved when the line is
/// written.
package struct AsRunEvent: Sendable, Equatable {
    /// What happened.
    package var kind: AsRunEventKind
    /// Programme position, frames at the show's rate since the top of the show (the index of the
    /// programme frame the event belongs to; paused time included, as the recorder sees it).
    package var position: Int64
    /// Rundown item index (from 0), or -1.
    package var item: Int32
    /// Cart index in the show's cart wall (from 0), or -1.
    package var cart: Int32
    /// Kind-specific number: a fade's length, a cart's key-to-start delay (frames).
    package var detail: Int64
    /// The alarm, for `.alarm`.
    package var alarm: AsRunAlarm?
    /// The recorder, for `.recordingStarted` and `.recordingStopped`.
    package var source: RecordingSource?
    /// Wall clock, nanoseconds since 1970 (`WallClock`); 0 = stamp when the writer logs it.
    package var wallNanoseconds: Int64

    /// An event; `wallNanoseconds` defaults to 0 (stamped by the writer).
    package init(_ kind: AsRunEventKind, position: Int64, item: Int32 = -1, cart: Int32 = -1, detail: Int64 = 0,
                 source: RecordingSource? = nil, wallNanoseconds: Int64 = 0) {
        self.kind = kind
        self.position = position
        self.item = item
        self.cart = cart
        self.detail = detail
        self.source = source
        self.wallNanoseconds = wallNanoseconds
    }

    /// An alarm event.
    package static func alarm(_ alarm: AsRunAlarm, position: Int64, item: Int32 = -1,
                              wallNanoseconds: Int64 = 0) -> AsRunEvent {
        var event = AsRunEvent(.alarm, position: position, item: item, wallNanoseconds: wallNanoseconds)
        event.alarm = alarm
        return event
    }
}
