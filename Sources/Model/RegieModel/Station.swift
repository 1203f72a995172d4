/// The studio the shows air from (`station.yaml`, beside `shows/`): which devices the programme
/// goes out on and comes back from, and where recordings and the podcast go, so that the
/// technician types `regie play RUNDOWN`. Every value may be overridden by an option of the command.
package struct Station: Sendable {
    /// What a live show records.
    package enum Record: String, Sendable, CaseIterable {
        /// The programme bus (what Régie sends to the desk).
        case program
        /// The desk's programme return (the presenters' voices with the programme).
        case capture
        /// Both, in two files: the episode is made from the capture, the programme is kept.
        case both
        /// Nothing (the as-run log is still written).
        case none
    }

    /// The file it was read from, nil when there is none (every value then has its default).
    package var file: String?
    /// The station's name, for people.
    package var name: String?
    /// ALSA playback device (the desk's input).
    package var playback: String?
    /// ALSA capture device (the desk's programme return).
    package var capture: String?
    /// Period length, milliseconds.
    package var periodMilliseconds: Int?
    /// Periods in the device buffer.
    package var periods: Int?
    /// What to record (default: both when a capture device is named, else the programme).
    package var record: Record?
    /// Folder of the recordings and as-run logs (absolute).
    package var recordings: String?
    /// Folder of the published podcasts (absolute).
    package var publish: String?
    /// The web host the published folders are mirrored to after each publish (`remote:`).
    package var remote: RemoteDestination?
    /// The upload limit to the web host, kbit/s (`remote_limit_kbps:`); nil for none.
    package var remoteLimitKbps: Int?
    /// The Icecast mounts a live show streams to (`streams:`).
    package var streams: [StreamDestination] = []
    /// Where each key was written.
    package var locations: [String: SourceLocation]

    /// A station; `Station()` is no station file at all.
    package init(file: String? = nil, name: String? = nil, playback: String? = nil, capture: String? = nil,
                 periodMilliseconds: Int? = nil, periods: Int? = nil, record: Record? = nil, recordings: String? = nil,
                 publish: String? = nil, locations: [String: SourceLocation] = [:]) {
        self.file = file; self.name = name; self.playback = playback; self.capture = capture
        self.periodMilliseconds = periodMilliseconds; self.periods = periods; self.record = record
        self.recordings = recordings; self.publish = publish; self.locations = locations
    }

    /// What is recorded when nothing says otherwise: the desk's return and the programme when a
    /// capture device is known, else the programme alone.
    package var defaultRecord: Record { capture == nil ? .program : .both }
}
