import Foundation
import Realtime
import RegieModel

/// Renders a compiled programme as fast as the CPU allows: the same mixer the live engine runs,
/// paced by the availability of prefetched audio instead of by a sound card, so the samples are
/// the same.
package final class OfflineRenderer {
    /// Frames per render block.
    package let blockFrames: Int
    /// The program.
    package let program: CompiledProgram
    /// The mixer (exposes meters and counters).
    package let mixer: ProgrammeMixer
    private let rings: [SPSCRing<Float>]
    private let prefetcher: Prefetcher

    /// Prepares everything the render needs (allocation happens here, not while rendering).
    /// `analysisCores` places the loudness analysis thread (see `Prefetcher.AnalysisCores`); the
    /// prefetch thread inherits the CPUs of the thread that calls `run`.
    package init(program: CompiledProgram, cache: LoudnessCache, blockFrames: Int = 1024, ringSeconds: Double = 4,
                analysisCores: Prefetcher.AnalysisCores? = nil) {
        self.blockFrames = blockFrames
        self.program = program
        let show = program.plan.rundown.show
        let capacity = max(blockFrames * 4, Int(ringSeconds * Double(show.sampleRate))) * 2
        rings = (0..<program.slotCount).map { _ in SPSCRing<Float>(capacity: capacity) }
        mixer = ProgrammeMixer(sampleRate: show.sampleRate, voices: program.voices, rings: rings,
                               maxBlockFrames: blockFrames, truePeakCeiling: program.limiterCeiling,
                               ducking: program.ducking)
        prefetcher = Prefetcher(program: program, mixer: mixer, rings: rings, cache: cache,
                                targetLoudness: show.loudness, analysisCores: analysisCores)
    }

    /// Sources that failed while rendering (played as silence).
    package var faults: [String] { prefetcher.faults }
    /// Loudness measured for each source.
    package var measurements: [String: SourceLoudness] { prefetcher.measurements }

    /// Renders exactly `program.totalFrames` frames, handing each block (interleaved stereo) to
    /// `output` on the calling thread. The limiter's latency is compensated: the programme's
    /// first frame is the output's first frame. `output` may throw to abandon the render.
    package func run(output: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        prefetcher.start()
        defer { prefetcher.stop() }
        let total = program.totalFrames
        let latency = Int64(mixer.latencyFrames)
        let block = UnsafeMutablePointer<Float>.allocate(capacity: blockFrames * 2)
        defer { block.deallocate() }
        var rendered: Int64 = 0    // programme frames rendered (output lags by `latency`)
        var emitted: Int64 = 0     // output frames handed on
        while emitted < total {
            let frames = blockFrames
            mixer.prepare(frames: frames)
            while !mixer.isReady(frames: frames) { usleep(200) }
            mixer.render(into: block, frames: frames)
            rendered += Int64(frames)
            // The first `latency` frames out of the limiter precede the programme: skip them.
            let skip = max(0, min(Int64(frames), latency - (rendered - Int64(frames))))
            let usable = min(Int64(frames) - skip, total - emitted)
            if usable > 0 {
                try output(UnsafeBufferPointer(start: block + Int(skip) * 2, count: Int(usable) * 2))
                emitted += usable
            }
        }
        // The true peaks are measured at low priority while the render runs; let them finish so
        // every source is measured once and cached.
        prefetcher.waitForAnalysis()
    }
}
