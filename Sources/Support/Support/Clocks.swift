// The two clocks of the programme, read the same way everywhere. No Foundation here: the render
// thread stamps commands with the monotonic clock (clock_gettime goes through the vDSO: no kernel
// entry, no lock, no allocation).
import Glibc

/// CLOCK_MONOTONIC: intervals and deadlines (key-to-programme latency, pacing, timeouts).
package enum MonotonicClock {
    /// Nanoseconds since an arbitrary origin (the machine's boot); never jumps.
    @inline(__always) package static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// CLOCK_REALTIME: the station's time (NTP-disciplined), for the as-run log and the hour on air.
package enum WallClock {
    /// Nanoseconds since 1970-01-01 00:00 UTC.
    @inline(__always) package static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
