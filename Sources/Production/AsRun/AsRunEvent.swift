// As-run events: fixed-size plain data with indices into the plan; the log writer resolves the
// titles when it writes the line.

/// What happened on air.
package enum AsRunEventKind: UInt8, BitwiseCopyable, Sendable, CaseIterable {
    /// The log was opened (first line of a session; written by the log writer itself).
    case logOpened = 0
    /// A rundown item began to sound (`item`).
    case itemStarted = 1
    /// A rundown item finished (its end, or the end of its fade-out).
    case itemEnded = 2
    /// The technician skipped an item (`item`): before it started (no chapter) or while on air.
    case itemSkipped = 3
    /// The technician faded an item out (`item`); `detail` = fade length in frames.
    case itemFaded = 4
    /// An item was dropped (not aired): by the fit, or because its file is missing (`item`).
    case itemDropped = 5
    /// A cart jingle was fired over the programme (`cart` = index in the show's cart wall);
    /// `detail` = frames from the programme position at the key press to the cart's first frame.
    case cartFired = 6
    /// A playing cart was stopped (`cart`).
    case cartStopped = 7
    /// The programme was paused.
    case paused = 8
    /// The programme resumed.
    case resumed = 9
    /// A recorder started; `detail` = `RecordingSource` raw value.
    case recordingStarted = 10
    /// A recorder stopped; `detail` = `RecordingSource` raw value.
    case recordingStopped = 11
    /// An alarm was raised; `detail` = `AsRunAlarm` raw value, `item` the item concerned or -1.
    case alarm = 12
    /// The show started (first frame of the programme).
    case showStarted = 13
    /// The show ended.
    case showEnded = 14

    /// The name written in the log's `event` field.
    package var name: String {
        switch self {
        case .logOpened: "log_opened"
        case .itemStarted: "item_started"
        case .itemEnded: "item_ended"
        case .itemSkipped: "item_skipped"
        case .itemFaded: "item_faded"
        case .itemDropped: "item_dropped"
        case .cartFired: "cart_fired"
        case .cartStopped: "cart_stopped"
        case .paused: "paused"
        case .resumed: "resumed"
        case .recordingStarted: "recording_started"
        case .recordingStopped: "recording_stopped"
        case .alarm: "alarm"
        case .showStarted: "show_started"
        case .showEnded: "show_ended"
        }
    }

    /// The kind named `name` in a log line.
    package init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }
}

/// Alarms that go to the as-run log (and the console's status line).
package enum AsRunAlarm: UInt8, BitwiseCopyable, Sendable, CaseIterable {
    /// An item's file is missing or undecodable; it was skipped.
    case missingFile = 1
    /// A recorder could not write (full disk, unwritable folder); `item` is -1, audio is dropped.
    case recorderDiskError = 2
    /// The programme was silent for more than 10 s.
    case silence = 3
    /// The output device under- or overran.
    case xrun = 4
    /// A voice's data was late; it played silence.
    case latePrefetch = 5
    /// The render thread found the recorder's ring full and dropped a block.
    case recorderOverrun = 6

    /// The name written in the log's `alarm` field.
    package var name: String {
        switch self {
        case .missingFile: "missing_file"
        case .recorderDiskError: "recorder_disk_error"
        case .silence: "silence"
        case .xrun: "xrun"
        case .latePrefetch: "late_prefetch"
        case .recorderOverrun: "recorder_overrun"
        }
    }

    /// The alarm named `name` in a log line.
    package init?(name: String) {
        guard let alarm = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = alarm
    }
}

/// What a recorder records.
package enum RecordingSource: UInt8, BitwiseCopyable, Sendable, CaseIterable {
    /// The programme bus (what the engine sends to the desk).
    case program = 0
    /// The ALSA capture device (the desk's programme return, with the presenters' voices).
    case capture = 1

    /// `program` or `capture` (file names and log lines).
    package var name: String { self == .program ? "program" : "capture" }
}

/// One as-run event: plain data with indices into the plan. Titles are resolved when the line is
/// written.
package struct AsRunEvent: BitwiseCopyable, Sendable, Equatable {
    /// What happened.
    package var kind: AsRunEventKind
    /// Programme position, frames at the show's rate since the top of the show (the index of the
    /// programme frame the event belongs to; paused time included, as the recorder sees it).
    package var position: Int64
    /// Rundown item index (from 0), or -1.
    package var item: Int32
    /// Cart index in the show's cart wall (from 0), or -1.
    package var cart: Int32
    /// Kind-specific number: fade length (frames), `AsRunAlarm` or `RecordingSource` raw value.
    package var detail: Int64
    /// Wall clock, nanoseconds since 1970 (`WallClock`); 0 = stamp when the writer logs it.
    package var wallNanoseconds: Int64

    /// An event; `wallNanoseconds` defaults to 0 (stamped by the writer).
    package init(_ kind: AsRunEventKind, position: Int64, item: Int32 = -1, cart: Int32 = -1, detail: Int64 = 0,
                wallNanoseconds: Int64 = 0) {
        self.kind = kind
        self.position = position
        self.item = item
        self.cart = cart
        self.detail = detail
        self.wallNanoseconds = wallNanoseconds
    }

    /// An alarm event.
    package static func alarm(_ alarm: AsRunAlarm, position: Int64, item: Int32 = -1,
                             wallNanoseconds: Int64 = 0) -> AsRunEvent {
        AsRunEvent(.alarm, position: position, item: item, detail: Int64(alarm.rawValue), wallNanoseconds: wallNanoseconds)
    }
}
