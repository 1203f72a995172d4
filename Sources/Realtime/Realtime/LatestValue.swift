// Latest-value slot: one writer publishes, any number of readers take the newest complete value.
public import Synchronization

/// A seqlock holding the most recent value of a plain-data type (position, meters, status).
///
/// Threading: one writer thread calls `store`; any threads may call `load`. The writer never
/// waits; a reader retries only while a store is in progress. The value is kept as relaxed atomic
/// 64-bit words so that racing copies are well defined.
package final class LatestValue<Value: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let sequence = Atomic<UInt64>(0)  // odd while a store is in progress
    @usableFromInline let words: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let wordCount: Int

    /// Creates the slot holding `initial` (allocates here, never afterwards).
    package init(_ initial: Value) {
        wordCount = max(1, (MemoryLayout<Value>.size + 7) / 8)
        words = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: wordCount)
        for i in 0..<wordCount { (words + i).initialize(to: Atomic<UInt64>(0)) }
        publish(initial)
    }

    deinit {
        words.deinitialize(count: wordCount)
        words.deallocate()
    }

    /// How many values have been stored (including the initial one); lets a reader skip redraws.
    package var version: UInt64 { sequence.load(ordering: .acquiring) / 2 }

    /// Writer: publishes `value` without blocking.
    @inlinable package func store(_ value: Value) {
        let s = sequence.load(ordering: .relaxed)
        sequence.store(s &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        copyWords(from: value)
        sequence.store(s &+ 2, ordering: .releasing)
    }

    /// Reader: the most recently stored complete value.
    @inlinable package func load() -> Value {
        loadWithVersion().value
    }

    /// Reader: the most recent value and its version number.
    @inlinable package func loadWithVersion() -> (value: Value, version: UInt64) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: wordCount) { scratch in
            while true {
                let before = sequence.load(ordering: .acquiring)
                if before & 1 == 0 {
                    for i in 0..<wordCount { scratch[i] = words[i].load(ordering: .relaxed) }
                    atomicMemoryFence(ordering: .acquiring)
                    if sequence.load(ordering: .relaxed) == before {
                        let value = UnsafeRawPointer(scratch.baseAddress!).loadUnaligned(as: Value.self)
                        return (value, before / 2)
                    }
                }
            }
        }
    }

    private func publish(_ value: Value) {
        copyWords(from: value)
        sequence.store(2, ordering: .releasing)
    }

    @inlinable func copyWords(from value: Value) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: wordCount) { scratch in
            scratch.initialize(repeating: 0)
            withUnsafeBytes(of: value) { bytes in
                UnsafeMutableRawBufferPointer(scratch).copyMemory(from: bytes)
            }
            for i in 0..<wordCount { words[i].store(scratch[i], ordering: .relaxed) }
        }
    }
}
