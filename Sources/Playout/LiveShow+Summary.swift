import Foundation
import Podcast
import Stream
import RegieModel
import Production

extension LiveShow {
    /// What happened, for the summary the command prints.
    package struct Summary {
        /// Frames from the show's first item to where it stopped.
        package var airedFrames: Int64
        /// The plan's fitted length.
        package var plannedFrames: Int64
        /// The show ended by itself (not stopped by a signal or a quit).
        package var ranToTheEnd: Bool
        /// Output under- and overruns the device counted.
        package var xruns: Int
        /// Frames of voice audio that came too late and played as silence.
        package var latePrefetchFrames: Int
        /// Device writes that failed for good.
        package var deviceFailures: Int
        /// The device took audio faster than real time: the show was paced by the clock.
        package var pacedByClockBecauseTheDeviceWasFast: Bool
        /// Key-to-programme delays of the technician's commands, nanoseconds.
        package var commandDelays: [Int64]
        /// What the playback device queues after the period being rendered, milliseconds.
        package var deviceQueueMilliseconds: Double
        /// The capture's measured round trip (programme out to the desk's return in), frames.
        package var roundTripFrames: Int64?
        /// The as-run log.
        package var asRunLog: URL?
        /// The recordings finalised.
        package var recordings: [LiveRecorder.Summary]
        /// Frames each recording lost against what it should hold (overruns, a disk error, a
        /// recorder that never wrote); empty when nothing was lost.
        package var lostFrames: [RecordingSource: Int64]
        /// Not the air date and slot: a rehearsal.
        package var isRehearsal: Bool
        /// Which recording the episode is made from.
        package var episodeSource: RecordingSource?
        /// The finished episode (normalised, tagged) and the seconds from the show's last frame to
        /// it (the recordings closed, the episode finished and, when it was, published).
        package var finished: (result: EpisodeFinisher.Result, seconds: Double)?
        /// Whether it was published.
        package var published: Bool
        /// Why it was not published by itself (empty when it was, or publishing was not asked).
        package var notPublishedBecause: [String]
        /// The command that publishes the finished episode anyway.
        package var publishCommand: String?
        /// What went wrong on air or after it (audio lost or played as silence, an alarm, the
        /// episode that could not be finished): each keeps the episode from publishing itself.
        /// Not the circumstances said before air (a rehearsal, no capture, missing metadata).
        package var faults: [String]
        /// How fast the sound card ran against the station's clock, parts per million (measured
        /// while on air; nil when it was not measured).
        package var deviceClockPPM: Double? = nil

        /// The web host, when the station names one and the episode was published.
        package var remote: RemoteResult? = nil
        /// Each Icecast mount at the end of the show (bytes sent, reconnections, last error).
        package var stream: [MountStatus] = []
        /// Frames the stream thread could not take in time (dropped from the stream only).
        package var streamOverrunFrames: Int64 = 0

        /// A recording lost audio: the exit status says so.
        package var recordingLostAudio: Bool { lostFrames.values.contains { $0 > 0 } }
    }

    /// What became of the mirror to the web host.
    package struct RemoteResult: Sendable {
        /// The web host.
        package var destination: RemoteDestination
        /// Mirrored, or left pending.
        package var outcome: RemotePublishOutcome
        /// The feed's public address fetched back after the mirror (nil: the show has no base_url).
        package var checkedAt: URL? = nil
        /// What the fetch-back found wrong (empty when all held).
        package var publicCopyProblems: [String] = []

        /// The far side is not (or not seen to be) what was published.
        package var needsAttention: Bool {
            if case .pending = outcome { return true }
            return !publicCopyProblems.isEmpty
        }
    }
}
