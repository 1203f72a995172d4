// The live render thread's loop: render a period, hand it to the device (which blocks until it
// has room: that is the pacing), or sleep until the period's deadline on the monotonic clock when
// the device does not pace (ALSA `null`, `file`, or any plugin chain that ends in one). No
// Foundation here (real-time rule 1).
import AudioIO
import Glibc
import Support
import Realtime
import Synchronization

/// The device sounding programme frame `sounding` at wall-clock time `wallNanoseconds`.
package struct ClockSample: BitwiseCopyable, Sendable {
    package var wallNanoseconds: Int64
    package var sounding: Int64
}

/// Runs the mixer in real time on the calling thread (the render thread).
package final class RenderLoop: @unchecked Sendable {
    /// Where the programme goes.
    package let device: ALSAPlaybackDevice?
    /// Sleep to the monotonic clock between periods (for devices that accept data instantly).
    package let paceByClock: Bool
    /// Raised when the device took data faster than real time and the loop went over to the
    /// monotonic clock (a `null` or `file` device behind another name or plugin chain), or when
    /// the device failed for good.
    package let pacedByClockSinceStart = AtomicFlag()
    /// Frames per period.
    package let periodFrames: Int
    /// Raised by the control side to stop after the current period.
    package let stop = AtomicFlag()
    /// Programme frames handed to the device so far.
    package let framesOut = Atomic<Int>(0)
    /// Device writes that failed for good (the loop goes on, paced by the clock from then on).
    package let deviceFailures = Atomic<Int>(0)
    /// Where the programme is recorded, if it is (the recorder thread drains it).
    package let recorder: RecorderFeed?
    /// The listeners' stream, if the programme is what they hear: every period from the first,
    /// silence before the show included (an Icecast mount with no data is dropped by the server).
    package let stream: RecorderFeed?
    /// After each period handed on: the wall-clock time and the programme frame sounding then
    /// (frames out less the device's queue), for `DeviceClock` (one consumer: the control thread;
    /// when it falls behind, samples are dropped, which costs the clock nothing).
    package let clockSamples = SPSCQueue<ClockSample>(capacity: 1024)

    /// The station's clock, ns since 1970 (the clock samples' times).
    private let wallClock: @Sendable () -> Int64

    /// A loop writing to `device` (nil: no output, clock pacing only), offering each period to
    /// `recorder`; `wallClock` stamps the clock samples (read on the render thread: a vDSO
    /// clock read, nothing that blocks).
    package init(device: ALSAPlaybackDevice?, paceByClock: Bool, periodFrames: Int, recorder: RecorderFeed? = nil,
                 stream: RecorderFeed? = nil, wallClock: @escaping @Sendable () -> Int64 = WallClock.nanoseconds) {
        self.device = device
        self.recorder = recorder
        self.stream = stream
        self.wallClock = wallClock
        self.paceByClock = paceByClock || device == nil
        self.periodFrames = periodFrames
    }

    /// Renders `total` frames of programme (the limiter's latency removed, as offline, so live
    /// and offline output are the same samples), or up to the programme's end if it comes sooner
    /// (items skipped, the last GO), or until `stop` is raised.
    package func run(mixer: ProgrammeMixer, total: Int64) {
        var total = total
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: periodFrames * 2)
        defer { buffer.deallocate() }
        let latency = Int64(mixer.latencyFrames)
        let rate = Int64(mixer.sampleRate)
        var rendered: Int64 = 0
        var emitted: Int64 = 0
        var clockFrames: Int64 = 0
        var start = MonotonicClock.nanoseconds()
        var pacing = paceByClock
        // A device may accept, at most, its buffer plus what it played since the start: more than
        // that (with half a second of slack for scheduling) and it is not a clock at all.
        let slack = Int64(device?.bufferFrames ?? 0) + rate / 2
        var accepted: Int64 = 0
        while emitted < total && !stop.isRaised {
            mixer.render(into: buffer, frames: periodFrames)
            if mixer.finishedAt >= 0 { total = min(total, mixer.finishedAt) }
            rendered += Int64(periodFrames)
            let skip = max(0, min(Int64(periodFrames), latency - (rendered - Int64(periodFrames))))
            let usable = Int(min(Int64(periodFrames) - skip, total - emitted))
            if usable > 0 {
                if let device {
                    do throws(ALSAIOError) {
                        try device.write(interleaved: buffer + Int(skip) * 2, frames: usable)
                        accepted += Int64(usable)
                    } catch {
                        deviceFailures.add(1, ordering: .relaxed)
                        if !pacing { pacing = true; start = MonotonicClock.nanoseconds(); clockFrames = 0; pacedByClockSinceStart.raise() }
                    }
                    if !pacing && accepted > (MonotonicClock.nanoseconds() - start) * rate / 1_000_000_000 + slack {
                        pacing = true
                        start = MonotonicClock.nanoseconds()
                        clockFrames = 0
                        pacedByClockSinceStart.raise()
                    }
                }
                // The recording starts with the show (not with the wait for the first GO).
                let recordFrom = mixer.showStart
                if let recorder, recordFrom >= 0, recordFrom < emitted + Int64(usable) {
                    let first = Int(max(0, recordFrom - emitted))
                    recorder.offer(UnsafeBufferPointer(start: buffer + (Int(skip) + first) * 2, count: (usable - first) * 2))
                }
                stream?.offer(UnsafeBufferPointer(start: buffer + Int(skip) * 2, count: usable * 2))
                emitted += Int64(usable)
                framesOut.store(Int(emitted), ordering: .relaxed)
                // The queue's depth is an ioctl on a sound card, a lookup on a plugin; never a wait.
                let queued = pacing ? 0 : Int64(device?.delayFrames() ?? 0)
                // While the device's buffer first fills, writes return at once and its queue is
                // not yet a clock: samples start once it has played a buffer's worth.
                if pacing || emitted >= 2 * Int64(device?.bufferFrames ?? 0) {
                    _ = clockSamples.push(ClockSample(wallNanoseconds: wallClock(), sounding: emitted - queued))
                }
            }
            if pacing {
                clockFrames += Int64(periodFrames)
                SystemCall.sleep(untilMonotonic: start + clockFrames * 1_000_000_000 / rate)
            }
        }
    }
}
