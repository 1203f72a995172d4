// How each of Régie's threads is scheduled, in one place: the live render thread asks for
// SCHED_FIFO, an offline render's helper threads run SCHED_BATCH beside the encoder, analysis runs
// niced, and CPU affinity keeps the encoder on a core of its own (`CPUMask`). Linux applies every
// one of these per thread. No Foundation here.
import Glibc

/// Scheduling of the calling thread.
package enum ThreadScheduling {
    /// Asks for SCHED_FIFO at the highest priority the system grants (the live render thread);
    /// returns false, leaving the thread as it was, when it may not.
    @discardableResult
    package static func requestRealtime() -> Bool {
        var parameters = sched_param()
        parameters.sched_priority = sched_get_priority_max(SCHED_FIFO)
        return pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0
    }

    /// Sets the calling thread's nice value (10: background work; 19: only when idle).
    package static func setNice(_ value: Int32) {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, value)
    }
}

/// Switches the calling thread to `SCHED_BATCH` (same nice value) until `restore()`; threads it
/// starts meanwhile inherit the policy. Batch threads keep their fair share of the CPU but never
/// preempt a normal thread when they wake up. Where the switch is refused, nothing changes.
package final class BatchScheduling {
    /// SCHED_BATCH from <sched.h>: the Glibc module does not export it (it is behind _GNU_SOURCE).
    static let batchPolicy: Int32 = 3
    private var previous: Int32?
    private var parameters = sched_param()

    /// Switches now.
    package init() {
        let policy = sched_getscheduler(0)
        guard policy == SCHED_OTHER, sched_getparam(0, &parameters) == 0 else { return }
        var batch = sched_param()
        batch.sched_priority = 0
        if sched_setscheduler(0, Self.batchPolicy, &batch) == 0 { previous = policy }
    }

    /// Back to the policy the thread had (idempotent).
    package func restore() {
        guard let policy = previous else { return }
        _ = sched_setscheduler(0, policy, &parameters)
        previous = nil
    }
}
