import Realtime
import Foundation
import MP3
import Production
import Playout
import RegieModel
import Testing
import TestSupport

/// Whether this process may mount file systems (root with CAP_SYS_ADMIN): tmpfs and read-only
/// bind mounts make disk errors that really happen even to root.
let canMount: Bool = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("regie-mount-check-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    guard (try? run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path]))?.status == 0 else { return false }
    _ = try? run("umount", [dir.path])
    return true
}()

/// Feeds `frames` frames of a 440 Hz tone into `feed` in blocks of `block` frames from a producer
/// thread, pacing itself at `speed` × real time and retrying a block the ring refuses after a
/// short sleep (a test producer may wait; the render thread would count and drop). Returns when done.
func produce(into feed: RecorderFeed, frames: Int, rate: Int, block: Int = 441, speed: Double = 8,
             retry: Bool = true) -> (refused: Int, samples: [Float]) {
    let samples = sineInterleaved(frames: frames, rate: rate)
    let done = DispatchSemaphore(value: 0)
    let refused = LockedCounter()
    let t = Thread {
        let start = DispatchTime.now().uptimeNanoseconds
        samples.withUnsafeBufferPointer { buf in
            var frame = 0
            while frame < frames {
                let n = min(block, frames - frame)
                let ok = feed.offer(UnsafeBufferPointer(rebasing: buf[(2 * frame)..<(2 * (frame + n))]))
                if !ok {
                    refused.add()
                    if retry { usleep(2000); continue }
                }
                frame += n
                let due = start + UInt64(Double(frame) / Double(rate) / speed * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(useconds_t((due - now) / 1000)) }
            }
        }
        done.signal()
    }
    t.start()
    done.wait()
    return (refused.value, samples)
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
