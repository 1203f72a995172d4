import AudioIO
import Foundation
import Glibc
import Testing
import TestSupport

/// ALSA's `pulse` plugin (libasound2-plugins) opened in-process against a private PulseAudio
/// server: its client thread, which every period the render thread writes waits on, runs at
/// real-time priority when the system permits it.
@Suite struct ALSAPulsePluginTests {
    /// Thread ids of this process with the kernel name `name`.
    static func threads(named name: String) -> Set<Int32> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.compactMap { tid -> Int32? in
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name else { return nil }
            return Int32(tid)
        })
    }

    /// Whether a thread of this process may switch itself to SCHED_FIFO (root, CAP_SYS_NICE or RLIMIT_RTPRIO).
    static func realtimePermitted() -> Bool {
        let result = LockedBox(false)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var parameters = sched_param()
            parameters.sched_priority = 1
            result.value = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0
            done.signal()
        }
        done.wait()
        return result.value
    }

    @Test func thePluginsClientThreadRunsRealTimeWhenPermitted() throws {
        let pulse = try PulseAudioServer.start()
        defer { pulse.stop() }
        let config = try ALSAConfiguration(text: pulse.alsaConfiguration(name: "regie_pulse"))
        // Other tests open PulseAudio devices in this process at the same time: only the threads
        // that appeared while this device opened, and the ids the device says it raised, count.
        let before = Self.threads(named: "threaded-ml")
        let device = try ALSAPlaybackDevice(name: "regie_pulse", configuration: config, sampleRate: 44100, periodFrames: 441, periods: 4)
        defer { device.close() }
        let started = Self.threads(named: "threaded-ml").subtracting(before)
        #expect(!started.isEmpty, "libpulse's client thread started with the device")
        if Self.realtimePermitted() {
            #expect(!device.realtimePluginThreads.isEmpty)
            #expect(Set(device.realtimePluginThreads).isSubset(of: started))
            for id in device.realtimePluginThreads {
                #expect(sched_getscheduler(id) == SCHED_FIFO, "thread \(id)")
            }
        } else {
            #expect(device.realtimePluginThreads.isEmpty)
        }
        // The device still plays: a tenth of a second of silence, paced by the server.
        let silence = [Float](repeating: 0, count: 4410 * 2)
        try silence.withUnsafeBufferPointer { try device.write(interleaved: $0.baseAddress!, frames: 4410) }
        #expect(device.xrunCount == 0)
    }
}
