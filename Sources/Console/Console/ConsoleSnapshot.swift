import RegieModel

/// Everything the console shows at one refresh, as plain data. The live side fills one from the
/// engine's events and latest-value slots each refresh; the view model turns it into text.
/// Frame counts are at `sampleRate` and count from the top of the programme.
package struct ConsoleSnapshot: Sendable, Equatable {
    /// What became of one rundown item.
    package enum ItemState: String, Sendable, Equatable {
        /// Not aired yet.
        case pending
        /// Playing now.
        case onAir
        /// Aired and ended.
        case done
        /// Passed over by the technician (or skipped for a missing file).
        case skipped
        /// Dropped by the planner's fit (or later) and will not air.
        case dropped
    }

    /// The state of one rundown item, by rundown index.
    package struct ItemStatus: Sendable, Equatable {
        /// What became of it.
        package var state: ItemState
        /// Programme frame where it actually started.
        package var actualStart: Int64?
        /// How long it actually played, frames (set once it ended).
        package var actualLength: Int64?
        /// Wall-clock time it actually started, nanoseconds since the epoch (nil: derive it).
        package var startedAt: Int64?

        /// A status.
        package init(state: ItemState = .pending, actualStart: Int64? = nil, actualLength: Int64? = nil, startedAt: Int64? = nil) {
            self.state = state; self.actualStart = actualStart; self.actualLength = actualLength; self.startedAt = startedAt
        }
    }

    /// Programme meters.
    package struct Meters: Sendable, Equatable {
        /// Peak of the left channel since the last refresh, dBFS (-infinity for silence).
        package var peakLeft: Float
        /// Peak of the right channel since the last refresh, dBFS.
        package var peakRight: Float
        /// Short-term loudness (3 s), LUFS (-infinity for silence).
        package var shortTerm: Float
        /// Momentary loudness (400 ms), LUFS.
        package var momentary: Float

        /// Meters; silence by default.
        package init(peakLeft: Float = -.infinity, peakRight: Float = -.infinity,
                    shortTerm: Float = -.infinity, momentary: Float = -.infinity) {
            self.peakLeft = peakLeft; self.peakRight = peakRight; self.shortTerm = shortTerm; self.momentary = momentary
        }
    }

    /// The live recorder.
    package struct RecorderStatus: Sendable, Equatable {
        /// File being written.
        package var path: String
        /// Bytes written so far.
        package var bytes: Int64
        /// Programme frames recorded.
        package var elapsedFrames: Int64
        /// Blocks the recorder could not take in time.
        package var overruns: Int
        /// The recorder's last error (disk full, unwritable folder), if any.
        package var error: String?

        /// A recorder status.
        package init(path: String, bytes: Int64 = 0, elapsedFrames: Int64 = 0, overruns: Int = 0, error: String? = nil) {
            self.path = path; self.bytes = bytes; self.elapsedFrames = elapsedFrames; self.overruns = overruns; self.error = error
        }
    }

    /// One line of the status bar.
    package struct Alarm: Sendable, Equatable {
        /// How loud the console should be about it.
        package enum Severity: Int, Sendable, Comparable {
            /// For information.
            case info
            /// Needs attention.
            case warning
            /// Something is wrong on air.
            case alarm
            /// Orders by loudness.
            package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
        }
        /// How serious.
        package var severity: Severity
        /// One short sentence.
        package var text: String

        /// An alarm.
        package init(_ severity: Severity, _ text: String) { self.severity = severity; self.text = text }
    }

    /// One key of the cart wall.
    package struct CartStatus: Sendable, Equatable {
        /// The key ("1"–"9", "0", "F1"–"F12").
        package var key: String
        /// The cart's title.
        package var title: String
        /// True while it plays.
        package var playing: Bool
        /// Frames left while playing.
        package var remainingFrames: Int64

        /// A cart's status.
        package init(key: String, title: String, playing: Bool = false, remainingFrames: Int64 = 0) {
            self.key = key; self.title = title; self.playing = playing; self.remainingFrames = remainingFrames
        }
    }

    /// Wall clock at this refresh, nanoseconds since the Unix epoch.
    package var wallClock: Int64
    /// Offset of the local time shown from UTC, seconds.
    package var utcOffsetSeconds: Int
    /// Programme position, frames from the top.
    package var position: Int64
    /// The programme's sample rate.
    package var sampleRate: Int
    /// One status per rundown item (same order as `Plan.entries`).
    package var items: [ItemStatus]
    /// Rundown index of the item on air.
    package var currentIndex: Int?
    /// Rundown index of the item GO will start.
    package var nextIndex: Int?
    /// Frames the item on air has played, time paused left out (nil: derived from its actual start).
    package var itemElapsed: Int64?
    /// True once the programme has started and until it ends.
    package var onAir: Bool
    /// True while the programme is paused.
    package var paused: Bool
    /// Programme frame where the back-timed closer is planned to start.
    package var closerStart: Int64?
    /// Over (positive) or under (negative) the hard end, frames: projected end minus hard end.
    package var overUnder: Int64
    /// Programme meters.
    package var meters: Meters
    /// The recorder, nil when not recording.
    package var recorder: RecorderStatus?
    /// Output underruns and device errors recovered.
    package var xruns: Int
    /// Periods a voice played silence because its data was late.
    package var latePrefetch: Int
    /// Alarms for the status line, oldest first.
    package var alarms: [Alarm]
    /// The cart wall.
    package var carts: [CartStatus]
    /// True when ducking of beds is on.
    package var ducking: Bool
    /// True while the console asks whether to quit.
    package var quitPending: Bool

    /// The next post still to come: the item (id), when it is due on the wall clock, and whether
    /// it is soft (becomes next) rather than hard (starts over what is on air).
    package struct Post: Sendable, Equatable {
        package var id: Int
        package var wall: Int64
        package var soft: Bool
        package init(id: Int, wall: Int64, soft: Bool) { self.id = id; self.wall = wall; self.soft = soft }
    }

    /// A list the technician chooses from (what to insert): its heading, the choices, the one
    /// highlighted.
    package struct Picker: Sendable, Equatable {
        package var title: String
        package var choices: [String]
        package var selected: Int
        package init(title: String, choices: [String], selected: Int = 0) {
            self.title = title; self.choices = choices; self.selected = selected
        }
    }

    /// The next post, if any.
    package var nextPost: Post? = nil
    /// The item (id) the edit keys act on.
    package var selectedID: Int? = nil
    /// The insert list, while it is open.
    package var picker: Picker? = nil
    /// The cart wall shown in place of the running order.
    package var showsCartWall = false
    /// The listeners' stream to Icecast, as the console shows it.
    package struct StreamStatus: Sendable, Equatable {
        /// Mounts configured, and how many are up.
        package var mounts: Int
        package var connected: Int
        /// Listeners across the mounts, when Icecast said.
        package var listeners: Int?
        /// Audio bytes sent, all mounts together.
        package var bytesSent: Int64
        /// Connections made again after a loss.
        package var reconnects: Int
        package init(mounts: Int, connected: Int, listeners: Int? = nil, bytesSent: Int64 = 0, reconnects: Int = 0) {
            self.mounts = mounts; self.connected = connected; self.listeners = listeners
            self.bytesSent = bytesSent; self.reconnects = reconnects
        }
    }
    /// The stream, nil when the show does not stream.
    package var stream: StreamStatus? = nil
    /// After the air: what is being done with the show (recordings closed, episode finished and
    /// published, the web host), oldest first; nil while the show is on.
    package var afterAir: [Alarm]? = nil

    /// A snapshot; everything but the clock, rate and item count has a quiet default.
    package init(wallClock: Int64, utcOffsetSeconds: Int = 0, position: Int64 = 0, sampleRate: Int,
                items: [ItemStatus], currentIndex: Int? = nil, nextIndex: Int? = nil, itemElapsed: Int64? = nil,
                onAir: Bool = false, paused: Bool = false, closerStart: Int64? = nil, overUnder: Int64 = 0,
                meters: Meters = Meters(), recorder: RecorderStatus? = nil, xruns: Int = 0, latePrefetch: Int = 0,
                alarms: [Alarm] = [], carts: [CartStatus] = [], ducking: Bool = true, quitPending: Bool = false) {
        self.wallClock = wallClock; self.utcOffsetSeconds = utcOffsetSeconds; self.position = position
        self.sampleRate = sampleRate; self.items = items; self.currentIndex = currentIndex; self.nextIndex = nextIndex
        self.itemElapsed = itemElapsed; self.onAir = onAir; self.paused = paused; self.closerStart = closerStart
        self.overUnder = overUnder; self.meters = meters; self.recorder = recorder; self.xruns = xruns
        self.latePrefetch = latePrefetch; self.alarms = alarms; self.carts = carts; self.ducking = ducking
        self.quitPending = quitPending
    }

    /// The snapshot before the show starts: every item pending (dropped ones flagged), the first
    /// airing item next, the carts idle, the closer at its back-timed start (ending at the hard end).
    package static func standby(plan: Plan, wallClock: Int64, utcOffsetSeconds: Int) -> ConsoleSnapshot {
        let items = plan.entries.map { ItemStatus(state: $0.dropped ? .dropped : .pending) }
        let carts = plan.rundown.show.carts.map { CartStatus(key: $0.key, title: $0.title) }
        return ConsoleSnapshot(wallClock: wallClock, utcOffsetSeconds: utcOffsetSeconds, sampleRate: plan.sampleRate,
                               items: items, nextIndex: plan.entries.firstIndex { !$0.dropped },
                               closerStart: plan.backtimeIndex.map { plan.entries[$0].writtenStart },
                               overUnder: plan.overUnder, carts: carts)
    }
}
