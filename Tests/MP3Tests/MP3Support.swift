import Foundation
import MP3
import Testing
import TestSupport

/// Encodes interleaved stereo samples with a bare `MP3Encoder` (no ID3), writing the LAME tag over
/// the first frame as a file writer would.
func encodeRaw(_ interleaved: [Float], rate: Int, planar: Bool) throws -> [UInt8] {
    let enc = try MP3Encoder(sampleRate: rate, channels: 2, bitrateKbps: 128, quality: 2)
    let frames = interleaved.count / 2
    var out: [UInt8] = []
    if planar {
        let l = (0..<frames).map { interleaved[2 * $0] }
        let r = (0..<frames).map { interleaved[2 * $0 + 1] }
        out += try enc.encode(left: l, right: r)
    } else {
        try interleaved.withUnsafeBufferPointer {
            try enc.encode(interleaved: $0.baseAddress!, frames: frames) { out += $0 }
        }
    }
    out += try enc.flush()
    let tag = enc.lameTagFrame()
    #expect(!tag.isEmpty)
    out.replaceSubrange(0..<tag.count, with: tag)
    return out
}
