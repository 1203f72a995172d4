import CLame

/// Errors from LAME.
package enum MP3EncoderError: Error, Equatable, CustomStringConvertible {
    /// `lame_init` returned NULL (out of memory).
    case initFailed
    /// `lame_init_params` rejected the settings (sample rate, bitrate, channels).
    case invalidSettings(sampleRate: Int, channels: Int, bitrateKbps: Int)
    /// An encode or flush call returned a negative LAME status.
    case encodeFailed(code: Int32)
    /// `encode(interleaved:frames:)` was called on a mono encoder, or a right channel was missing.
    case channelMismatch
    /// The encoder was used after `flush()`.
    case alreadyFlushed

    /// A one-line explanation.
    package var description: String {
        switch self {
        case .initFailed: "LAME could not be initialised (lame_init returned NULL)"
        case let .invalidSettings(sr, ch, br):
            "LAME rejected the settings: \(sr) Hz, \(ch) channel(s), \(br) kb/s CBR"
        case let .encodeFailed(code): "LAME encoding failed with status \(code)"
        case .channelMismatch: "sample layout does not match the encoder's channel count"
        case .alreadyFlushed: "the MP3 encoder was used after flush()"
        }
    }
}

/// A CBR MP3 encoder over LAME, fed with Float32 samples in ±1.0.
///
/// Not thread-safe: one thread (the recorder thread, or the offline renderer) owns it. The output
/// buffer is allocated once at init; `encode` never allocates, and hands each piece of MP3 data to
/// a sink closure as a view into that buffer, valid only during the call.
///
/// The stream starts with an empty frame reserved by LAME for the Xing/LAME info tag; after
/// `flush()`, write `lameTagFrame()` over it so decoders know the exact length (encoder delay and
/// padding are stored there, which is what makes the decoded length equal the input length).
package final class MP3Encoder {
    /// Input and output sample rate in Hz (LAME never resamples here).
    package let sampleRate: Int
    /// 1 (mono) or 2 (joint stereo).
    package let channels: Int
    /// Constant bitrate in kb/s.
    package let bitrateKbps: Int
    /// LAME's algorithm quality, 0 (best, slowest) to 9 (worst, fastest).
    package let quality: Int
    /// Frames handed to LAME per call; larger inputs are split into blocks of this size.
    package let maxFramesPerCall: Int
    /// Sample frames accepted so far.
    package private(set) var framesEncoded: Int64 = 0
    /// MP3 bytes produced so far (including the reserved tag frame).
    package private(set) var bytesProduced: Int64 = 0

    private let gfp: OpaquePointer
    private let output: UnsafeMutablePointer<UInt8>
    private let outputCapacity: Int
    private var flushed = false

    /// Creates and configures a LAME encoder: CBR, `sampleRate` in and out, Xing/LAME tag on.
    /// `infoTag: false` for a stream: no Xing/LAME info frame at its start (nothing can write it
    /// back over the first frame of a stream, and a listener joining later never sees it).
    package init(sampleRate: Int, channels: Int = 2, bitrateKbps: Int = 128, quality: Int = 2,
                maxFramesPerCall: Int = 8192, infoTag: Bool = true) throws {
        precondition(channels == 1 || channels == 2, "channels must be 1 or 2")
        precondition(maxFramesPerCall > 0)
        guard let gfp = lame_init() else { throw MP3EncoderError.initFailed }
        self.gfp = gfp
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitrateKbps = bitrateKbps
        self.quality = min(max(quality, 0), 9)
        self.maxFramesPerCall = maxFramesPerCall
        // LAME's documented worst case: 1.25 * samples + 7200 bytes (also enough for a flush).
        outputCapacity = maxFramesPerCall + maxFramesPerCall / 4 + 7200
        output = .allocate(capacity: outputCapacity)

        lame_set_in_samplerate(gfp, Int32(sampleRate))
        lame_set_out_samplerate(gfp, Int32(sampleRate))
        lame_set_num_channels(gfp, Int32(channels))
        lame_set_mode(gfp, channels == 1 ? MONO : JOINT_STEREO)
        lame_set_VBR(gfp, vbr_off)
        lame_set_brate(gfp, Int32(bitrateKbps))
        lame_set_quality(gfp, Int32(self.quality))
        // The Info (CBR Xing) + LAME tag carries delay/padding: without it decoders add ~1-2k
        // samples of silence and the decoded length no longer equals the planned length.
        lame_set_bWriteVbrTag(gfp, infoTag ? 1 : 0)
        // We write our own ID3v2.3 tag; LAME must not add ID3 data to the audio stream.
        lame_set_write_id3tag_automatic(gfp, 0)
        // LAME silently picks the nearest valid rate/bitrate; a resampled stream would break the
        // frame-exact length, so anything but exactly what was asked for is an error.
        if lame_init_params(gfp) < 0 || lame_get_out_samplerate(gfp) != Int32(sampleRate)
            || lame_get_brate(gfp) != Int32(bitrateKbps) {
            // Every stored property is set, so deinit runs and frees LAME and the buffer.
            throw MP3EncoderError.invalidSettings(sampleRate: sampleRate, channels: channels,
                                                  bitrateKbps: bitrateKbps)
        }
    }

    deinit {
        lame_close(gfp)
        output.deallocate()
    }

    /// Samples LAME inserts before the first input sample (stored in the LAME tag).
    package var encoderDelay: Int { Int(lame_get_encoder_delay(gfp)) }

    /// Encodes `frames` frames from separate channel buffers (`right` ignored and may be nil for
    /// mono); `sink` receives the MP3 bytes produced, possibly several times, possibly never.
    package func encode(left: UnsafePointer<Float>, right: UnsafePointer<Float>?, frames: Int,
                       into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !flushed else { throw MP3EncoderError.alreadyFlushed }
        if channels == 2 && right == nil { throw MP3EncoderError.channelMismatch }
        var done = 0
        while done < frames {
            let n = min(frames - done, maxFramesPerCall)
            // LAME reads only the left buffer for mono input.
            let r = right.map { $0 + done } ?? (left + done)
            let produced = lame_encode_buffer_ieee_float(gfp, left + done, r, Int32(n),
                                                         output, Int32(outputCapacity))
            try deliver(produced, to: sink)
            done += n
            framesEncoded += Int64(n)
        }
    }

    /// Encodes `frames` interleaved stereo frames (L R L R …); stereo encoders only.
    package func encode(interleaved: UnsafePointer<Float>, frames: Int,
                       into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !flushed else { throw MP3EncoderError.alreadyFlushed }
        guard channels == 2 else { throw MP3EncoderError.channelMismatch }
        var done = 0
        while done < frames {
            let n = min(frames - done, maxFramesPerCall)
            let produced = lame_encode_buffer_interleaved_ieee_float(
                gfp, interleaved + 2 * done, Int32(n), output, Int32(outputCapacity))
            try deliver(produced, to: sink)
            done += n
            framesEncoded += Int64(n)
        }
    }

    /// Encodes everything still buffered in LAME (pads the last frame); call once, at the end.
    package func flush(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !flushed else { throw MP3EncoderError.alreadyFlushed }
        flushed = true
        let produced = lame_encode_flush(gfp, output, Int32(outputCapacity))
        try deliver(produced, to: sink)
    }

    /// The final Xing/LAME info frame, to be written over the first MP3 frame of the stream
    /// (same size as it); call after `flush`. Empty if LAME produced none.
    package func lameTagFrame() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 2880)
        let n = buffer.withUnsafeMutableBufferPointer {
            lame_get_lametag_frame(gfp, $0.baseAddress, $0.count)
        }
        if n > buffer.count { // cannot happen for MPEG-1 layer III, but the API allows it
            buffer = [UInt8](repeating: 0, count: n)
            let m = buffer.withUnsafeMutableBufferPointer {
                lame_get_lametag_frame(gfp, $0.baseAddress, $0.count)
            }
            return Array(buffer.prefix(m))
        }
        return Array(buffer.prefix(n))
    }

    private func deliver(_ produced: Int32, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard produced >= 0 else { throw MP3EncoderError.encodeFailed(code: produced) }
        if produced > 0 {
            bytesProduced += Int64(produced)
            try sink(UnsafeRawBufferPointer(start: output, count: Int(produced)))
        }
    }
}

extension MP3Encoder {
    /// Convenience: encodes separate channel arrays and returns the bytes produced.
    package func encode(left: [Float], right: [Float]?) throws -> [UInt8] {
        precondition(right == nil || right!.count == left.count)
        var out: [UInt8] = []
        try left.withUnsafeBufferPointer { l in
            if let right {
                try right.withUnsafeBufferPointer { r in
                    try encode(left: l.baseAddress!, right: r.baseAddress!, frames: l.count) { out += $0 }
                }
            } else {
                try encode(left: l.baseAddress!, right: nil, frames: l.count) { out += $0 }
            }
        }
        return out
    }

    /// Convenience: flushes and returns the bytes produced.
    package func flush() throws -> [UInt8] {
        var out: [UInt8] = []
        try flush { out += $0 }
        return out
    }
}
