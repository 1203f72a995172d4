// The cart wall's audio, decoded into memory before the show so that a key press sounds within
// one period (no file is opened on the render thread). No Foundation here.

/// Interleaved stereo audio of each cart, at the show's rate, with its loudness gain applied.
/// Built on the control side; the mixer only reads it.
package final class CartAudio: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Float>
    private let offsets: [Int]
    /// Frames of each cart.
    package let frameCounts: [Int]

    /// Copies `carts` (interleaved stereo samples of each cart).
    package init(carts: [[Float]]) {
        var offsets: [Int] = []
        var total = 0
        for cart in carts { offsets.append(total); total += cart.count }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, total))
        for (index, cart) in carts.enumerated() where !cart.isEmpty {
            cart.withUnsafeBufferPointer { (storage + offsets[index]).initialize(from: $0.baseAddress!, count: $0.count) }
        }
        self.storage = storage
        self.offsets = offsets
        frameCounts = carts.map { $0.count / 2 }
    }

    /// No carts.
    package convenience init() { self.init(carts: []) }

    deinit { storage.deallocate() }

    /// Carts on the wall.
    package var count: Int { frameCounts.count }

    /// The first sample of cart `index`.
    @inline(__always) func samples(_ index: Int) -> UnsafePointer<Float> { UnsafePointer(storage + offsets[index]) }
}

/// The cart wall on the render thread: each cart mixed over the timeline from its first frame,
/// a second press stopping it with a 10 ms fade. No allocation after `init`.
final class CartPlayer {
    private let audio: CartAudio
    private let samples: UnsafeMutablePointer<UnsafePointer<Float>>
    private let frames: UnsafeMutablePointer<Int>
    /// Next frame of each cart, or -1 when it is silent.
    private let positions: UnsafeMutablePointer<Int>
    /// Frames left of a cart's stop fade, or -1 when it is not stopping.
    private let stops: UnsafeMutablePointer<Int>
    private let declick: Int

    /// The player of `audio`; a stop fades over `declick` frames.
    init(audio: CartAudio, declick: Int) {
        precondition(audio.count <= 32, "at most 32 carts")
        self.audio = audio
        self.declick = declick
        let count = max(1, audio.count)
        samples = .allocate(capacity: count)
        frames = .allocate(capacity: count)
        for index in 0..<audio.count {
            samples[index] = audio.samples(index)
            frames[index] = audio.frameCounts[index]
        }
        positions = .allocate(capacity: count); positions.initialize(repeating: -1, count: count)
        stops = .allocate(capacity: count); stops.initialize(repeating: -1, count: count)
    }

    deinit {
        samples.deallocate(); frames.deallocate(); positions.deallocate(); stops.deallocate()
    }

    /// Fires `cart`, or starts stopping it if it plays; returns what happened (nil: no such cart).
    func toggle(_ cart: Int) -> MixerEvent.Kind? {
        guard cart >= 0 && cart < audio.count else { return nil }
        if positions[cart] >= 0 && stops[cart] < 0 {
            stops[cart] = declick
            return .cartStopped
        }
        positions[cart] = 0
        stops[cart] = -1
        return .cartFired
    }

    /// Bit n set while cart n plays.
    var playing: UInt32 {
        var mask: UInt32 = 0
        for cart in 0..<audio.count where positions[cart] >= 0 { mask |= 1 << UInt32(cart) }
        return mask
    }

    /// Adds the next `count` frames of every playing cart to `bus` (interleaved stereo).
    func mix(into bus: UnsafeMutablePointer<Float>, frames count: Int) {
        for cart in 0..<audio.count where positions[cart] >= 0 {
            let start = positions[cart]
            let n = min(count, frames[cart] - start)
            let source = samples[cart] + start * 2
            if stops[cart] >= 0 {
                let length = Float(max(1, declick))
                var left = stops[cart]
                for f in 0..<n where left > 0 {
                    let g = Float(left) / length
                    bus[2 * f] += source[2 * f] * g
                    bus[2 * f + 1] += source[2 * f + 1] * g
                    left -= 1
                }
                stops[cart] = left
                if left == 0 { positions[cart] = -1; stops[cart] = -1; continue }
            } else {
                for i in 0..<(n * 2) { bus[i] += source[i] }
            }
            positions[cart] = start + n >= frames[cart] ? -1 : start + n
        }
    }
}
