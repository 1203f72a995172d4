import AudioIO
import Realtime
import Foundation
import Testing
import TestSupport

@Suite struct ResamplerTests {
    @Test func outputFrameFormulaRoundsHalfUp() {
        #expect(Resampler.outputFrames(inputFrames: 96000, inputRate: 48000, outputRate: 44100) == 88200)
        // 48001 · 44100 / 48000 = 44100.91875 → 44101
        #expect(Resampler.outputFrames(inputFrames: 48001, inputRate: 48000, outputRate: 44100) == 44101)
        // 1 · 44100 / 88200 = 0.5 → rounds up to 1
        #expect(Resampler.outputFrames(inputFrames: 1, inputRate: 88200, outputRate: 44100) == 1)
        #expect(Resampler.outputFrames(inputFrames: 3, inputRate: 48000, outputRate: 44100) == 3)
    }

    /// Clicks at source frames k (48 kHz) land at round(k·44100/48000) ± 1 at 44.1 kHz, and the
    /// output has exactly the formula's length, also for an odd source length.
    @Test(arguments: [96000, 48001])
    func clicksLandWhereThePlannerExpects(sourceFrames: Int) throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("clicks.wav")
        let clicks = [1000, 24007, 40013, sourceFrames - 300]
        var samples = [Float](repeating: 0, count: sourceFrames * 2)
        for k in clicks { samples[2 * k] = 0.9; samples[2 * k + 1] = -0.9 }
        try writeFloatWAV(samples, sampleRate: 48000, to: path)

        let out = try Resampler.resampleFile(path: path, outputRate: 44100)
        let expectedFrames = Resampler.outputFrames(inputFrames: Int64(sourceFrames), inputRate: 48000, outputRate: 44100)
        #expect(out.count == Int(expectedFrames) * 2)
        for k in clicks {
            let expected = Int((Double(k) * 44100 / 48000).rounded())
            let window = max(0, expected - 50)..<min(out.count / 2, expected + 50)
            let peak = window.max { abs(out[2 * $0]) < abs(out[2 * $1]) }!
            #expect(abs(peak - expected) <= 1, "click at \(k) landed at \(peak), expected \(expected)")
            #expect(out[2 * peak] > 0.5 && out[2 * peak + 1] < -0.5)
        }
    }

    /// Reading in small odd chunks gives the same samples as reading all at once.
    @Test func streamingInChunksMatchesWholeFile() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("noise.wav")
        try sox("-n", "-r", "22050", "-c", "2", "-b", "16", path, "synth", "1.3", "whitenoise", "gain", "-6")
        let whole = try Resampler.resampleFile(path: path, outputRate: 44100)
        let reader = try ResampledFileReader(path: path, outputRate: 44100)
        #expect(reader.outputFrames == 57330)
        var chunked = [Float](repeating: 0, count: Int(reader.outputFrames) * 2)
        var done = 0
        var step = 1
        chunked.withUnsafeMutableBufferPointer { b in
            while true {
                let n = reader.read(into: b.baseAddress! + done * 2, frames: min(step, Int(reader.outputFrames) - done))
                if n == 0 { break }
                done += n
                step = step * 3 % 1009 + 1
            }
        }
        #expect(done == 57330)
        #expect(chunked == whole)
    }

    /// At the same rate the reader is a plain decoder: a cued part comes out bit-exact.
    @Test func sameRateCueIsBitExact() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("ramp.wav")
        let samples = (0..<20000).map { Float($0 % 4000) / 4000 - 0.5 }
        try writeFloatWAV(samples, sampleRate: 44100, to: path)
        let reader = try ResampledFileReader(path: path, outputRate: 44100, startFrame: 1234, frameCount: 5000)
        #expect(reader.outputFrames == 5000)
        var out = [Float](repeating: 9, count: 6000 * 2)
        let n = out.withUnsafeMutableBufferPointer { reader.read(into: $0.baseAddress!, frames: 6000) }
        #expect(n == 5000)
        #expect(Array(out.prefix(10000)) == Array(samples[2468..<12468]))
        #expect(out.withUnsafeMutableBufferPointer { reader.read(into: $0.baseAddress!, frames: 10) } == 0)
    }
}

@Suite struct PrefetchTests {
    /// A prefetch thread fills a small ring (as the engine's prefetcher does: read a chunk, write
    /// it) while this thread drains it in render-sized blocks: the samples that come out are
    /// exactly the whole-file resample.
    @Test func fillRingFromAnotherThreadDeliversTheWholeFile() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let path = dir.path("speech.flac")
        try sox("-n", "-r", "48000", "-c", "1", "-b", "16", path, "synth", "3", "pinknoise", "gain", "-12")
        let whole = try Resampler.resampleFile(path: path, outputRate: 44100)
        let reader = try ResampledFileReader(path: path, outputRate: 44100)
        let ring = SPSCRing<Float>(capacity: 3000 * 2)
        let producer = Thread {
            let chunk = UnsafeMutablePointer<Float>.allocate(capacity: 700 * 2)
            defer { chunk.deallocate() }
            while !reader.isFinished {
                let room = min(700, ring.availableToWrite / 2)
                let got = room > 0 ? reader.read(into: chunk, frames: room) : 0
                if got == 0 { sched_yield() } else { ring.write(from: chunk, count: got * 2) }
            }
        }
        producer.start()
        var received = [Float]()
        received.reserveCapacity(whole.count)
        var block = [Float](repeating: 0, count: 512 * 2)
        while received.count < whole.count {
            let n = block.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: $0.count) }
            if n == 0 { sched_yield(); continue }
            received.append(contentsOf: block[0..<n])
        }
        #expect(received.count == Int(Resampler.outputFrames(inputFrames: 144000, inputRate: 48000, outputRate: 44100)) * 2)
        #expect(received == whole)
    }
}
