import AudioIO
import DSP
import Engine
import Realtime
import Foundation
import Testing
import TestSupport

/// The render thread's rules, pinned: no allocation in a render block, meters that agree with
/// libebur128.
@Suite struct RealtimeRulesTests {
    @Test func aRenderBlockAllocatesNothing() {
        // Three voices: a crossfade and a ducked bed, fed from rings filled beforehand.
        let voices = [VoiceSpec(start: 0, length: 30_000, slot: 0, item: 0, fadeIn: 500, crossfadeOut: 4000),
                      VoiceSpec(start: 0, length: 60_000, slot: 1, item: 1, isBed: true),
                      VoiceSpec(start: 26_000, length: 30_000, slot: 2, item: 2, crossfadeIn: 4000)]
        let rings = (0..<3).map { _ in SPSCRing<Float>(capacity: 140_000) }
        var seeded = SeededNoise(seed: 11)
        let noise = seeded.samples(120_000, in: -0.5...0.5)
        for (slot, voice) in voices.enumerated() {
            noise.withUnsafeBufferPointer { _ = rings[slot].write(from: $0.baseAddress!, count: Int(voice.length) * 2) }
        }
        let mixer = ProgrammeMixer(sampleRate: 44100, voices: voices, rings: rings, maxBlockFrames: 512,
                                   truePeakCeiling: -1, ducking: DuckingSpec(depth: -15, attack: 0.3, release: 0.8))
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 1024)
        defer { output.deallocate() }
        mixer.render(into: output, frames: 512)   // warm-up
        var allocations = 0
        for _ in 0..<100 {
            allocations += Allocations.count {
                _ = mixer.isReady(frames: 512)
                mixer.render(into: output, frames: 512)
            }
        }
        #expect(allocations == 0)
        #expect(mixer.position == 101 * 512)
    }

    @Test func blocksThatApplyCommandsAllocateNothing() {
        // Interactive schedule: a live item with an open-ended bed, two segments, a silent live
        // item, and a cart; every kind of command goes through the queue between counted blocks.
        let voices = [VoiceSpec(start: 0, length: 20_000, slot: 0, item: 0, isBed: true, isOpenEnded: true),
                      VoiceSpec(start: 20_000, length: 30_000, slot: 1, item: 1, crossfadeOut: 2000),
                      VoiceSpec(start: 48_000, length: 30_000, slot: 2, item: 2, crossfadeIn: 2000),
                      VoiceSpec(start: 78_000, length: 10_000, slot: -1, item: 3, isLive: true)]
        let rings = (0..<3).map { _ in SPSCRing<Float>(capacity: 200_000) }
        var seeded = SeededNoise(seed: 12)
        let noise = seeded.samples(100_000, in: -0.5...0.5)
        for slot in 0..<3 { noise.withUnsafeBufferPointer { _ = rings[slot].write(from: $0.baseAddress!, count: 100_000) } }
        let cart = seeded.samples(20_000, in: -0.3...0.3)
        let mixer = ProgrammeMixer(sampleRate: 44100, voices: voices, rings: rings, maxBlockFrames: 512,
                                   truePeakCeiling: -1, ducking: DuckingSpec(depth: -15, attack: 0.3, release: 0.8),
                                   mode: .interactive, carts: CartAudio(carts: [cart]))
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 1024)
        defer { output.deallocate() }
        mixer.render(into: output, frames: 512)   // warm-up
        let script: [Int: EngineCommand] = [
            2: EngineCommand(.go), 10: EngineCommand(.cart, argument: 0), 20: EngineCommand(.toggleDuck),
            40: EngineCommand(.go), 50: EngineCommand(.pauseResume), 60: EngineCommand(.pauseResume),
            70: EngineCommand(.skip), 80: EngineCommand(.cart, argument: 0), 90: EngineCommand(.fade),
            120: EngineCommand(.skip), 130: EngineCommand(.go),
        ]
        var allocations = 0
        for block in 0..<200 {
            if let command = script[block] { #expect(mixer.commands.push(command)) }
            allocations += Allocations.count {
                mixer.prepare(frames: 512)
                _ = mixer.isReady(frames: 512)
                mixer.render(into: output, frames: 512)
            }
            while mixer.events.pop() != nil {}
        }
        #expect(allocations == 0)
        #expect(mixer.position == 201 * 512)
    }

    @Test func momentaryAndShortTermLoudnessAgreeWithLibebur128() {
        // Pink-ish noise with a level change half-way: both meters follow it.
        let rate = 48000
        var window = LoudnessWindow(sampleRate: rate)
        let reference = LoudnessMeter(sampleRate: rate)
        var state: Float = 0
        var noise = SeededNoise(seed: 13)
        var samples = [Float](repeating: 0, count: 2 * rate / 10)
        for step in 0..<60 {   // 6 s in 100 ms blocks
            let level: Float = step < 30 ? 0.3 : 0.05
            for i in 0..<(rate / 10) {
                state = 0.9 * state + 0.1 * noise.sample()
                samples[2 * i] = state * level * 3
                samples[2 * i + 1] = state * level * 2
            }
            samples.withUnsafeBufferPointer { window.process($0) }
            samples.withUnsafeBufferPointer { reference.add($0.baseAddress!, frames: rate / 10) }
            if step == 29 || step == 59 {
                #expect(abs(Double(window.momentary) - reference.momentary) < 0.1, "momentary at step \(step)")
                #expect(abs(Double(window.shortTerm) - reference.shortTerm) < 0.1, "short-term at step \(step)")
            }
        }
    }

    @Test func theTruePeakMeterAgreesWithLibebur128() {
        // A tone near a quarter of the sample rate, phased so its peaks fall between samples.
        let rate = 44100
        var samples = [Float](repeating: 0, count: rate * 4)
        for i in 0..<(rate * 2) {
            let phase = 2 * Double.pi * 11_000 * Double(i) / Double(rate) + 0.6
            samples[2 * i] = Float(0.7 * sin(phase))
            samples[2 * i + 1] = samples[2 * i] * 0.5
        }
        let meter = TruePeakMeter()
        let reference = LoudnessMeter(sampleRate: rate)
        samples.withUnsafeBufferPointer { meter.process($0) }
        samples.withUnsafeBufferPointer { reference.add($0.baseAddress!, frames: rate * 2) }
        let samplePeak = Decibels.fromLinear(samples.map { Swift.abs($0) }.max() ?? 0)
        #expect(Double(meter.decibels) > Double(samplePeak) + 0.1, "finds peaks between samples")
        #expect(abs(Double(meter.decibels) - reference.truePeak) < 0.3, "\(meter.decibels) vs \(reference.truePeak)")
    }
}

/// Real-time rule 1, for the files the render thread runs: none imports Foundation (so, with
/// MemberImportVisibility on every target, none can reach a Foundation member through another
/// module either: the compiler refuses it), prints or logs.
@Suite struct RenderPathSourceTests {
    static let folders = ["Sources/Engine/Render", "Sources/Realtime/Realtime", "Sources/Realtime/DSP", "Sources/Support/Support"]

    @Test func renderPathFilesImportNoFoundationAndNeverPrint() throws {
        var checked = 0
        for folder in Self.folders {
            let url = TestSupport.repositoryRoot.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".swift") {
                let text = try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
                let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
                #expect(!code.contains { $0.hasPrefix("import Foundation") || $0.contains("import FoundationEssentials") },
                        "\(folder)/\(name) imports Foundation")
                #expect(!code.contains { $0.contains("print(") || $0.contains("Logger") || $0.contains("NSLog") },
                        "\(folder)/\(name) prints or logs")
                checked += 1
            }
        }
        #expect(checked >= 20, "the folders moved? only \(checked) files checked")
    }
}
