import MP3

/// Writes `samples` through an `MP3FileWriter` in blocks of `block` frames.
package func writeBlocks(_ writer: MP3FileWriter, _ samples: [Float], block: Int = 4096) throws {
    let frames = samples.count / 2
    try samples.withUnsafeBufferPointer { buf in
        var done = 0
        while done < frames {
            let n = min(block, frames - done)
            try writer.write(interleaved: buf.baseAddress! + 2 * done, frames: n)
            done += n
        }
    }
}
