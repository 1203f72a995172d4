// The render thread's side of a live recorder: a sample ring and overrun counters.
// It lives in Realtime so that the engine's render loop can hold it without importing Recorder.
public import Synchronization

/// Interleaved stereo samples from the render thread to a recorder thread, several seconds deep.
///
/// Threading: exactly one producer (the render thread) calls `offer`; exactly one consumer (the
/// recorder thread) reads `ring`. `offer` never blocks, locks or allocates: when the ring is full
/// the whole block is dropped and counted, so the file has a gap and the programme goes on.
package final class RecorderFeed: @unchecked Sendable {
    /// The ring (capacity in samples = frames × 2).
    package let ring: SPSCRing<Float>
    /// Blocks dropped because the ring was full.
    package let overruns = Atomic<Int64>(0)
    /// Frames dropped because the ring was full.
    package let overrunFrames = Atomic<Int64>(0)
    /// Frames accepted into the ring.
    package let framesOffered = Atomic<Int64>(0)

    /// A feed holding `frames` stereo frames (allocates here, never afterwards).
    package init(frames: Int) {
        ring = SPSCRing(capacity: max(2, frames * 2))
    }

    /// Render thread: queues a block of interleaved stereo samples (`block.count` even), whole or
    /// not at all. Returns false (and counts an overrun) when the ring has no room for it.
    @inlinable @discardableResult
    package func offer(_ block: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = block.baseAddress, block.count > 0 else { return true }
        let frames = Int64(block.count / 2)
        if ring.availableToWrite < block.count {
            overruns.add(1, ordering: .relaxed)
            overrunFrames.add(frames, ordering: .relaxed)
            return false
        }
        ring.write(from: base, count: block.count)
        framesOffered.add(frames, ordering: .relaxed)
        return true
    }

    /// Render thread: queues the samples of a mutable block (convenience for the mixer's buffer).
    @inlinable @discardableResult
    package func offer(_ block: UnsafeMutableBufferPointer<Float>) -> Bool {
        offer(UnsafeBufferPointer(block))
    }
}
