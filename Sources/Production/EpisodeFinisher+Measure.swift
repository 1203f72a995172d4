// What the finisher measures before it writes: the recording's loudness and true peak (whole, or
// read through the podcast cut), its MPEG frames, and what one more LAME generation takes away.
import AudioIO
import DSP
import Foundation
import MP3
import Podcast
import RegieModel

extension EpisodeFinisher {
    /// Measures the loudness and true peak of `recording` read through `cut` into `inspection`
    /// (frames: the cut's length).
    static func measure(recording: URL, through cut: PodcastCut, sting: [Float], into inspection: inout Inspection) throws {
        let decoder: SndFileDecoder
        do { decoder = try SndFileDecoder(path: recording.path) } catch { throw EpisodeFinisherError.unreadable("\(error)") }
        let reader = PodcastCutReader(cut: cut, sting: sting) { decoder.read(into: $0, frames: $1) }
        let meter = LoudnessMeter(sampleRate: decoder.info.sampleRate, truePeak: false)
        let peak = TruePeakMeter()
        let chunk = 16384
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * 2)
        defer { buffer.deallocate() }
        while true {
            let n = reader.read(into: buffer, frames: chunk)
            if n == 0 { break }
            meter.add(buffer, frames: n)
            peak.process(UnsafeBufferPointer(start: buffer, count: n * 2))
        }
        inspection.loudness = meter.integrated
        inspection.truePeak = Double(peak.decibels)
        inspection.frames = reader.framesRead
    }

    /// Decodes `recording` and measures its integrated loudness and true peak, in up to `threads`
    /// parts decoded at once (`LoudnessMeter.measure`).
    package static func inspect(recording: URL, threads: Int = 2) throws -> Inspection {
        let measured: LoudnessMeter.FileLoudness
        do {
            measured = try LoudnessMeter.measure(path: recording.path, integrated: true, truePeak: .interpolated, maximumParts: threads)
        } catch {
            throw EpisodeFinisherError.unreadable("\(error)")
        }
        return Inspection(loudness: measured.integrated, truePeak: measured.truePeak, frames: measured.info.frames,
                          sampleRate: measured.info.sampleRate)
    }

    /// The MPEG audio of an MP3 file: everything after its ID3v2 tag.
    static func audioFrames(of url: URL) throws -> [UInt8] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw EpisodeFinisherError.unreadable("\(error)") }
        var start = 0
        if data.count >= 10, data.prefix(3) == Data("ID3".utf8) {
            let b = [UInt8](data.prefix(10))
            let size = Int(b[6]) << 21 | Int(b[7]) << 14 | Int(b[8]) << 7 | Int(b[9])
            start = min(data.count, 10 + size + (b[5] & 0x10 != 0 ? 10 : 0))   // + footer when flagged
        }
        return [UInt8](data[start...])
    }

    /// Loudness (LU, clamped to 0…4) that the limiter and re-encoding take away at
    /// `gainDecibels`: `seconds` from the middle of the recording, gained, limited and through a
    /// LAME round trip, against the same excerpt gained only; the gain made up by that much is
    /// tried once more (the limiter takes a little more from a louder signal).
    func encodingLoss(recording: URL, gainDecibels: Double, ceiling: Double, bitrate: Int, seconds: Int = 20) throws -> Double {
        let decoder = try SndFileDecoder(path: recording.path)
        let rate = decoder.info.sampleRate
        let length = min(Int64(seconds * rate), decoder.info.frames)
        try decoder.seek(toFrame: max(0, decoder.info.frames / 2 - length / 2))
        var excerpt = [Float](repeating: 0, count: Int(length) * 2)
        let got = excerpt.withUnsafeMutableBufferPointer { decoder.read(into: $0.baseAddress!, frames: Int(length)) }
        guard got > rate else { return 0 }   // under a second: nothing reliable to learn
        excerpt.removeLast(excerpt.count - 2 * got)
        let meter = LoudnessMeter(sampleRate: rate)
        excerpt.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: got) }
        let intended = meter.integrated + gainDecibels
        guard intended.isFinite else { return 0 }
        var loss = 0.0
        for _ in 0..<2 {
            var samples = excerpt
            let gain = Float(Decibels.toLinear(gainDecibels + loss))
            for i in samples.indices { samples[i] *= gain }
            let limiter = TruePeakLimiter(sampleRate: rate, channels: 2, ceilingDecibels: Float(ceiling))
            samples.withUnsafeMutableBufferPointer { limiter.process($0) }
            let temp = FileManager.default.temporaryDirectory.appendingPathComponent("regie-calibrate-\(UUID().uuidString).mp3")
            defer { try? FileManager.default.removeItem(at: temp) }
            let writer = try MP3FileWriter(url: temp, mode: .atomic, sampleRate: rate, bitrateKbps: bitrate, quality: quality,
                                           tag: ID3v2Tag(), reservedTagSpace: 0)
            try samples.withUnsafeBufferPointer { try writer.write(interleaved: $0.baseAddress!, frames: got) }
            try writer.finish()
            let after = try LoudnessMeter.measureFile(path: temp.path, truePeak: false).integrated
            guard after.isFinite else { return 0 }
            loss = min(max(loss + intended - after, 0), 4)
        }
        return loss
    }
}
