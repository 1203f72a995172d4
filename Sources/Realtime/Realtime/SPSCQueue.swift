// Single-producer / single-consumer queue of plain-data messages (console → engine commands,
// engine → console events, render → control "trash" of retired plan pointers).
public import Synchronization

/// A fixed-capacity lock-free FIFO of `BitwiseCopyable` messages for one producer thread and one
/// consumer thread. `push` and `pop` never block, lock or allocate.
///
/// As the "trash" ring (design rule 8), queue `Unmanaged<Plan>`: the render thread pushes the
/// retired plan without releasing it, the control side pops it and calls `release()`, so the
/// deallocation never happens on the render thread.
package final class SPSCQueue<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let ring: SPSCRing<Element>

    /// Creates a queue holding up to `capacity` messages (allocates here, never afterwards).
    package init(capacity: Int) {
        ring = SPSCRing(capacity: capacity)
    }

    /// Maximum number of queued messages.
    package var capacity: Int { ring.capacity }

    /// Messages waiting (consumer side).
    package var count: Int { ring.availableToRead }

    /// Producer: enqueues `element`; returns false (dropping nothing already queued) when full.
    @inlinable @discardableResult
    package func push(_ element: Element) -> Bool {
        withUnsafePointer(to: element) { ring.write(from: $0, count: 1) == 1 }
    }

    /// Consumer: dequeues the oldest message, or nil when empty.
    @inlinable package func pop() -> Element? {
        withUnsafeTemporaryAllocation(of: Element.self, capacity: 1) { slot -> Element? in
            guard let base = slot.baseAddress, ring.read(into: base, count: 1) == 1 else { return nil }
            return base.pointee
        }
    }
}

/// A boolean shared between threads by reference (an `Atomic` cannot be captured by closures).
package final class AtomicFlag: Sendable {
    private let storage = Atomic<Bool>(false)
    /// A lowered flag.
    package init() {}
    /// Raises the flag (release ordering: what was written before is visible to who sees it).
    package func raise() { storage.store(true, ordering: .releasing) }
    /// Whether the flag is raised (acquire ordering).
    package var isRaised: Bool { storage.load(ordering: .acquiring) }
}
