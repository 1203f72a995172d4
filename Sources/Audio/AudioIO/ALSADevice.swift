// ALSA PCM playback and capture, interleaved stereo. Opening and closing happen on the control
// side; `write` / `read` are the only calls the render thread makes (they do not allocate).
import CALSA
import Glibc
import Synchronization

/// A device that could not be opened or configured.
package struct ALSADeviceError: Error, Equatable, CustomStringConvertible {
    /// The device name as given.
    package var device: String
    /// The ALSA call that failed.
    package var operation: String
    /// Negative errno from ALSA.
    package var code: Int32

    /// One sentence saying what went wrong.
    package var description: String {
        let reason = String(cString: snd_strerror(code))
        if operation == "snd_pcm_open" && (code == -ENOENT || code == -ENODEV || code == -ENXIO) {
            return "ALSA device \"\(device)\" does not exist on this machine (no such sound card or PCM definition: \(reason))."
        }
        return "ALSA device \"\(device)\" failed in \(operation): \(reason)."
    }
}

/// An unrecoverable error during `write`/`read`: plain data so that throwing never allocates.
package struct ALSAIOError: Error, Equatable, CustomStringConvertible {
    /// Negative errno from ALSA.
    package var code: Int32
    /// ALSA's text for the code.
    package var description: String { "ALSA I/O error: \(String(cString: snd_strerror(code)))" }
}

/// Sample format negotiated with the device.
package enum ALSASampleFormat: Sendable, Equatable {
    /// 32-bit float little endian (preferred: the engine's own format).
    case float32
    /// 16-bit signed little endian (fallback; converted with clipping on write).
    case int16
}

/// An ALSA configuration loaded in-process (not from the user's files), for devices such as
/// `pcm.test { type file … }` in tests.
package final class ALSAConfiguration: @unchecked Sendable {
    let top: OpaquePointer

    /// Parses `text` in ALSA configuration syntax.
    package init(text: String) throws(ALSADeviceError) {
        regie_alsa_silence_errors()
        var top: OpaquePointer? = nil
        var err = snd_config_top(&top)
        guard err == 0, let top else { throw ALSADeviceError(device: "(configuration)", operation: "snd_config_top", code: err) }
        var input: OpaquePointer? = nil
        var bytes = Array(text.utf8)
        err = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { snd_input_buffer_open(&input, $0.baseAddress, $0.count) }
        }
        guard err == 0, let input else {
            snd_config_delete(top)
            throw ALSADeviceError(device: "(configuration)", operation: "snd_input_buffer_open", code: err)
        }
        err = snd_config_load(top, input)
        snd_input_close(input)
        if err < 0 {
            snd_config_delete(top)
            throw ALSADeviceError(device: "(configuration)", operation: "snd_config_load", code: err)
        }
        self.top = top
    }

    deinit {
        snd_config_delete(top)
    }
}

/// What both device directions share: open, hardware/software parameters, xrun counting.
package class ALSAPCMDevice: @unchecked Sendable {
    /// Device name as opened.
    package let name: String
    /// Frames per second actually set.
    package let sampleRate: Int
    /// Channels per frame (always 2).
    package let channels = 2
    /// Sample format negotiated.
    package let format: ALSASampleFormat
    /// Frames per period actually set.
    package let periodFrames: Int
    /// Frames in the whole device buffer actually set.
    package let bufferFrames: Int
    let pcm: OpaquePointer
    private let configuration: ALSAConfiguration?  // kept alive while the PCM is open
    let scratch: UnsafeMutablePointer<Int16>       // S16 conversion, scratchFrames × 2
    let scratchFrames: Int
    private let xruns = Atomic<Int>(0)
    private var closed = false

    /// Under/overruns recovered so far (any thread may read).
    package var xrunCount: Int { xruns.load(ordering: .relaxed) }

    /// Kernel ids of the threads the ALSA plugin started for this device that now run at
    /// real-time priority (see `PluginThreads`); none for hardware devices, or when the system
    /// does not permit it.
    package let realtimePluginThreads: [Int32]

    init(name: String, stream: snd_pcm_stream_t, configuration: ALSAConfiguration?, sampleRate: Int, periodFrames: Int, periods: Int, format requested: ALSASampleFormat?) throws(ALSADeviceError) {
        regie_alsa_silence_errors()
        self.name = name
        self.configuration = configuration
        var handle: OpaquePointer? = nil
        var err: Int32
        let threadsBefore = PluginThreads.current()
        if let configuration {
            err = snd_pcm_open_lconf(&handle, name, stream, 0, configuration.top)
        } else {
            err = snd_pcm_open(&handle, name, stream, 0)
        }
        guard err == 0, let handle else { throw ALSADeviceError(device: name, operation: "snd_pcm_open", code: err) }
        realtimePluginThreads = PluginThreads.raise(startedSince: threadsBefore)

        func fail(_ operation: String, _ code: Int32) -> ALSADeviceError {
            snd_pcm_close(handle)
            return ALSADeviceError(device: name, operation: operation, code: code)
        }

        var hw: OpaquePointer? = nil
        err = snd_pcm_hw_params_malloc(&hw)
        guard err == 0, let hw else { throw fail("snd_pcm_hw_params_malloc", err) }
        defer { snd_pcm_hw_params_free(hw) }
        err = snd_pcm_hw_params_any(handle, hw)
        if err < 0 { throw fail("snd_pcm_hw_params_any", err) }
        err = snd_pcm_hw_params_set_access(handle, hw, SND_PCM_ACCESS_RW_INTERLEAVED)
        if err < 0 { throw fail("snd_pcm_hw_params_set_access", err) }
        if requested != .int16 && snd_pcm_hw_params_set_format(handle, hw, SND_PCM_FORMAT_FLOAT_LE) == 0 {
            format = .float32
        } else {
            err = requested == .float32 ? -EINVAL : snd_pcm_hw_params_set_format(handle, hw, SND_PCM_FORMAT_S16_LE)
            if err < 0 { throw fail("snd_pcm_hw_params_set_format", err) }
            format = .int16
        }
        err = snd_pcm_hw_params_set_channels(handle, hw, 2)
        if err < 0 { throw fail("snd_pcm_hw_params_set_channels", err) }
        var rate = UInt32(sampleRate)
        var dir: Int32 = 0
        err = snd_pcm_hw_params_set_rate_near(handle, hw, &rate, &dir)
        if err < 0 { throw fail("snd_pcm_hw_params_set_rate_near", err) }
        var period = snd_pcm_uframes_t(periodFrames)
        dir = 0
        err = snd_pcm_hw_params_set_period_size_near(handle, hw, &period, &dir)
        if err < 0 { throw fail("snd_pcm_hw_params_set_period_size_near", err) }
        var count = UInt32(periods)
        dir = 0
        err = snd_pcm_hw_params_set_periods_near(handle, hw, &count, &dir)
        if err < 0 { throw fail("snd_pcm_hw_params_set_periods_near", err) }
        err = snd_pcm_hw_params(handle, hw)
        if err < 0 { throw fail("snd_pcm_hw_params", err) }
        var buffer: snd_pcm_uframes_t = 0
        snd_pcm_hw_params_get_buffer_size(hw, &buffer)
        snd_pcm_hw_params_get_period_size(hw, &period, &dir)
        snd_pcm_hw_params_get_rate(hw, &rate, &dir)

        // Playback starts once the buffer is full (no underrun at start-up); capture at once.
        var sw: OpaquePointer? = nil
        err = snd_pcm_sw_params_malloc(&sw)
        guard err == 0, let sw else { throw fail("snd_pcm_sw_params_malloc", err) }
        defer { snd_pcm_sw_params_free(sw) }
        snd_pcm_sw_params_current(handle, sw)
        let threshold: snd_pcm_uframes_t = stream == SND_PCM_STREAM_PLAYBACK ? buffer : 1
        snd_pcm_sw_params_set_start_threshold(handle, sw, threshold)
        err = snd_pcm_sw_params(handle, sw)
        if err < 0 { throw fail("snd_pcm_sw_params", err) }

        pcm = handle
        self.sampleRate = Int(rate)
        self.periodFrames = Int(period)
        self.bufferFrames = Int(buffer)
        scratchFrames = max(1024, Int(period))
        scratch = .allocate(capacity: scratchFrames * 2)
    }

    deinit {
        close()
        scratch.deallocate()
    }

    /// Closes the device (idempotent; control side). Playback devices are drained first.
    package func close() {
        guard !closed else { return }
        closed = true
        if snd_pcm_stream(pcm) == SND_PCM_STREAM_PLAYBACK { snd_pcm_drain(pcm) }
        snd_pcm_close(pcm)
    }

    /// Frames between the application and the converters now, as ALSA reports them
    /// (`snd_pcm_delay`): for playback, frames written that have not sounded yet; for capture,
    /// frames captured that have not been read. Nil when the device cannot tell. Any thread
    /// (alsa-lib serialises calls on one PCM).
    package func delayFrames() -> Int? {
        guard !closed else { return nil }
        var delay: snd_pcm_sframes_t = 0
        return snd_pcm_delay(pcm, &delay) == 0 ? Int(delay) : nil
    }

    /// Recovers from an xrun or suspend; returns false if the error is not recoverable.
    func recover(_ code: Int) -> Bool {
        if code == -Int(EAGAIN) { return true }
        if code == -Int(EPIPE) || code == -Int(ESTRPIPE) { xruns.add(1, ordering: .relaxed) }
        return snd_pcm_recover(pcm, Int32(code), 1) == 0
    }
}

/// Helper threads that ALSA plugins start when a PCM opens, e.g. libpulse's client mainloop
/// ("threaded-ml") in the `pulse` plugin: every period the render thread writes waits for it to
/// move the data to the server, so at normal priority it starves under load and the device
/// underruns although the render thread (SCHED_FIFO) is on time. Measured with `regie play
/// --device pulse` under `stress-ng --cpu 2` (20 s, server real-time): 0–1 xruns; 10–13 with the
/// server at normal priority and 2 when only this thread was raised. Raised to SCHED_FIFO just
/// below the render thread, when the system permits it; otherwise left as they are.
enum PluginThreads {
    /// Names of plugin threads known to carry the audio (libpulse's threaded mainloop).
    static let names: Set<String> = ["threaded-ml"]

    /// Thread ids of this process.
    static func current() -> Set<Int32> {
        guard let dir = opendir("/proc/self/task") else { return [] }
        defer { closedir(dir) }
        var ids: Set<Int32> = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let id = Int32(name) { ids.insert(id) }
        }
        return ids
    }

    /// The kernel's name of thread `id` of this process.
    static func name(of id: Int32) -> String? {
        guard let file = fopen("/proc/self/task/\(id)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Raises the known plugin threads started since `before`; returns the ids it raised.
    static func raise(startedSince before: Set<Int32>) -> [Int32] {
        var raised: [Int32] = []
        for id in current().subtracting(before).sorted() where name(of: id).map(names.contains) == true {
            var parameters = sched_param()
            parameters.sched_priority = max(1, sched_get_priority_max(SCHED_FIFO) - 9)
            if sched_setscheduler(id, SCHED_FIFO, &parameters) == 0 { raised.append(id) }
        }
        return raised
    }
}

/// ALSA playback of interleaved stereo Float32 frames (FLOAT_LE, or S16_LE with conversion).
/// `format` nil negotiates FLOAT_LE and falls back to S16_LE; a given format is required.
/// Playback starts when the device buffer is first full (start threshold = buffer size).
///
/// Threading: `init` and `close` on the control side; `write` from one thread (the render
/// thread), blocking only inside ALSA while the device buffer is full.
package final class ALSAPlaybackDevice: ALSAPCMDevice, @unchecked Sendable {
    /// Opens the named device from the system configuration (e.g. "default", "plughw:0", "pulse").
    package init(name: String, sampleRate: Int, periodFrames: Int = 1024, periods: Int = 4, format: ALSASampleFormat? = nil) throws(ALSADeviceError) {
        try super.init(name: name, stream: SND_PCM_STREAM_PLAYBACK, configuration: nil, sampleRate: sampleRate, periodFrames: periodFrames, periods: periods, format: format)
    }

    /// Opens `name` as defined in `configuration` (loaded in-process; the user's files are unused).
    package init(name: String, configuration: ALSAConfiguration, sampleRate: Int, periodFrames: Int = 1024, periods: Int = 4, format: ALSASampleFormat? = nil) throws(ALSADeviceError) {
        try super.init(name: name, stream: SND_PCM_STREAM_PLAYBACK, configuration: configuration, sampleRate: sampleRate, periodFrames: periodFrames, periods: periods, format: format)
    }

    /// Writes all `frames` interleaved stereo frames (±1.0), recovering from underruns (counted in
    /// `xrunCount`); throws only when the device fails for good.
    package func write(interleaved samples: UnsafePointer<Float>, frames: Int) throws(ALSAIOError) {
        var done = 0
        while done < frames {
            let result: Int
            switch format {
            case .float32:
                result = snd_pcm_writei(pcm, samples + done * 2, snd_pcm_uframes_t(frames - done))
            case .int16:
                let n = min(scratchFrames, frames - done)
                for i in 0..<(n * 2) {
                    let s = max(-1, min(1, samples[done * 2 + i]))
                    scratch[i] = Int16((s * 32767).rounded())
                }
                result = snd_pcm_writei(pcm, scratch, snd_pcm_uframes_t(n))
            }
            if result < 0 {
                if !recover(result) { throw ALSAIOError(code: Int32(result)) }
                continue
            }
            done += result
        }
    }
}

/// ALSA capture of interleaved stereo Float32 frames (FLOAT_LE, or S16_LE converted to ±1.0).
///
/// Threading: `init` and `close` on the control side; `read` from one thread.
package final class ALSACaptureDevice: ALSAPCMDevice, @unchecked Sendable {
    /// Opens the named capture device from the system configuration.
    package init(name: String, sampleRate: Int, periodFrames: Int = 1024, periods: Int = 4, format: ALSASampleFormat? = nil) throws(ALSADeviceError) {
        try super.init(name: name, stream: SND_PCM_STREAM_CAPTURE, configuration: nil, sampleRate: sampleRate, periodFrames: periodFrames, periods: periods, format: format)
    }

    /// Opens `name` as defined in `configuration` (loaded in-process).
    package init(name: String, configuration: ALSAConfiguration, sampleRate: Int, periodFrames: Int = 1024, periods: Int = 4, format: ALSASampleFormat? = nil) throws(ALSADeviceError) {
        try super.init(name: name, stream: SND_PCM_STREAM_CAPTURE, configuration: configuration, sampleRate: sampleRate, periodFrames: periodFrames, periods: periods, format: format)
    }

    /// Reads exactly `frames` interleaved stereo frames into `samples`, recovering from overruns
    /// (counted in `xrunCount`); throws only when the device fails for good.
    package func read(into samples: UnsafeMutablePointer<Float>, frames: Int) throws(ALSAIOError) {
        var done = 0
        while done < frames {
            let result: Int
            switch format {
            case .float32:
                result = snd_pcm_readi(pcm, samples + done * 2, snd_pcm_uframes_t(frames - done))
            case .int16:
                let n = min(scratchFrames, frames - done)
                result = snd_pcm_readi(pcm, scratch, snd_pcm_uframes_t(n))
                if result > 0 {
                    for i in 0..<(result * 2) { samples[done * 2 + i] = Float(scratch[i]) / 32768 }
                }
            }
            if result < 0 {
                if !recover(result) { throw ALSAIOError(code: Int32(result)) }
                continue
            }
            done += result
        }
    }
}
