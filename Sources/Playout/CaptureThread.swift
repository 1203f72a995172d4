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

    /// Reads `device` from the start and offers what it reads to `feed` once `recording` is
    /// raised; ends when `stop` (the show's) is raised or `stopAndWait` is called.
    init(device: ALSACaptureDevice, feed: RecorderFeed, stop: AtomicFlag, recording: AtomicFlag) {
        self.device = device
        self.feed = feed
        self.stop = stop
        self.recording = recording
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
                if recording.isRaised { feed.offer(UnsafeBufferPointer(start: buffer, count: frames * 2)) }
            }
        }
        thread.name = "regie-capture"
        thread.start()
    }

    /// Ends the thread after its current read and waits for it.
    func stopAndWait() {
        guard started else { return }
        finished.raise()
        done.wait()
        started = false
    }
}
