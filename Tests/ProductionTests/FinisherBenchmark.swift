import AudioIO
import DSP
import Foundation
import MP3
import Production
import RegieModel
import Testing
import TestSupport

/// The end of the show for a one-hour programme recording, per finisher path, against reference
/// programs run in the same process on the same files: `cp` (publishing as recorded), `mp3gain`
/// (the lossless gain), ffmpeg's `ebur128=peak=true` (the inspection pass: decode, loudness, true
/// peak) and `ffmpeg | lame -q 2` (re-encoding). Prints figures and ratios; asserts only that each
/// path took the expected turn and published a file of the right length (no timing assertions).
/// Slow (~10 min on 2 cores): runs only with `REGIE_BENCH=1`, through `scripts/bench-finish`.
/// `REGIE_BENCH_MINUTES` shortens the programme to check the benchmark itself.
@Suite("Finisher benchmark", .enabled(if: ProcessInfo.processInfo.environment["REGIE_BENCH"] == "1"))
struct FinisherBenchmark {
    static let rate = 44100

    static func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
    static func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

    /// Times `tool args` (wall seconds); the tool must succeed.
    static func timed(_ tool: String, _ args: [String]) throws -> Double {
        var output: ProcessResult?
        let t = try ContinuousClock().measure { output = try run(tool, args) }
        #expect(output?.status == 0, "\(tool): \(output?.stderr ?? "")")
        return secs(t)
    }

    /// A programme recording as the recorder makes it: `material` (raw interleaved Float32) scaled
    /// to `loudness` LUFS (its PCM loudness is `materialLoudness`), limited at `limit` dBTP,
    /// encoded by `MP3FileWriter` in crash-safe mode with the episode's tag. Returns the PCM
    /// loudness the recorder would report.
    static func record(material: URL, materialLoudness: Double, to url: URL, plan: Plan, loudness: Double,
                       limit: Float, burstEvery: Int? = nil) throws -> Double {
        let input = try FileHandle(forReadingFrom: material)
        defer { try? input.close() }
        // The limiter takes some loudness off the kicks: find the gain that lands the limited
        // programme on `loudness` from its first 100 s (the material repeats every 50 s).
        var bytes = Data()
        while bytes.count < 8 * rate * 100, let more = try input.read(upToCount: 8 * rate * 100 - bytes.count), !more.isEmpty {
            bytes += more
        }
        let excerpt: [Float] = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var gainDB = loudness - materialLoudness
        for _ in 0..<6 {
            var trial = excerpt.map { $0 * Float(Decibels.toLinear(gainDB)) }
            let l = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: limit)
            trial.withUnsafeMutableBufferPointer { l.process($0) }
            let m = LoudnessMeter(sampleRate: rate, truePeak: false)
            trial.withUnsafeBufferPointer { m.add($0.baseAddress!, frames: trial.count / 2) }
            gainDB += loudness - m.integrated
        }
        try input.seek(toOffset: 0)
        let gain = Float(Decibels.toLinear(gainDB))
        let limiter = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: limit)
        let meter = LoudnessMeter(sampleRate: rate, truePeak: false)
        let writer = try MP3FileWriter(url: url, mode: .crashSafe(), sampleRate: rate, tag: EpisodeTag.of(plan))
        var toSkip = limiter.latencyFrames, tail = limiter.latencyFrames, written = 0
        while true {
            var block: [Float]
            if let data = try input.read(upToCount: 8 * rate), !data.isEmpty {
                block = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                for i in block.indices { block[i] *= gain }
            } else if tail > 0 {
                block = [Float](repeating: 0, count: 2 * tail)
                tail = 0
            } else {
                break
            }
            block.withUnsafeMutableBufferPointer { limiter.process($0) }
            let skip = min(toSkip, block.count / 2)
            toSkip -= skip
            var out = Array(block[(2 * skip)...])
            // After the limiter, a 3 ms burst of 1 kHz at −1.5 dBFS every `burstEvery` seconds:
            // a presenter's plosive, which no limiter caught at the desk.
            if let every = burstEvery {
                let period = every * rate
                for f in 0..<(out.count / 2) where (written + f) % period == period / 2 {
                    for n in 0..<min(3 * rate / 1000, out.count / 2 - f) {
                        let x = Float(0.84 * sin(2 * Double.pi * 1000 * Double(n) / Double(rate)))
                        out[2 * (f + n)] += x
                        out[2 * (f + n) + 1] += x
                    }
                }
            }
            written += out.count / 2
            out.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: out.count / 2) }
            try writeBlocks(writer, out, block: 4410)
        }
        var tag = EpisodeTag.of(plan)
        tag.chapters = [Chapter(title: "The hour", startMs: 0, endMs: Chapter.milliseconds(frames: writer.framesWritten, sampleRate: rate))]
        try writer.finish(tag: tag)
        return meter.integrated
    }

    @Test("one-hour programme recording: seconds per finisher path, against cp, mp3gain, ffmpeg ebur128, ffmpeg | lame")
    func finisherPaths() throws {
        let minutes = Int(ProcessInfo.processInfo.environment["REGIE_BENCH_MINUTES"] ?? "") ?? 60
        let seconds = minutes * 60
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try makePlan(in: dir, rate: Self.rate, items: [TestItem(kind: .live, title: "The hour", seconds: seconds)])
        let clock = ContinuousClock()

        // Programme-like material: pink noise and a tone, low-passed like music and swelling by
        // ~10 dB every 50 s, with a 2 ms click twice a second whose peaks stand 20 dB over the
        // loudness (so the limiter works on every click, as on a mastered programme).
        let material = dir.appendingPathComponent("material.f32")
        let made = try clock.measure {
            let raw = ["-r", "\(Self.rate)", "-c", "2", "-e", "floating-point", "-b", "32", "-t", "raw"]
            let noise = dir.appendingPathComponent("noise.f32"), clicks = dir.appendingPathComponent("clicks.f32")
            for (file, synth) in [(noise, ["synth", "\(seconds)", "pinknoise", "synth", "sine", "mix", "220", "vol", "0.4",
                                           "lowpass", "15000", "tremolo", "0.02", "70"]),
                                  (clicks, ["synth", "0.002", "sine", "500", "vol", "0.95", "pad", "0", "0.498",
                                            "repeat", "\(2 * seconds - 1)"])] {
                let sox = try run("sox", ["-R", "-n"] + raw + [file.path] + synth)
                #expect(sox.status == 0, "sox: \(sox.stderr)")
            }
            let mix = try run("sox", ["-m", "-v", "0.5"] + raw + [noise.path, "-v", "0.5"] + raw + [clicks.path] + raw + [material.path])
            #expect(mix.status == 0, "sox: \(mix.stderr)")
            try? FileManager.default.removeItem(at: noise)
            try? FileManager.default.removeItem(at: clicks)
        }
        var materialLoudness = 0.0
        do {
            let input = try FileHandle(forReadingFrom: material)
            let meter = LoudnessMeter(sampleRate: Self.rate, truePeak: false)
            while let data = try input.read(upToCount: 8 * Self.rate * 10), !data.isEmpty {
                data.withUnsafeBytes { meter.add($0.bindMemory(to: Float.self).baseAddress!, frames: data.count / 8) }
            }
            try input.close()
            materialLoudness = meter.integrated
        }
        // Three recordings: on target (limited 0.5 dB under the ceiling, as LAME adds a little
        // peak), 3 dB under with headroom (two lossless steps), 4 dB under without (re-encode).
        // And a quiet desk return: 4.5 dB under with headroom, but a microphone peak every 7 s that
        // the gain would take over the ceiling (held back at peaks).
        let cases: [(name: String, loudness: Double, limit: Float, bursts: Int?)] = [
            ("a", -16, -1.5, nil), ("b", -19, -5, nil), ("c", -20, -1.5, nil), ("d", -20.5, -9, 7)]
        var recordings: [String: (url: URL, pcm: Double)] = [:]
        let recordTime = try clock.measure {
            for c in cases {
                let url = dir.appendingPathComponent("\(c.name)-program.mp3")
                let pcm = try Self.record(material: material, materialLoudness: materialLoudness, to: url, plan: plan,
                                          loudness: c.loudness, limit: c.limit, burstEvery: c.bursts)
                recordings[c.name] = (url, pcm)
            }
        }
        try? FileManager.default.removeItem(at: material)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: recordings["a"]!.url.path)[.size] as? Int)
        print("""
        [bench-finish] \(minutes) min programme: material by sox in \(Self.f(Self.secs(made), 1)) s, three recordings by MP3FileWriter (crash-safe, 128 kb/s, -q 2) in \(Self.f(Self.secs(recordTime), 1)) s; \(size / 1_000_000) MB each
        """)

        let chapters = [Chapter(title: "The hour", startMs: 0, endMs: seconds * 1000)]
        let publicDir = dir.appendingPathComponent("public")
        func finish(_ name: String, lossless: Bool = true, threads: Int = 2) throws -> (EpisodeFinisher.Result, Double) {
            var finisher = EpisodeFinisher(plan: plan)
            finisher.losslessPaths = lossless
            finisher.inspectionThreads = threads
            let out = dir.appendingPathComponent("\(name)-normalised.mp3")
            try? FileManager.default.removeItem(at: out)
            var result: EpisodeFinisher.Result?
            let t = try clock.measure {
                result = try finisher.run(recording: recordings[name]!.url, chapters: chapters,
                                          measuredLoudness: recordings[name]!.pcm, publishTo: publicDir)
            }
            let r = try #require(result)
            #expect(r.frames == Int64(seconds * Self.rate))
            return (r, Self.secs(t))
        }
        func line(_ label: String, _ r: EpisodeFinisher.Result, _ total: Double) -> String {
            "[bench-finish] \(label): \(r.path); MP3 \(Self.f(r.inspection.loudness)) LUFS \(Self.f(r.inspection.truePeak)) dBTP (recorder PCM \(Self.f(r.recorderLoudness ?? .nan)) LUFS); inspect \(Self.f(r.measureSeconds)) s, write \(Self.f(r.encodeSeconds)) s, publish \(Self.f(r.publishSeconds)) s; end of show -> published \(Self.f(total)) s"
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

        // (a) and (b): three runs each, medians; (c): one run.
        var aTotals: [Double] = [], bTotals: [Double] = [], aInspect: [Double] = [], bWrite: [Double] = [], aWrite: [Double] = []
        var aOne: [Double] = [], dTotals: [Double] = []
        for round in 0..<3 {
            let (a, ta) = try finish("a")
            let (b, tb) = try finish("b")
            let (a1, ta1) = try finish("a", threads: 1)
            let (d, td) = try finish("d")
            if round == 0 {
                print(line("(a) on target", a, ta))
                print(line("(b) 3 dB under", b, tb))
                print(line("(a) one inspection thread", a1, ta1))
                print(line("(d) quiet desk return, a peak every 7 s", d, td))
                #expect(a.path == .asRecorded)
                #expect(b.path == .gainChanged(steps: 2))
                #expect(try ffprobeDecodedFrames(b.url) == seconds * Self.rate)
                if case .gainChangedAtPeaks = d.path {} else { Issue.record("the desk return must be held back at peaks, got \(d.path)") }
                let out = try ffmpegLoudness(d.url)
                print("[bench-finish] (d) output by ffmpeg: \(Self.f(out.integrated)) LUFS, \(Self.f(out.truePeak)) dBTP")
                #expect(abs(out.integrated - -16) <= 1 && out.truePeak <= -1)
            }
            aTotals.append(ta); bTotals.append(tb); aInspect.append(a.measureSeconds); aWrite.append(a.encodeSeconds)
            bWrite.append(b.encodeSeconds); aOne.append(ta1); dTotals.append(td)
        }
        let (c, tc) = try finish("c")
        print(line("(c) 4 dB under, no headroom", c, tc))
        if case .reencoded = c.path {} else { Issue.record("the quiet, limited recording must be re-encoded, got \(c.path)") }

        // References on the same files.
        let copyTarget = dir.appendingPathComponent("copy.mp3")
        let tCopy = median(try (0..<3).map { _ in
            try? FileManager.default.removeItem(at: copyTarget)
            return try Self.timed("cp", [recordings["a"]!.url.path, copyTarget.path])
        })
        let tGain = median(try (0..<3).map { _ in
            try? FileManager.default.removeItem(at: copyTarget)
            #expect(try run("cp", [recordings["b"]!.url.path, copyTarget.path]).status == 0)
            return try Self.timed("mp3gain", ["-q", "-c", "-g", "2", copyTarget.path])
        })
        let tEbur = try Self.timed("ffmpeg", ["-nostdin", "-nostats", "-v", "error", "-i", recordings["a"]!.url.path,
                                              "-af", "ebur128=peak=true", "-f", "null", "-"])
        let reencoded = dir.appendingPathComponent("lame.mp3")
        let tLame = try Self.timed("bash", ["-c", "ffmpeg -nostdin -v error -i '\(recordings["c"]!.url.path)' -f wav - | lame --quiet -q 2 -b 128 - '\(reencoded.path)'"])

        let ta = median(aTotals), tb = median(bTotals)
        print("""
        [bench-finish] medians of 3: (a) \(Self.f(ta)) s (inspect \(Self.f(median(aInspect))) s, write \(Self.f(median(aWrite))) s; one inspection thread \(Self.f(median(aOne))) s), (b) \(Self.f(tb)) s (write \(Self.f(median(bWrite))) s), (d) \(Self.f(median(dTotals))) s, (c) \(Self.f(tc)) s (one run)
        [bench-finish] references: cp \(Self.f(tCopy)) s, mp3gain -g 2 \(Self.f(tGain)) s, ffmpeg ebur128=peak=true \(Self.f(tEbur)) s, ffmpeg | lame -q 2 \(Self.f(tLame)) s
        [bench-finish] ratios: inspection / ffmpeg ebur128 \(Self.f(median(aInspect) / tEbur)); (a) write / cp \(Self.f(median(aWrite) / tCopy)); (b) write / mp3gain \(Self.f(median(bWrite) / tGain)); (c) / (ffmpeg | lame) \(Self.f(tc / tLame)); (c) / (a) \(Self.f(tc / ta, 1))
        """)
    }
}
