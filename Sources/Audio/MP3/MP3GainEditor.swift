// Lossless MP3 gain: every granule's global_gain moved by whole steps of 2^(1/4) (1.505 dB).
// Written from ISO/IEC 11172-3 (2.4.1.3 frame header, 2.4.1.7 Layer III side information) and the
// LAME info tag layout; only MPEG-1 Layer III without CRC protection, which is what Régie records.
import Glibc

/// Why a stream cannot take a lossless gain change (the finisher then re-encodes).
package enum MP3GainError: Error, Equatable, CustomStringConvertible {
    /// No MPEG audio frame where the audio should start.
    case noAudio
    /// A frame this editor does not handle (MPEG-2/2.5, another layer, CRC-protected, free format).
    case unsupported(frameOffset: Int, why: String)
    /// The bytes after a frame are not the next frame header (nor an ID3v1 tag at the very end).
    case lostSync(offset: Int)
    /// An audible granule's global_gain would leave 0…255 after the change.
    case globalGainOutOfRange(frame: Int, value: Int, steps: Int)

    /// A one-line explanation.
    package var description: String {
        switch self {
        case .noAudio: "no MPEG audio frame at the start of the audio"
        case let .unsupported(offset, why): "frame at byte \(offset) is \(why)"
        case let .lostSync(offset): "no frame header at byte \(offset)"
        case let .globalGainOutOfRange(frame, value, steps):
            "frame \(frame): global_gain \(value) \(steps > 0 ? "+" : "")\(steps) leaves 0…255"
        }
    }
}

/// An MPEG-1 Layer III header (4 bytes; a CRC-protected frame is refused, since changing its side
/// information would need the CRC recomputed and Régie's encoder never writes one).
struct MP3FrameHeader: Equatable {
    static let bitratesKbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1]
    static let sampleRates = [44100, 48000, 32000, -1]

    let bitrateKbps: Int
    let sampleRate: Int
    let padded: Bool
    let mono: Bool

    /// Bytes in the frame, header included (144 bytes per kb/s per kHz, plus the padding byte).
    var length: Int { 144_000 * bitrateKbps / sampleRate + (padded ? 1 : 0) }
    /// Side information bytes after the header: 17 mono, 32 otherwise.
    var sideInfoLength: Int { mono ? 17 : 32 }
    var channels: Int { mono ? 1 : 2 }

    /// The header at `p`, or why it is not one this editor handles; nil when there is no sync word.
    static func parse(_ p: UnsafePointer<UInt8>) -> Result<MP3FrameHeader, MP3GainError>? {
        guard p[0] == 0xFF, p[1] & 0xE0 == 0xE0 else { return nil }
        let version = (p[1] >> 3) & 3, layer = (p[1] >> 1) & 3, unprotected = p[1] & 1 == 1
        func no(_ why: String) -> Result<MP3FrameHeader, MP3GainError> { .failure(.unsupported(frameOffset: 0, why: why)) }
        guard version == 3 else { return no(version == 1 ? "of a reserved MPEG version" : "MPEG-2 or 2.5 (low sample rates)") }
        guard layer == 1 else { return no("not Layer III") }
        guard unprotected else { return no("CRC-protected") }
        let bitrate = bitratesKbps[Int(p[2] >> 4)], rate = sampleRates[Int((p[2] >> 2) & 3)]
        guard bitrate > 0 else { return no(bitrate == 0 ? "free format" : "of a reserved bitrate") }
        guard rate > 0 else { return no("of a reserved sample rate") }
        return .success(MP3FrameHeader(bitrateKbps: bitrate, sampleRate: rate, padded: (p[2] >> 1) & 1 == 1,
                                       mono: p[3] >> 6 == 3))
    }
}

/// The MPEG audio of an MP3 file (everything after its ID3v2 tag), walked frame by frame: the
/// range of global gains over the audible granules, and a copy with every one of them moved by
/// `steps`. The LAME info frame (first frame, "Info"/"Xing" + LAME tag) is carried over with its
/// MP3-gain field, music CRC and tag CRC updated, so that it stays valid; its own side information
/// (a silent frame) is not touched.
package struct MP3GainEditor {
    /// The audio bytes as given.
    package let audio: [UInt8]
    /// Offsets of the audio frames (the info frame excluded).
    let frames: [Int]
    /// Length of the leading info frame (0 when there is none).
    let infoFrameLength: Int
    /// Offset of the LAME extension in the info frame when its tag CRC checks out.
    let lameTagOffset: Int?
    /// Bytes after the last frame kept as they are (an ID3v1 tag).
    let trailer: Int
    /// Smallest and largest global_gain over granules that carry spectral data (a granule with
    /// `part2_3_length` 0 decodes to silence whatever its gain, so it is left as it is).
    package let globalGainRange: ClosedRange<Int>?

    /// Bytes per granule-channel block in the side information, and where the fields sit in it.
    static let granuleBits = 59
    static let globalGainBit = 21   // after part2_3_length (12) and big_values (9)

    /// Walks `audio`; throws when a frame is not MPEG-1 Layer III without CRC or sync is lost.
    package init(audio: [UInt8]) throws {
        self.audio = audio
        var frames: [Int] = []
        frames.reserveCapacity(audio.count / 400)
        var infoLength = 0, lameOffset: Int?, trailer = 0
        var low = Int.max, high = Int.min
        try audio.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            var offset = 0
            var first = true
            while offset + 4 <= buf.count {
                guard let parsed = MP3FrameHeader.parse(base + offset) else {
                    // An ID3v1 tag may close the file; anything else means the stream is damaged.
                    if buf.count - offset == 128, base[offset] == 0x54, base[offset + 1] == 0x41, base[offset + 2] == 0x47 {
                        trailer = 128
                        break
                    }
                    throw first ? MP3GainError.noAudio : MP3GainError.lostSync(offset: offset)
                }
                let header: MP3FrameHeader
                switch parsed {
                case let .success(h): header = h
                case let .failure(.unsupported(_, why)): throw MP3GainError.unsupported(frameOffset: offset, why: why)
                case let .failure(error): throw error
                }
                guard offset + header.length <= buf.count else { throw MP3GainError.lostSync(offset: offset) }
                if first, let lame = Self.infoFrame(base + offset, header) {
                    infoLength = header.length
                    lameOffset = lame
                } else if first && Self.isInfoFrame(base + offset, header) {
                    infoLength = header.length
                } else {
                    frames.append(offset)
                    let side = base + offset + 4
                    for block in 0..<(2 * header.channels) {
                        let start = (header.mono ? 18 : 20) + block * Self.granuleBits
                        guard Self.bits(side, at: start, count: 12) > 0 else { continue }
                        let gain = Self.bits(side, at: start + Self.globalGainBit, count: 8)
                        low = min(low, gain)
                        high = max(high, gain)
                    }
                }
                first = false
                offset += header.length
            }
            if offset < buf.count && trailer == 0 { throw MP3GainError.lostSync(offset: offset) }
        }
        self.frames = frames
        infoFrameLength = infoLength
        lameTagOffset = lameOffset
        self.trailer = trailer
        globalGainRange = low <= high ? low...high : nil
    }

    /// The stream with every audible granule's global_gain moved by `steps` (each 2^(1/4), so the
    /// decoded audio is the original times 2^(steps/4) exactly: nothing is re-quantised).
    /// Throws `globalGainOutOfRange` (and changes nothing) when a gain would leave 0…255.
    package func applying(steps: Int) throws -> [UInt8] {
        if let range = globalGainRange, range.lowerBound + steps < 0 || range.upperBound + steps > 255 {
            let value = range.lowerBound + steps < 0 ? range.lowerBound : range.upperBound
            let frame = firstFrame { $0 == value }
            throw MP3GainError.globalGainOutOfRange(frame: frame, value: value, steps: steps)
        }
        return edited(tagSteps: steps, uniform: true) { _ in steps }
    }

    /// Granules in the stream (two per frame), in decoding order: granule `g` is the first or
    /// second half of audio frame `g / 2`, and decodes into output samples `576 g …` of the
    /// decoder's raw output (before the gapless trim of `encoderDelay` + 529 samples). Through the
    /// decoder's overlap (the IMDCT's, then the synthesis filter's 512 taps) it sounds in the raw
    /// output blocks `g`, `g + 1` and `g + 2`.
    package var granuleCount: Int { frames.count * 2 }

    /// The encoder delay the LAME tag states (samples a gapless decoder drops at the start, before
    /// its own 529), nil without a LAME tag.
    package var encoderDelay: Int? {
        guard let lame = lameTagOffset else { return nil }
        return Int(audio[lame + 21]) << 4 | Int(audio[lame + 22]) >> 4
    }

    /// The stream with each granule's global gain (every channel of it) moved by
    /// `granuleSteps[g]` steps: a gain that changes along the stream, still without re-quantising
    /// anything (each granule's decoded contribution is scaled exactly; where neighbouring
    /// granules differ, the decoder's overlap cross-fades between their gains). `tagSteps` is
    /// recorded as the LAME tag's MP3 gain (its peak amplitude is cleared: no longer known).
    /// Throws `globalGainOutOfRange` (and changes nothing) when a gain would leave 0…255.
    package func applying(granuleSteps: [Int], tagSteps: Int) throws -> [UInt8] {
        precondition(granuleSteps.count == granuleCount, "one step count per granule")
        try audio.withUnsafeBufferPointer { buf in
            for (index, offset) in frames.enumerated() {
                let mono = buf[offset + 3] >> 6 == 3
                let side = buf.baseAddress! + offset + 4
                for block in 0..<(mono ? 2 : 4) {
                    let start = (mono ? 18 : 20) + block * Self.granuleBits
                    guard Self.bits(side, at: start, count: 12) > 0 else { continue }
                    let gain = Self.bits(side, at: start + Self.globalGainBit, count: 8)
                    let steps = granuleSteps[2 * index + block / (mono ? 1 : 2)]
                    if gain + steps < 0 || gain + steps > 255 {
                        throw MP3GainError.globalGainOutOfRange(frame: index, value: gain, steps: steps)
                    }
                }
            }
        }
        return edited(tagSteps: tagSteps, uniform: false) { granuleSteps[$0] }
    }

    /// A copy with granule `g`'s audible blocks moved by `steps(g)` and the LAME tag brought up to date.
    private func edited(tagSteps: Int, uniform: Bool, steps: (Int) -> Int) -> [UInt8] {
        var out = audio
        out.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            for (index, offset) in frames.enumerated() {
                let mono = base[offset + 3] >> 6 == 3
                let side = base + offset + 4
                for block in 0..<(mono ? 2 : 4) {
                    let start = (mono ? 18 : 20) + block * Self.granuleBits
                    guard Self.bits(side, at: start, count: 12) > 0 else { continue }
                    let gain = Self.bits(side, at: start + Self.globalGainBit, count: 8)
                    Self.setBits(side, at: start + Self.globalGainBit, count: 8,
                                 to: gain + steps(2 * index + block / (mono ? 1 : 2)))
                }
            }
            if let lame = lameTagOffset {
                if !uniform { Self.setBE32(base + lame + 11, 0) }
                Self.updateLAMETag(base, lame: lame, infoLength: infoFrameLength,
                                   music: UnsafeBufferPointer(start: base + infoFrameLength,
                                                              count: buf.count - infoFrameLength - trailer),
                                   steps: tagSteps)
            }
        }
        return out
    }

    /// Index (from 0, info frame excluded) of the first frame with an audible granule whose gain
    /// satisfies `match`.
    private func firstFrame(where match: (Int) -> Bool) -> Int {
        audio.withUnsafeBufferPointer { buf in
            for (index, offset) in frames.enumerated() {
                let mono = buf[offset + 3] >> 6 == 3
                let side = buf.baseAddress! + offset + 4
                for block in 0..<(mono ? 2 : 4) {
                    let start = (mono ? 18 : 20) + block * Self.granuleBits
                    if Self.bits(side, at: start, count: 12) > 0 && match(Self.bits(side, at: start + Self.globalGainBit, count: 8)) {
                        return index
                    }
                }
            }
            return -1
        }
    }

    // MARK: - The LAME info frame

    /// Where the Xing/Info tag starts in a frame (after header and side information).
    static func isInfoFrame(_ frame: UnsafePointer<UInt8>, _ header: MP3FrameHeader) -> Bool {
        let x = frame + 4 + header.sideInfoLength
        guard header.length >= 4 + header.sideInfoLength + 8 else { return false }
        let id = (x[0], x[1], x[2], x[3])
        return id == (0x58, 0x69, 0x6E, 0x67) || id == (0x49, 0x6E, 0x66, 0x6F)   // "Xing", "Info"
    }

    /// Offset of the LAME extension in an info frame whose tag CRC is right; nil otherwise (then
    /// the frame is copied untouched: there is nothing this editor could keep consistent).
    static func infoFrame(_ frame: UnsafePointer<UInt8>, _ header: MP3FrameHeader) -> Int? {
        guard isInfoFrame(frame, header) else { return nil }
        var p = 4 + header.sideInfoLength + 4
        let flags = be32(frame + p)
        p += 4
        if flags & 1 != 0 { p += 4 }     // frame count
        if flags & 2 != 0 { p += 4 }     // byte count
        if flags & 4 != 0 { p += 100 }   // seek table
        if flags & 8 != 0 { p += 4 }     // quality
        guard p + 36 <= header.length else { return nil }
        let stored = UInt16(frame[p + 34]) << 8 | UInt16(frame[p + 35])
        return CRC16.arc(UnsafeBufferPointer(start: frame, count: p + 34)) == stored ? p : nil
    }

    /// LAME tag fields (offsets from the extension's start): 11 peak amplitude (fixed point,
    /// 2^23 = full scale, 0 = unknown), 15 and 17 radio and audiophile ReplayGain, 25 MP3 gain
    /// (signed, 1.5 dB steps), 32 music CRC (CRC-16 of every byte after the info frame), 34 the
    /// tag's own CRC (of the frame up to there).
    static func updateLAMETag(_ frame: UnsafeMutablePointer<UInt8>, lame: Int, infoLength: Int,
                              music: UnsafeBufferPointer<UInt8>, steps: Int) {
        let factor = pow(2, Double(steps) / 4)
        let peak = be32(frame + lame + 11)
        if peak != 0 { setBE32(frame + lame + 11, UInt32(clamping: Int((Double(peak) * factor).rounded()))) }
        // ReplayGain: 3 bits name (0 = not set), 3 bits originator, sign, 9 bits of 0.1 dB.
        for field in [lame + 15, lame + 17] {
            let v = Int(frame[field]) << 8 | Int(frame[field + 1])
            guard v >> 13 != 0 else { continue }
            var tenths = (v & 0x1FF) * (v & 0x200 != 0 ? -1 : 1)
            tenths -= Int((Double(steps) * 15.05).rounded())
            tenths = max(-511, min(511, tenths))
            let packed = (v & 0xFC00) | (tenths < 0 ? 0x200 : 0) | abs(tenths)
            frame[field] = UInt8(packed >> 8)
            frame[field + 1] = UInt8(packed & 0xFF)
        }
        let gain = Int(Int8(bitPattern: frame[lame + 25])) + steps
        frame[lame + 25] = UInt8(bitPattern: Int8(max(-128, min(127, gain))))
        let musicCRC = CRC16.arc(music)
        frame[lame + 32] = UInt8(musicCRC >> 8)
        frame[lame + 33] = UInt8(musicCRC & 0xFF)
        let tagCRC = CRC16.arc(UnsafeBufferPointer(start: frame, count: lame + 34))
        frame[lame + 34] = UInt8(tagCRC >> 8)
        frame[lame + 35] = UInt8(tagCRC & 0xFF)
    }

    // MARK: - Bits

    /// `count` (≤ 16) bits starting `at` bits into `p`, most significant bit first.
    @inline(__always)
    static func bits(_ p: UnsafePointer<UInt8>, at bit: Int, count: Int) -> Int {
        let byte = bit >> 3
        let word = Int(p[byte]) << 16 | Int(p[byte + 1]) << 8 | Int(p[byte + 2])
        return (word >> (24 - (bit & 7) - count)) & ((1 << count) - 1)
    }

    @inline(__always)
    static func setBits(_ p: UnsafeMutablePointer<UInt8>, at bit: Int, count: Int, to value: Int) {
        let byte = bit >> 3
        let shift = 24 - (bit & 7) - count
        let mask = ((1 << count) - 1) << shift
        var word = Int(p[byte]) << 16 | Int(p[byte + 1]) << 8 | Int(p[byte + 2])
        word = (word & ~mask) | ((value << shift) & mask)
        p[byte] = UInt8(word >> 16)
        p[byte + 1] = UInt8((word >> 8) & 0xFF)
        p[byte + 2] = UInt8(word & 0xFF)
    }

    static func be32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }

    static func setBE32(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt32) {
        p[0] = UInt8(v >> 24); p[1] = UInt8((v >> 16) & 0xFF); p[2] = UInt8((v >> 8) & 0xFF); p[3] = UInt8(v & 0xFF)
    }
}

/// CRC-16/ARC (polynomial 0x8005, reflected, initial 0), the CRC of the LAME tag and its music CRC.
enum CRC16 {
    static let table: [UInt16] = (0..<256).map { n in
        var c = UInt16(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xA001 : c >> 1 }
        return c
    }

    static func arc(_ bytes: UnsafeBufferPointer<UInt8>, initial: UInt16 = 0) -> UInt16 {
        table.withUnsafeBufferPointer { t in
            var crc = initial
            for b in bytes { crc = (crc >> 8) ^ t[Int((crc ^ UInt16(b)) & 0xFF)] }
            return crc
        }
    }
}
