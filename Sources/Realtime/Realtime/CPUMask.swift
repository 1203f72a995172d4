// CPU affinity of the calling thread (Linux: per thread; threads started later inherit it).
import CLinux

/// A set of CPUs a thread may run on.
package struct CPUMask: Equatable, Sendable {
    private var words: [UInt64]

    private static let wordCount = MemoryLayout<regie_cpu_mask>.size / 8

    private init(words: [UInt64]) { self.words = words }

    /// The set holding `cpus`.
    package init(cpus: some Sequence<Int>) {
        self.init(words: Array(repeating: 0, count: Self.wordCount))
        for cpu in cpus where cpu >= 0 && cpu < 64 * Self.wordCount { words[cpu / 64] |= 1 << UInt64(cpu % 64) }
    }

    /// The CPUs of the calling thread; nil if the system does not say.
    package static func ofCallingThread() -> CPUMask? {
        var raw = regie_cpu_mask()
        guard regie_thread_affinity(&raw) == 0 else { return nil }
        return CPUMask(words: withUnsafeBytes(of: &raw) { Array($0.bindMemory(to: UInt64.self)) })
    }

    /// The CPUs in the set, ascending.
    package var cpus: [Int] {
        var result: [Int] = []
        for (index, word) in words.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { result.append(index * 64 + bit) }
        }
        return result
    }

    /// Restricts the calling thread to this set; false if refused (an empty set, a CPU that is
    /// not online or not allowed by the process's cgroup).
    @discardableResult
    package func applyToCallingThread() -> Bool {
        var raw = regie_cpu_mask()
        withUnsafeMutableBytes(of: &raw) { bytes in
            let target = bytes.bindMemory(to: UInt64.self)
            for i in 0..<min(target.count, words.count) { target[i] = words[i] }
        }
        return regie_set_thread_affinity(&raw) == 0
    }
}
