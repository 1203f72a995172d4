import Testing
import Synchronization
import Foundation
@testable import Realtime

@Suite struct SPSCRingTests {
    @Test func writeReadWrapsAroundAndReportsSpace() {
        let ring = SPSCRing<Float>(capacity: 6)  // storage rounds to 8; capacity stays 6
        #expect(ring.capacity == 6)
        #expect(ring.availableToWrite == 6)
        #expect(ring.availableToRead == 0)
        var source: [Float] = [1, 2, 3, 4, 5, 6, 7]
        let written = source.withUnsafeBufferPointer { ring.write(from: $0.baseAddress!, count: 7) }
        #expect(written == 6)
        #expect(ring.availableToWrite == 0)
        var out = [Float](repeating: 0, count: 4)
        let read = out.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: 4) }
        #expect(read == 4)
        #expect(out == [1, 2, 3, 4])
        source = [10, 11, 12, 13]
        // This write crosses the end of the storage.
        #expect(source.withUnsafeBufferPointer { ring.write(from: $0.baseAddress!, count: 4) } == 4)
        #expect(ring.availableToRead == 6)
        out = [Float](repeating: 0, count: 8)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: 8) } == 6)
        #expect(Array(out.prefix(6)) == [5, 6, 10, 11, 12, 13])
        #expect(ring.availableToRead == 0)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: 1) } == 0)
    }

    @Test func writeRepeatingAndDiscard() {
        let ring = SPSCRing<Int32>(capacity: 4)
        #expect(ring.write(repeating: 7, count: 3) == 3)
        #expect(ring.discard(count: 2) == 1 + 1)
        var out: Int32 = 0
        #expect(ring.read(into: &out, count: 1) == 1)
        #expect(out == 7)
        #expect(ring.discard(count: 5) == 0)
    }

    /// Two threads: the producer writes 0, 1, 2, … in odd-sized chunks, the consumer reads in other
    /// chunk sizes and checks every value arrives exactly once, in order. Bounded by a value count,
    /// never by time.
    @Test func twoThreadStressKeepsOrder() async {
        let total = 2_000_000
        let ring = SPSCRing<UInt32>(capacity: 1021)
        let producer = Thread {
            var next: UInt32 = 0
            var chunk = [UInt32](repeating: 0, count: 97)
            var remaining = total
            while remaining > 0 {
                let want = min(remaining, 1 + Int(next % 97))
                for i in 0..<want { chunk[i] = next &+ UInt32(i) }
                var done = 0
                while done < want {
                    let n = chunk.withUnsafeBufferPointer { ring.write(from: $0.baseAddress! + done, count: want - done) }
                    if n == 0 { sched_yield() }
                    done += n
                }
                next &+= UInt32(want)
                remaining -= want
            }
        }
        producer.start()
        var expected: UInt32 = 0
        var mismatches = 0
        var buffer = [UInt32](repeating: 0, count: 61)
        var received = 0
        while received < total {
            let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: 1 + received % 61) }
            if n == 0 { sched_yield(); continue }
            for i in 0..<n {
                if buffer[i] != expected { mismatches += 1 }
                expected &+= 1
            }
            received += n
        }
        #expect(mismatches == 0)
        #expect(received == total)
        #expect(ring.availableToRead == 0)
    }
}

/// A plain-data command such as the console sends to the engine.
enum TestCommand: Equatable, BitwiseCopyable {
    case play(item: Int32)
    case stop
    case gain(Float)
}

@Suite struct SPSCQueueTests {
    @Test func fifoOrderAndFullness() {
        let queue = SPSCQueue<TestCommand>(capacity: 3)
        #expect(queue.pop() == nil)
        #expect(queue.push(.play(item: 4)))
        #expect(queue.push(.gain(-3)))
        #expect(queue.push(.stop))
        #expect(!queue.push(.stop), "a full queue refuses")
        #expect(queue.count == 3)
        #expect(queue.pop() == .play(item: 4))
        #expect(queue.pop() == .gain(-3))
        #expect(queue.pop() == .stop)
        #expect(queue.pop() == nil)
    }

    @Test func twoThreadStressDeliversEveryCommandInOrder() {
        let total = 500_000
        let queue = SPSCQueue<TestCommand>(capacity: 64)
        let producer = Thread {
            for i in 0..<total {
                let command: TestCommand = i % 3 == 0 ? .play(item: Int32(i)) : .gain(Float(i))
                while !queue.push(command) { sched_yield() }
            }
        }
        producer.start()
        var i = 0
        var mismatches = 0
        while i < total {
            guard let command = queue.pop() else { sched_yield(); continue }
            let expected: TestCommand = i % 3 == 0 ? .play(item: Int32(i)) : .gain(Float(i))
            if command != expected { mismatches += 1 }
            i += 1
        }
        #expect(mismatches == 0)
        #expect(queue.pop() == nil)
    }
}

/// A value bigger than one machine word, so a torn read would be visible.
struct Meter: BitwiseCopyable, Equatable {
    var a: UInt64, b: UInt64, c: UInt64, d: Float
}

@Suite struct LatestValueTests {
    @Test func storesAndLoadsWithVersion() {
        let slot = LatestValue(Meter(a: 1, b: 2, c: 3, d: 0.5))
        #expect(slot.load() == Meter(a: 1, b: 2, c: 3, d: 0.5))
        let v0 = slot.version
        slot.store(Meter(a: 4, b: 5, c: 6, d: -1))
        #expect(slot.load() == Meter(a: 4, b: 5, c: 6, d: -1))
        #expect(slot.loadWithVersion().version == v0 + 1)
    }

    /// The writer stores values whose fields are all equal; readers on another thread must never
    /// see a mix of two stores, and must see versions that never go backwards.
    @Test func readersNeverSeeTornValues() {
        let slot = LatestValue(Meter(a: 0, b: 0, c: 0, d: 0))
        let stores = 300_000
        let done = Atomic<Bool>(false)
        let writer = Thread {
            for i in 1...stores {
                let x = UInt64(i)
                slot.store(Meter(a: x, b: x, c: x, d: Float(i % 1000)))
            }
            done.store(true, ordering: .releasing)
        }
        writer.start()
        var torn = 0
        var backwards = 0
        var lastVersion: UInt64 = 0
        var reads = 0
        while !done.load(ordering: .acquiring) || reads < 1000 {
            let (m, version) = slot.loadWithVersion()
            if m.a != m.b || m.b != m.c || m.d != Float(m.a % 1000) { torn += 1 }
            if version < lastVersion { backwards += 1 }
            lastVersion = version
            reads += 1
        }
        #expect(torn == 0)
        #expect(backwards == 0)
        #expect(slot.load().a == UInt64(stores))
    }
}

@Suite struct TrashRingTests {
    /// The render side hands retired objects over as `Unmanaged`; they are released (and freed)
    /// by the control side that pops them.
    @Test func unmanagedReferencesCrossAndAreReleasedByTheConsumer() {
        final class Tracked {
            nonisolated(unsafe) static var freedOnThread: [pthread_t] = []
            deinit { Tracked.freedOnThread.append(pthread_self()) }
        }
        let trash = SPSCQueue<Unmanaged<Tracked>>(capacity: 8)
        let render = Thread {
            for _ in 0..<5 { trash.push(Unmanaged.passRetained(Tracked())) }
        }
        render.start()
        var released = 0
        while released < 5 {
            guard let retired = trash.pop() else { sched_yield(); continue }
            retired.release()
            released += 1
        }
        #expect(Tracked.freedOnThread.count == 5)
        #expect(Tracked.freedOnThread.allSatisfy { pthread_equal($0, pthread_self()) != 0 })
    }
}

@Suite struct CPUMaskTests {
    /// A thread confined to one CPU reads that CPU back, the threads it starts inherit it, and the
    /// thread that started it keeps its own CPUs (Linux affinity is per thread).
    @Test func confinesTheCallingThreadOnlyAndIsInherited() throws {
        let before = try #require(CPUMask.ofCallingThread())
        let cpus = before.cpus
        #expect(!cpus.isEmpty)
        #expect(CPUMask(cpus: cpus) == before)
        let target = try #require(cpus.last)
        let seen = Mutex<(own: [Int], child: [Int], applied: Bool)>(([], [], false))
        let done = DispatchSemaphore(value: 0)
        Thread {
            let applied = CPUMask(cpus: [target]).applyToCallingThread()
            let own = CPUMask.ofCallingThread()?.cpus ?? []
            let childDone = DispatchSemaphore(value: 0)
            Thread {
                let child = CPUMask.ofCallingThread()?.cpus ?? []
                seen.withLock { $0.child = child }
                childDone.signal()
            }.start()
            childDone.wait()
            seen.withLock { $0.own = own; $0.applied = applied }
            done.signal()
        }.start()
        done.wait()
        let result = seen.withLock { $0 }
        #expect(result.applied)
        #expect(result.own == [target])
        #expect(result.child == [target])
        #expect(CPUMask.ofCallingThread() == before)
        // A CPU that cannot exist is refused, and nothing changes.
        #expect(!CPUMask(cpus: [1023]).applyToCallingThread() || cpus.contains(1023))
        #expect(CPUMask.ofCallingThread() == before)
    }
}

/// The render thread never takes a page fault in a ring: its memory is mapped (and locked when
/// the system allows) before the first write.
@Suite struct RingMemoryTests {
    /// Pages of `bytes` at `address` that are resident, by mincore(2).
    static func residentPages(_ address: UnsafeMutableRawPointer, bytes: Int) -> (resident: Int, pages: Int) {
        let page = 4096
        let pages = (bytes + page - 1) / page
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(address, bytes, &vector) == 0 else { return (-1, pages) }
        return (vector.filter { $0 & 1 != 0 }.count, pages)
    }

    /// VmLck from /proc/self/status, kB.
    static func lockedKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmLck:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    @Test func aTenSecondRecorderRingIsResidentBeforeItsFirstWrite() throws {
        // The positive control: a fresh anonymous mapping is not in memory until written, so
        // mincore can tell (malloc could hand back memory an earlier test touched).
        let untouchedBytes = 16 << 20
        let mapping = mmap(nil, untouchedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        let untouched = try #require(mapping == MAP_FAILED ? nil : mapping)
        defer { munmap(untouched, untouchedBytes) }
        let control = Self.residentPages(untouched, bytes: untouchedBytes)
        #expect(control.resident >= 0 && control.resident < control.pages / 2, "fresh memory is not all resident: \(control)")

        let lockedBefore = Self.lockedKilobytes()
        let feed = RecorderFeed(frames: 10 * 48000)
        let ring = feed.ring
        let resident = Self.residentPages(UnsafeMutableRawPointer(ring.storage), bytes: ring.storageBytes)
        #expect(resident.resident == resident.pages, "every page of the ring is mapped: \(resident)")
        if getuid() == 0 {
            #expect(ring.isLocked, "root may lock memory")
        }
        if ring.isLocked {
            #expect(Self.lockedKilobytes() - lockedBefore >= ring.storageBytes / 1024, "VmLck grew by the ring")
        }
    }
}
