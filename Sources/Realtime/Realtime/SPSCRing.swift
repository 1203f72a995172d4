// Single-producer / single-consumer lock-free ring of plain-data elements.
//
// Threading: exactly one thread calls the producer side (`write`, `availableToWrite`) and exactly
// one thread calls the consumer side (`read`, `discard`, `availableToRead`) at any time. Neither
// side ever blocks, locks or allocates; the storage is allocated once in `init`, written through
// once there (every page is mapped before the render thread's first write, as jack2 does for its
// rings) and locked in memory when the system allows it (no page of it is ever swapped out under
// the render thread). The hot paths are @inlinable so that `SPSCRing<Float>` is specialised in the
// engine's module.
import Glibc
public import Synchronization

/// A fixed-capacity lock-free ring of `BitwiseCopyable` elements (e.g. `Float` samples) for one
/// producer thread and one consumer thread.
///
/// The engine uses `SPSCRing<Float>` for interleaved stereo samples (prefetch → render,
/// render → recorder); counts are then in samples, so pass `frames * 2`.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    // Monotonic counters: `writeCount` is advanced only by the producer, `readCount` only by the
    // consumer. Their difference is the fill level; positions in storage are `count & mask`.
    @usableFromInline let writeCount = Atomic<Int>(0)
    // Keeps the two counters on different cache lines so producer and consumer do not contend
    // (stored properties of a final class are laid out in declaration order).
    private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline let readCount = Atomic<Int>(0)
    @usableFromInline let storage: UnsafeMutablePointer<Element>
    @usableFromInline let mask: Int

    /// Maximum number of elements the ring holds.
    public let capacity: Int
    /// Bytes of storage (a power-of-two number of elements, page-aligned).
    let storageBytes: Int
    /// Whether the storage is locked in memory (`mlock`; refused beyond RLIMIT_MEMLOCK for a
    /// user without CAP_IPC_LOCK: the pages are then touched but may be swapped out).
    package let isLocked: Bool

    /// Creates a ring holding up to `capacity` elements (allocates, touches and locks its memory
    /// here, never afterwards).
    public init(capacity: Int) {
        precondition(capacity > 0, "SPSCRing capacity must be positive")
        var size = 1
        while size < capacity { size <<= 1 }
        self.capacity = capacity
        self.mask = size - 1
        storageBytes = size * MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: storageBytes,
                                                   alignment: max(MemoryLayout<Element>.alignment, Self.pageSize))
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: storageBytes)
        isLocked = mlock(raw, storageBytes) == 0
        storage = raw.bindMemory(to: Element.self, capacity: size)
    }

    deinit {
        if isLocked { munlock(storage, storageBytes) }
        UnsafeMutableRawPointer(storage).deallocate()
    }

    /// The memory page size.
    static var pageSize: Int { max(4096, sysconf(Int32(_SC_PAGESIZE))) }

    /// Elements the consumer can read now (consumer side; a lower bound if called elsewhere).
    @inlinable public var availableToRead: Int {
        writeCount.load(ordering: .acquiring) - readCount.load(ordering: .relaxed)
    }

    /// Free space the producer can write now (producer side; a lower bound if called elsewhere).
    @inlinable public var availableToWrite: Int {
        capacity - (writeCount.load(ordering: .relaxed) - readCount.load(ordering: .acquiring))
    }

    /// Producer: copies up to `count` elements from `source`; returns how many were written.
    @inlinable @discardableResult
    public func write(from source: UnsafePointer<Element>, count: Int) -> Int {
        let w = writeCount.load(ordering: .relaxed)
        let r = readCount.load(ordering: .acquiring)
        let n = min(count, capacity - (w - r))
        if n <= 0 { return 0 }
        copyIn(source, at: w, count: n)
        writeCount.store(w + n, ordering: .releasing)
        return n
    }

    /// Producer: writes `count` copies of `value` (e.g. silence); returns how many were written.
    @inlinable @discardableResult
    public func write(repeating value: Element, count: Int) -> Int {
        let w = writeCount.load(ordering: .relaxed)
        let r = readCount.load(ordering: .acquiring)
        let n = min(count, capacity - (w - r))
        if n <= 0 { return 0 }
        for i in 0..<n { storage[(w + i) & mask] = value }
        writeCount.store(w + n, ordering: .releasing)
        return n
    }

    /// Consumer: copies up to `count` elements into `destination`; returns how many were read.
    @inlinable @discardableResult
    public func read(into destination: UnsafeMutablePointer<Element>, count: Int) -> Int {
        let r = readCount.load(ordering: .relaxed)
        let w = writeCount.load(ordering: .acquiring)
        let n = min(count, w - r)
        if n <= 0 { return 0 }
        copyOut(destination, at: r, count: n)
        readCount.store(r + n, ordering: .releasing)
        return n
    }

    /// Consumer: drops up to `count` readable elements without copying; returns how many.
    @inlinable @discardableResult
    public func discard(count: Int) -> Int {
        let r = readCount.load(ordering: .relaxed)
        let w = writeCount.load(ordering: .acquiring)
        let n = min(count, w - r)
        if n <= 0 { return 0 }
        readCount.store(r + n, ordering: .releasing)
        return n
    }

    @inlinable func copyIn(_ source: UnsafePointer<Element>, at position: Int, count: Int) {
        let start = position & mask
        let first = min(count, mask + 1 - start)
        (storage + start).update(from: source, count: first)
        if first < count { storage.update(from: source + first, count: count - first) }
    }

    @inlinable func copyOut(_ destination: UnsafeMutablePointer<Element>, at position: Int, count: Int) {
        let start = position & mask
        let first = min(count, mask + 1 - start)
        destination.update(from: storage + start, count: first)
        if first < count { (destination + first).update(from: storage, count: count - first) }
    }
}
