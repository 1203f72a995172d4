import AudioIO
import Foundation
import Realtime
import RegieModel
import Support
import Synchronization

/// Plays a compiled programme in real time: the same mixer as the offline render, on a render
/// thread paced by the ALSA device (or by the monotonic clock for devices that do not pace).
/// The program's `playout` decides the schedule: automation follows the fitted plan, interactive
/// waits for the technician's GO (`send`). What happened comes back on `mixer.events`.
package final class LivePlayer: @unchecked Sendable {
    /// The program playing.
    package let program: CompiledProgram
    /// The mixer (meters, counters).
    package let mixer: ProgrammeMixer
    /// The render loop (stop flag, frames out, failures).
    package let loop: RenderLoop
    private let prefetcher: Prefetcher
    private let cache: LoudnessCache
    /// Carts that could not be loaded (they stay silent).
    package let cartFailures: [CartLoader.Failure]
    /// Frames of each cart (0 for one that failed).
    package let cartFrames: [Int]

    /// Prepares playback of `program` to `device`.
    package init(program: CompiledProgram, cache: LoudnessCache, device: ALSAPlaybackDevice?, paceByClock: Bool,
                periodFrames: Int, ringSeconds: Double = 4, recorder: RecorderFeed? = nil, stream: RecorderFeed? = nil,
                wallClock: @escaping @Sendable () -> Int64 = WallClock.nanoseconds) {
        self.program = program
        self.cache = cache
        let show = program.plan.rundown.show
        let carts = CartLoader.load(show: show, cache: cache)
        cartFailures = carts.failures
        cartFrames = carts.audio.frameCounts
        let capacity = max(periodFrames * 8, Int(ringSeconds * Double(show.sampleRate))) * 2
        let rings = (0..<program.slotCount).map { _ in SPSCRing<Float>(capacity: capacity) }
        mixer = ProgrammeMixer(sampleRate: show.sampleRate, voices: program.voices, rings: rings,
                               maxBlockFrames: periodFrames, truePeakCeiling: program.limiterCeiling,
                               ducking: program.ducking, mode: program.playout ?? .automation, carts: carts.audio,
                               capacity: program.voiceCapacity)
        prefetcher = Prefetcher(program: program, mixer: mixer, rings: rings, cache: cache, targetLoudness: show.loudness)
        loop = RenderLoop(device: device, paceByClock: paceByClock, periodFrames: periodFrames, recorder: recorder,
                          stream: stream, wallClock: wallClock)
    }

    /// Plays to the end (or until `loop.stop` is raised). Every source is measured before the
    /// first sample airs, and the rings are filled before the render thread starts, so nothing
    /// is late at the top of the show. `onPriority` reports whether real-time scheduling was granted;
    /// `progress` is called on the calling (control) thread every `interval` ms (0: over and over,
    /// for a `progress` that waits by itself, such as the console's key read) with the frames out.
    package func run(interval: Int = 20, onPriority: @escaping @Sendable (Bool) -> Void = { _ in },
                    progress: (Int64) -> Void = { _ in }) {
        var measurements: [String: SourceLoudness] = [:]
        for path in Set(program.sources.compactMap { $0?.path }) { measurements[path] = try? cache.loudness(of: path) }
        cache.save()
        prefetcher.preload(measurements)
        prefetcher.start()
        defer { prefetcher.stop() }
        // The first block's commands, holds and rings, so that the first voices are prefetched
        // before the render thread starts.
        mixer.prepare(frames: loop.periodFrames)
        var waited = 0
        while !mixer.isReady(frames: loop.periodFrames * 4) && waited < 5000 { usleep(1000); waited += 1 }
        let finished = DispatchSemaphore(value: 0)
        let loop = self.loop, mixer = self.mixer
        // Automation ends with the plan (or sooner, if items were skipped); interactive playout
        // when the last item has ended, however long that takes.
        let total = program.playout == .interactive ? Int64.max : program.totalFrames
        let thread = Thread {
            Thread.current.name = "regie-render"   // named from inside: profiles and /proc show it
            onPriority(ThreadScheduling.requestRealtime())
            loop.run(mixer: mixer, total: total)
            finished.signal()
        }
        thread.name = "regie-render"
        thread.stackSize = 1 << 20
        thread.start()
        while finished.wait(timeout: .now() + .milliseconds(interval)) == .timedOut {
            progress(Int64(loop.framesOut.load(ordering: .relaxed)))
        }
        progress(Int64(loop.framesOut.load(ordering: .relaxed)))
    }

    /// Sources that failed while airing (played as silence); any thread.
    package var faults: [String] { prefetcher.faults }

    /// Control side: a voice inserted on air plays `source` (see `Prefetcher.add`).
    package func addVoice(_ index: Int, source: VoiceSource, length: Int64, loudness: SourceLoudness) {
        prefetcher.add(voice: index, source: source, length: length, loudness: loudness)
    }

    /// Control side: a file's loudness, measured once and cached (a file inserted on air is
    /// measured before its edit is sent).
    package func loudness(of path: String) -> SourceLoudness {
        (try? cache.loudness(of: path)) ?? SourceLoudness(integrated: program.plan.rundown.show.loudness, truePeak: nil)
    }

    /// Sends a command to the render thread (call from one control thread only); false when the
    /// queue is full. The prefetch thread is woken too: the command may cut a voice.
    @discardableResult
    package func send(_ command: EngineCommand) -> Bool {
        let sent = mixer.commands.push(command)
        prefetcher.nudge()
        return sent
    }
}
