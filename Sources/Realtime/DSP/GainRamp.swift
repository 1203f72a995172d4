/// Gain applied with linear interpolation across a block, so a gain change never clicks.
package enum GainRamp {
    /// Multiplies `buffer` (interleaved, `channels` per frame) by a gain moving linearly from
    /// `start` to `end`: frame i of n gets `start + (end - start) * i / n`, so the block after it
    /// can begin exactly at `end` with no step. A constant gain (`start == end`) is a plain scale.
    package static func apply(_ buffer: UnsafeMutableBufferPointer<Float>, channels: Int = 2, from start: Float, to end: Float) {
        let frames = buffer.count / channels
        guard frames > 0 else { return }
        if start == end {
            if start == 1 { return }
            for i in 0..<(frames * channels) { buffer[i] *= start }
            return
        }
        let step = (end - start) / Float(frames)
        for f in 0..<frames {
            let g = start + step * Float(f)
            let base = f * channels
            for c in 0..<channels { buffer[base + c] *= g }
        }
    }

    /// Adds `source * gain` (gain ramping linearly from `start` to `end` as in `apply`) into
    /// `destination`; both interleaved with `channels` per frame, same length.
    package static func mix(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>, channels: Int = 2, from start: Float, to end: Float) {
        let frames = min(source.count, destination.count) / channels
        guard frames > 0 else { return }
        let step = (end - start) / Float(frames)
        for f in 0..<frames {
            let g = start + step * Float(f)
            let base = f * channels
            for c in 0..<channels { destination[base + c] += source[base + c] * g }
        }
    }
}

/// A gain that glides to a new target over a given number of frames (state carried across blocks).
package struct SmoothedGain: Sendable {
    /// The gain applied to the next frame.
    package private(set) var current: Float
    /// The gain being approached.
    package private(set) var target: Float
    private var framesLeft: Int64 = 0

    /// Starts at a steady `gain`.
    package init(_ gain: Float = 1) {
        current = gain
        target = gain
    }

    /// Sets a new target reached after `rampFrames` frames (0 = immediately).
    package mutating func setTarget(_ gain: Float, rampFrames: Int64) {
        target = gain
        framesLeft = max(0, rampFrames)
        if framesLeft == 0 { current = gain }
    }

    /// Applies the gliding gain to `buffer` (interleaved, `channels` per frame) and advances.
    package mutating func process(_ buffer: UnsafeMutableBufferPointer<Float>, channels: Int = 2) {
        let frames = Int64(buffer.count / channels)
        if framesLeft == 0 {
            GainRamp.apply(buffer, channels: channels, from: current, to: current)
            return
        }
        let rampFrames = min(frames, framesLeft)
        let end = current + (target - current) * Float(rampFrames) / Float(framesLeft)
        let rampPart = UnsafeMutableBufferPointer(rebasing: buffer[0..<Int(rampFrames) * channels])
        GainRamp.apply(rampPart, channels: channels, from: current, to: end)
        framesLeft -= rampFrames
        current = framesLeft == 0 ? target : end
        if rampFrames < frames {
            let rest = UnsafeMutableBufferPointer(rebasing: buffer[Int(rampFrames) * channels..<Int(frames) * channels])
            GainRamp.apply(rest, channels: channels, from: current, to: current)
        }
    }
}
