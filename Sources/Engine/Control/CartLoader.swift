import AudioIO
import Foundation
import RegieModel

/// Loads the show's cart wall into memory before air: each jingle decoded, resampled to the show's
/// rate and brought to the show's loudness target, so firing a cart never touches a file.
package enum CartLoader {
    /// A cart that could not be loaded (it stays silent; the console shows why).
    package struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The cart's key.
        package var key: String
        /// Why.
        package var reason: String
        /// One sentence.
        package var description: String { "cart \(key): \(reason)" }
    }

    /// Carts longer than this are refused: they belong in the rundown, not on the wall.
    package static let maximumSeconds = 60.0

    /// The audio of `show`'s carts, in wall order, and the carts that failed (silent).
    package static func load(show: Show, cache: LoudnessCache) -> (audio: CartAudio, failures: [Failure]) {
        var buffers: [[Float]] = []
        var failures: [Failure] = []
        for cart in show.carts {
            do {
                buffers.append(try decode(cart, show: show, cache: cache))
            } catch {
                failures.append(Failure(key: cart.key, reason: "\(error)"))
                buffers.append([])
            }
        }
        return (CartAudio(carts: buffers), failures)
    }

    private static func decode(_ cart: Show.Cart, show: Show, cache: LoudnessCache) throws -> [Float] {
        let loudness = try cache.loudness(of: cart.jingle)
        let gain = LoudnessGain.linear(target: show.loudness, measured: loudness.integrated)
        let reader = try ResampledFileReader(path: cart.jingle, outputRate: show.sampleRate)
        let limit = Int(maximumSeconds * Double(show.sampleRate))
        var samples: [Float] = []
        let chunk = 4096
        var buffer = [Float](repeating: 0, count: chunk * 2)
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { reader.read(into: $0.baseAddress!, frames: chunk) }
            if n == 0 { break }
            samples += buffer[0..<(n * 2)].map { $0 * gain }
            if samples.count / 2 > limit {
                throw Failure(key: cart.key, reason: "longer than \(Int(maximumSeconds)) s")
            }
        }
        return samples
    }
}
