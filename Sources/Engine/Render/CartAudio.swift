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
