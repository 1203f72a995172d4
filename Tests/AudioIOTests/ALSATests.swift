import AudioIO
import Foundation
import Testing
import TestSupport

/// ALSA through its plugins, with configurations loaded in-process (the user's files are unused):
/// `type null` accepts everything, `type file` records exactly what went out or plays a prepared
/// raw file into capture.
@Suite struct ALSATests {
    @Test func nullDeviceAcceptsOneSecond() throws {
        let config = try ALSAConfiguration(text: "pcm.regie_null { type null }")
        let device = try ALSAPlaybackDevice(name: "regie_null", configuration: config, sampleRate: 44100, periodFrames: 441, periods: 4)
        #expect(device.sampleRate == 44100)
        #expect(device.format == .float32)
        #expect(device.periodFrames > 0 && device.bufferFrames >= device.periodFrames)
        let frames = 44100
        let samples = (0..<(frames * 2)).map { Float(sin(Double($0 / 2) * 0.0627)) * 0.5 }
        try samples.withUnsafeBufferPointer { b in
            var done = 0
            while done < frames {  // period-sized writes, as the render thread does
                let n = min(device.periodFrames, frames - done)
                try device.write(interleaved: b.baseAddress! + done * 2, frames: n)
                done += n
            }
        }
        #expect(device.xrunCount == 0)
        device.close()
        device.close()  // idempotent
    }

    @Test func filePluginRecordsExactBytes() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let out = dir.path("out.raw")
        let config = try ALSAConfiguration(text: """
            pcm.regie_tap {
                type file
                slave { pcm { type null } }
                file "\(out)"
                format "raw"
            }
            """)
        let device = try ALSAPlaybackDevice(name: "regie_tap", configuration: config, sampleRate: 48000, periodFrames: 256, periods: 4)
        #expect(device.format == .float32)
        let frames = 10_000
        // Distinct values, including ones a lossy path would change.
        let samples = (0..<(frames * 2)).map { i -> Float in i % 2 == 0 ? Float(i) / Float(frames * 2) : -Float(i % 977) / 1000 - 1e-7 }
        try samples.withUnsafeBufferPointer { try device.write(interleaved: $0.baseAddress!, frames: frames) }
        device.close()
        let written = try readRaw(out, as: Float.self)
        #expect(written.count == samples.count)
        #expect(written.map(\.bitPattern) == samples.map(\.bitPattern))
    }

    @Test func captureFromFilePluginIsBitExact() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let input = dir.path("in.raw")
        let frames = 8192
        let samples = (0..<(frames * 2)).map { i in Float(sin(Double(i) * 0.01)) * (i % 2 == 0 ? 0.7 : -0.3) }
        try writeRaw(samples, to: input)
        let config = try ALSAConfiguration(text: """
            pcm.regie_return {
                type file
                slave { pcm { type null } }
                file "\(dir.path("capture-copy.raw"))"
                infile "\(input)"
                format "raw"
            }
            """)
        let device = try ALSACaptureDevice(name: "regie_return", configuration: config, sampleRate: 44100, periodFrames: 512, periods: 4)
        #expect(device.format == .float32)
        var captured = [Float](repeating: .nan, count: frames * 2)
        try captured.withUnsafeMutableBufferPointer { b in
            var done = 0
            while done < frames {
                let n = min(1000, frames - done)
                try device.read(into: b.baseAddress! + done * 2, frames: n)
                done += n
            }
        }
        device.close()
        #expect(captured.map(\.bitPattern) == samples.map(\.bitPattern))
    }

    @Test func missingDeviceSaysSoInOneSentence() throws {
        // An in-process configuration without the name.
        let config = try ALSAConfiguration(text: "pcm.something_else { type null }")
        do {
            _ = try ALSAPlaybackDevice(name: "regie_nope", configuration: config, sampleRate: 44100)
            Issue.record("opening an undefined device succeeded")
        } catch {
            #expect(error.operation == "snd_pcm_open")
            #expect(error.description.hasPrefix("ALSA device \"regie_nope\" does not exist on this machine"))
            #expect(error.description.filter { $0 == "." }.count == 1 && error.description.hasSuffix("."))
        }
    }

    /// `default` on a machine without a sound card (as here and in CI): a clear error, not a crash.
    /// Where a card exists the open may succeed; the test then only checks the device works.
    @Test func defaultDeviceWithoutSoundCard() throws {
        let hasCard = FileManager.default.fileExists(atPath: "/proc/asound/card0")
        do {
            let device = try ALSAPlaybackDevice(name: "default", sampleRate: 44100)
            #expect(hasCard, "default opened although /proc/asound/card0 does not exist")
            device.close()
        } catch {
            #expect(!hasCard)
            #expect(error.description.contains("\"default\" does not exist on this machine"), "\(error)")
        }
    }

    @Test func configurationSyntaxErrorIsReported() {
        #expect(throws: ALSADeviceError.self) { try ALSAConfiguration(text: "pcm.broken { type null ") }
    }
}

@Suite struct ALSASixteenBitTests {
    /// With S16 requested, writes are converted (clipped, rounded) and the file plugin records
    /// exactly those shorts; capture converts them back to s/32768.
    @Test func int16PlaybackAndCaptureConvert() throws {
        let dir = try TempDir("regie-audioio")
        defer { dir.cleanup() }
        let out = dir.path("out16.raw")
        let config = try ALSAConfiguration(text: """
            pcm.regie_tap16 { type file slave { pcm { type null } } file "\(out)" format "raw" }
            pcm.regie_in16 { type file slave { pcm { type null } } file "\(dir.path("copy.raw"))" infile "\(out)" format "raw" }
            """)
        let device = try ALSAPlaybackDevice(name: "regie_tap16", configuration: config, sampleRate: 44100, periodFrames: 256, format: .int16)
        #expect(device.format == .int16)
        let samples: [Float] = (0..<3000).map { Float($0 - 1500) / 1000 }  // includes values beyond ±1
        try samples.withUnsafeBufferPointer { try device.write(interleaved: $0.baseAddress!, frames: 1500) }
        device.close()
        let shorts = try readRaw(out, as: Int16.self)
        #expect(shorts == samples.map { Int16((max(-1, min(1, $0)) * 32767).rounded()) })

        let capture = try ALSACaptureDevice(name: "regie_in16", configuration: config, sampleRate: 44100, periodFrames: 256, format: .int16)
        var back = [Float](repeating: .nan, count: 3000)
        try back.withUnsafeMutableBufferPointer { try capture.read(into: $0.baseAddress!, frames: 1500) }
        capture.close()
        #expect(back == shorts.map { Float($0) / 32768 })
    }
}

@Suite struct ALSAAllocationTests {
    /// The render thread's only system call, `write`, does not allocate once the device is open.
    @Test(arguments: [ALSASampleFormat.float32, .int16])
    func writeDoesNotAllocate(format: ALSASampleFormat) throws {
        let config = try ALSAConfiguration(text: "pcm.regie_null { type null }")
        let device = try ALSAPlaybackDevice(name: "regie_null", configuration: config, sampleRate: 48000, periodFrames: 480, format: format)
        let block = UnsafeMutablePointer<Float>.allocate(capacity: 480 * 2)
        block.initialize(repeating: 0.1, count: 480 * 2)
        defer { block.deallocate() }
        try device.write(interleaved: block, frames: 480)  // warm-up
        var failures = 0
        let count = Allocations.count {
            for _ in 0..<100 {
                do { try device.write(interleaved: block, frames: 480) } catch { failures += 1 }
            }
        }
        #expect(failures == 0)
        #expect(count == 0)
        device.close()
    }
}

/// Paced devices: a private PulseAudio null sink through ALSA's pulse plugin.
@Suite struct ALSAPacedTests {
    /// Stalling longer than the device buffer underruns the device; `write` recovers, counts the
    /// xrun and keeps going. (Slowness can only add underruns, so the bound is ≥ 1.)
    @Test func underrunIsRecoveredAndCounted() throws {
        let pulse = try PulseAudioServer.start()
        defer { pulse.stop() }
        let config = try ALSAConfiguration(text: pulse.alsaConfiguration(name: "regie_paced"))
        let device = try ALSAPlaybackDevice(name: "regie_paced", configuration: config, sampleRate: 48000, periodFrames: 960, periods: 4)
        let block = [Float](repeating: 0.1, count: device.periodFrames * 2)
        func writeBlocks(_ count: Int) throws {
            for _ in 0..<count {
                try block.withUnsafeBufferPointer { try device.write(interleaved: $0.baseAddress!, frames: device.periodFrames) }
            }
        }
        try writeBlocks(8)
        let buffered = Double(device.bufferFrames) / Double(device.sampleRate)
        Thread.sleep(forTimeInterval: max(0.5, buffered * 5))
        try writeBlocks(8)
        #expect(device.xrunCount >= 1)
        device.close()
    }

    /// Capture from the sink's monitor (paced, silence) delivers the requested frames.
    @Test func pacedCaptureDeliversFrames() throws {
        let pulse = try PulseAudioServer.start()
        defer { pulse.stop() }
        let config = try ALSAConfiguration(text: pulse.alsaConfiguration(name: "regie_paced"))
        let device = try ALSACaptureDevice(name: "regie_paced_monitor", configuration: config, sampleRate: 48000, periodFrames: 960, periods: 4)
        var buffer = [Float](repeating: .nan, count: 4800 * 2)
        try buffer.withUnsafeMutableBufferPointer { try device.read(into: $0.baseAddress!, frames: 4800) }
        device.close()
        #expect(buffer.allSatisfy { $0 == 0 }, "the null sink's monitor carries silence")
    }
}
