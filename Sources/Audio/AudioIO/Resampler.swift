// Sample-rate conversion through libsoxr, and a reader that decodes and resamples a file (or a
// cued part of it) to an exact number of output frames. Prefetch threads only.
import CSoxr

/// Streaming stereo Float32 (interleaved) resampler, soxr "high quality" (20-bit, linear phase).
///
/// Delay: soxr compensates its filter delay, so output frame j corresponds to input time
/// j·inRate/outRate: no frames need trimming at the start. While streaming it holds back about
/// `pendingFrames` output frames until more input arrives or `drain` is called.
///
/// Threading: one thread at a time. Allocates only in `init`.
package final class Resampler: @unchecked Sendable {
    /// Input frames per second.
    package let inputRate: Int
    /// Output frames per second.
    package let outputRate: Int
    private let soxr: soxr_t
    private var ended = false

    /// Output length for `inputFrames` resampled from `inputRate` to `outputRate`: round half up
    /// of inputFrames·outputRate/inputRate. The planner times items with this same formula.
    package static func outputFrames(inputFrames: Int64, inputRate: Int, outputRate: Int) -> Int64 {
        (inputFrames * Int64(outputRate) + Int64(inputRate / 2)) / Int64(inputRate)
    }

    /// Creates a stereo resampler; fails only on invalid rates (message from soxr).
    package init(inputRate: Int, outputRate: Int) throws(ResamplerError) {
        guard inputRate > 0, outputRate > 0 else { throw ResamplerError(message: "invalid rates \(inputRate) → \(outputRate)") }
        self.inputRate = inputRate
        self.outputRate = outputRate
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        let created = soxr_create(Double(inputRate), Double(outputRate), 2, &error, &io, &quality, nil)
        if let error { throw ResamplerError(message: String(cString: error)) }
        guard let created else { throw ResamplerError(message: "soxr_create failed") }
        soxr = created
    }

    deinit {
        soxr_delete(soxr)
    }

    /// Output frames currently held inside the filter (soxr_delay).
    package var pendingFrames: Double { soxr_delay(soxr) }

    /// Feeds up to `frames` input frames and writes at most `capacity` output frames; returns
    /// how many input frames were consumed and output frames produced. Unconsumed input must be
    /// offered again.
    package func process(input: UnsafePointer<Float>, frames: Int, output: UnsafeMutablePointer<Float>, capacity: Int) -> (consumed: Int, produced: Int) {
        var consumed = 0, produced = 0
        _ = soxr_process(soxr, input, frames, &consumed, output, capacity, &produced)
        return (consumed, produced)
    }

    /// After the last input: writes up to `capacity` remaining output frames; 0 when empty.
    package func drain(output: UnsafeMutablePointer<Float>, capacity: Int) -> Int {
        ended = true
        var produced = 0
        _ = soxr_process(soxr, nil, 0, nil, output, capacity, &produced)
        return produced
    }

    /// Forgets all state so the resampler can start a new stream (e.g. after a seek).
    package func reset() {
        _ = soxr_clear(soxr)
        ended = false
    }

    /// Resamples the whole file at `path` to `outputRate`, returning exactly
    /// `outputFrames(inputFrames:inputRate:outputRate:)` interleaved stereo frames.
    package static func resampleFile(path: String, outputRate: Int) throws(AudioFileError) -> [Float] {
        let reader = try ResampledFileReader(path: path, outputRate: outputRate)
        var samples = [Float](repeating: 0, count: Int(reader.outputFrames) * 2)
        var done = 0
        samples.withUnsafeMutableBufferPointer { buffer in
            while done < Int(reader.outputFrames) {
                let n = reader.read(into: buffer.baseAddress! + done * 2, frames: Int(reader.outputFrames) - done)
                if n == 0 { break }
                done += n
            }
        }
        return samples
    }
}

/// A resampler that could not be created.
package struct ResamplerError: Error, CustomStringConvertible {
    /// soxr's explanation.
    package var message: String
    /// One sentence.
    package var description: String { "Cannot create resampler: \(message)." }
}

/// Decodes a file (from `startFrame`, for `frameCount` source frames) and resamples it to
/// `outputRate`, delivering exactly `outputFrames` interleaved stereo frames: the resampler's
/// tail is trimmed, or silence padded, at the end. Same rates bypass soxr (bit-exact decode).
///
/// Threading: one thread at a time (a prefetch thread). Allocates only in `init`.
package final class ResampledFileReader: @unchecked Sendable {
    /// The underlying decoder.
    package let decoder: SndFileDecoder
    /// Output frames per second.
    package let outputRate: Int
    /// Source frames this reader covers.
    package let sourceFrames: Int64
    /// Exact number of output frames it delivers.
    package let outputFrames: Int64
    /// Output frames delivered so far.
    package private(set) var deliveredFrames: Int64 = 0

    private let resampler: Resampler?
    private var sourceLeft: Int64
    private let chunkFrames = 4096
    private let input: UnsafeMutablePointer<Float>
    private var inputOffset = 0
    private var inputFill = 0
    private var inputEnded = false

    /// Opens `path`; `startFrame` and `frameCount` are in source frames (clamped to the file).
    package init(path: String, outputRate: Int, startFrame: Int64 = 0, frameCount: Int64? = nil) throws(AudioFileError) {
        decoder = try SndFileDecoder(path: path)
        self.outputRate = outputRate
        let start = max(0, min(startFrame, decoder.info.frames))
        sourceFrames = max(0, min(frameCount ?? Int64.max, decoder.info.frames - start))
        sourceLeft = sourceFrames
        outputFrames = Resampler.outputFrames(inputFrames: sourceFrames, inputRate: decoder.info.sampleRate, outputRate: outputRate)
        if start > 0 { try decoder.seek(toFrame: start) }
        if decoder.info.sampleRate == outputRate {
            resampler = nil
        } else {
            do {
                resampler = try Resampler(inputRate: decoder.info.sampleRate, outputRate: outputRate)
            } catch {
                throw .unreadable(path, error.message)
            }
        }
        input = .allocate(capacity: chunkFrames * 2)
    }

    deinit {
        input.deallocate()
    }

    /// True once all `outputFrames` have been delivered.
    package var isFinished: Bool { deliveredFrames >= outputFrames }

    /// Writes up to `frames` output frames into `destination` (room for `frames * 2` floats);
    /// returns frames written, 0 once `outputFrames` have been delivered.
    package func read(into destination: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let want = Int(min(Int64(frames), outputFrames - deliveredFrames))
        var produced = 0
        while produced < want {
            let room = want - produced
            let out = destination + produced * 2
            var n = 0
            if let resampler {
                if inputFill == 0 && !inputEnded {
                    let count = Int(min(Int64(chunkFrames), sourceLeft))
                    let got = count > 0 ? decoder.read(into: input, frames: count) : 0
                    sourceLeft -= Int64(got)
                    inputOffset = 0
                    inputFill = got
                    if got == 0 { inputEnded = true }
                }
                if inputFill > 0 {
                    let r = resampler.process(input: input + inputOffset * 2, frames: inputFill, output: out, capacity: room)
                    inputOffset += r.consumed
                    inputFill -= r.consumed
                    n = r.produced
                    if r.consumed == 0 && r.produced == 0 { inputEnded = true }  // defensive: never spin
                    produced += n
                    continue
                }
                n = resampler.drain(output: out, capacity: room)
            } else {
                let count = Int(min(Int64(room), sourceLeft))
                n = count > 0 ? decoder.read(into: out, frames: count) : 0
                sourceLeft -= Int64(n)
            }
            if n == 0 {
                // Source (and filter) exhausted early: pad with silence to the exact length.
                out.update(repeating: 0, count: room * 2)
                n = room
            }
            produced += n
        }
        deliveredFrames += Int64(produced)
        return produced
    }
}
