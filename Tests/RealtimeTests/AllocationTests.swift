import Testing
import TestSupport
import Realtime

@Suite struct RealtimeAllocationTests {
    @Test func counterSeesAllocations() {
        var sink = 0
        let n = Allocations.count {
            let array = [Int](repeating: 1, count: 1000 + sink)
            sink += array.count
        }
        #expect(n >= 1, "the malloc interposer is not active")
        #expect(sink == 1000)
    }

    /// After construction (prepare), the render-thread operations never allocate.
    @Test func ringQueueAndSlotDoNotAllocate() {
        let ring = SPSCRing<Float>(capacity: 4096)
        let queue = SPSCQueue<TestCommand>(capacity: 64)
        let slot = LatestValue(Meter(a: 0, b: 0, c: 0, d: 0))
        let block = UnsafeMutablePointer<Float>.allocate(capacity: 1024)
        block.initialize(repeating: 0.25, count: 1024)
        defer { block.deallocate() }
        func work() {
            for i in 0..<200 {
                ring.write(from: block, count: 1024)
                ring.write(repeating: 0, count: 100)
                ring.read(into: block, count: 1024)
                ring.discard(count: 100)
                _ = ring.availableToRead + ring.availableToWrite
                queue.push(.gain(Float(i)))
                _ = queue.pop()
                slot.store(Meter(a: UInt64(i), b: 1, c: 2, d: 3))
                _ = slot.load()
                _ = slot.loadWithVersion()
            }
        }
        work()  // warm-up: first use may instantiate metadata
        #expect(Allocations.count(work) == 0)
    }
}
