import CAllocationCounter
import Testing

/// Heap allocations made by the calling thread, counted by the malloc interposer linked into the
/// test process (`CAllocationCounter`).
package enum Allocations {
    /// The allocations `body` makes on this thread. A positive control runs first: one known
    /// allocation must be counted, or the interposer is not active and the test fails here, so a
    /// zero-allocation assertion can never pass by counting nothing.
    package static func count(sourceLocation: SourceLocation = #_sourceLocation, _ body: () -> Void) -> Int {
        regie_allocation_counting_begin()
        let probe = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        probe.deallocate()
        let control = regie_allocation_counting_end()
        if control < 1 {
            Issue.record("the allocation counter counted no allocation in its positive control: the malloc interposer is not active",
                         sourceLocation: sourceLocation)
            return Int.max
        }
        regie_allocation_counting_begin()
        body()
        return regie_allocation_counting_end()
    }
}
