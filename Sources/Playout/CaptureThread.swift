// The desk's programme return: a thread that reads the ALSA capture device from the moment it is
// opened (so its buffer never overruns while the show waits for GO) and hands what it reads to the
// capture recorder once the show has started.
import AudioIO
import Foundation
import Realtime
import Synchronization

/// Reads a capture device into a recorder's feed until stopped.
///
/// Threading: `start` and `stopAndWait` on the control thread; the reading thread owns the device
/// until `stopAndWait` returns. A read error ends the thread (counted in `readErrors`): the air
/// never depends on it.
final class CaptureThread: @unchecked Sendable {
    private let device: ALSACaptureDevice
    private let feed: RecorderFeed
    private let stop: AtomicFlag
    private let recording: AtomicFlag
    private let done = DispatchSemaphore(value: 0)
    private let finished = AtomicFlag()
    private var started = false
    /// Frames read from the device, recorded or not.
    let framesRead = Atomic<Int64>(0)
    /// Reads that failed for good (the thread then ends).
    let readErrors = Atomic<Int>(0)
    /// Frames read since the recording started: what the recording should hold.
    let framesRecorded = Atomic<Int64>(0)
    /// The programme frame the recording's first frame holds (what the desk sent back of it;
    /// negative when it holds what came before the programme's first frame), once `placed`.
    let firstRecordedFrame = Atomic<Int64>(0)
    /// Raised once the recording has started and its first frame is placed.
    let placed = AtomicFlag()
    /// Frames from a programme frame going out to the desk to its coming back in the recording:
    /// the playback queue + the capture queue + the period read, when measured.
    let roundTripFrames = Atomic<Int64>(0)
    private let playback: (device: ALSAPCMDevice, framesOut: @Sendable () -> Int64)?
    /// The listeners' stream when the desk's return is what they hear: every period read.
    private let stream: RecorderFeed?

    /// Reads `device` from the start and offers what it reads to `feed` once `recording` is
    /// raised; ends when `stop` (the show's) is raised or `stopAndWait` is called. With
    /// `playback` (the device the programme goes out on and the programme frames handed to it so
    /// far), the first recorded period is placed on the programme's timeline.
    init(device: ALSACaptureDevice, feed: RecorderFeed, stop: AtomicFlag, recording: AtomicFlag,
         playback: (device: ALSAPCMDevice, framesOut: @Sendable () -> Int64)? = nil, stream: RecorderFeed? = nil) {
        self.stream = stream
        self.device = device
        self.feed = feed
        self.stop = stop
        self.recording = recording
        self.playback = playback
    }

    /// Starts the reading thread.
    func start() {
        precondition(!started, "CaptureThread started twice")
        started = true
        let thread = Thread { [self] in
            Thread.current.name = "regie-capture"
            let frames = device.periodFrames
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: frames * 2)
            defer { buffer.deallocate(); done.signal() }
            while !stop.isRaised && !finished.isRaised {
                do throws(ALSAIOError) {
                    try device.read(into: buffer, frames: frames)
                } catch {
                    readErrors.add(1, ordering: .relaxed)
                    break
                }
                framesRead.add(Int64(frames), ordering: .relaxed)
                stream?.offer(UnsafeBufferPointer(start: buffer, count: frames * 2))
                guard recording.isRaised else { continue }
                if !placed.isRaised { placeFirstPeriod(frames: frames) }
                framesRecorded.add(Int64(frames), ordering: .relaxed)
                feed.offer(UnsafeBufferPointer(start: buffer, count: frames * 2))
            }
        }
        thread.name = "regie-capture"
        thread.start()
    }

    /// The first recorded period, just read: its first frame was captured `captured + frames`
    /// frames ago, when the playback device was sounding the frame `queued` before the last one
    /// handed to it. Without a playback device the recording starts at programme frame 0.
    private func placeFirstPeriod(frames: Int) {
        defer { placed.raise() }
        guard let playback else { return }
        let out = playback.framesOut()
        let queued = Int64(playback.device.delayFrames() ?? playback.device.bufferFrames)
        let captured = Int64(max(0, device.delayFrames() ?? 0))
        let roundTrip = max(0, queued) + captured + Int64(frames)
        roundTripFrames.store(roundTrip, ordering: .relaxed)
        firstRecordedFrame.store(out - roundTrip, ordering: .relaxed)
    }

    /// Ends the thread after its current read and waits for it.
    func stopAndWait() {
        guard started else { return }
        finished.raise()
        done.wait()
        started = false
    }
}
