import Foundation

/// A private PulseAudio server with one null sink (`scripts/pulse-null-sink start`), stopped by
/// the test that starts it: a paced output and a paced capture source (the sink's monitor) on a
/// machine without a sound card. ALSA's `pulse` device (libasound2-plugins) reaches it from a
/// child process given `environment`; the test process itself is left alone, so tests running
/// beside it still see the machine's own ALSA configuration.
///
/// The daemon runs detached (not a child of this process): pulseaudio closes the descriptors it
/// inherits, and Foundation's `Process` takes its child-exit socket closing for the child's exit,
/// then blocks its monitor thread in `wait4` (every later `Process` of the test run hangs).
package final class PulseAudioServer: @unchecked Sendable {
    /// The folder holding the server's socket, cookie, log and state (removed by `stop()`).
    package let directory: URL
    /// The null sink's name: what `--device pulse` plays into (it is the default sink).
    package let sinkName: String
    /// The sink's monitor source: what went out, paced like a sound card.
    package var monitorName: String { sinkName + ".monitor" }
    /// The variables a child process needs to reach this server (merge into its environment).
    package let environment: [String: String]
    private let stopped = LockedBox(false)
    private static let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/pulse-null-sink").path

    /// Starts the server; returns once it answers `pactl info` (the script waits up to 10 s).
    package static func start(sinkName: String = "regie_null", sampleRate: Int = 44100) throws -> PulseAudioServer {
        guard TestSupport.hasProgram("pulseaudio"), TestSupport.hasProgram("pactl") else {
            throw PulseAudioError.notInstalled
        }
        return try PulseAudioServer(sinkName: sinkName, sampleRate: sampleRate)
    }

    private init(sinkName: String, sampleRate: Int) throws {
        // A short path: the socket's path must fit in sockaddr_un (108 bytes).
        directory = URL(fileURLWithPath: "/tmp/regie-pa-\(UUID().uuidString.prefix(8))")
        self.sinkName = sinkName
        environment = [
            "PULSE_SERVER": "unix:\(directory.path)/pulse/native",
            "PULSE_COOKIE": "\(directory.path)/cookie",
            "PULSE_SINK": sinkName,
        ]
        let started = try run(Self.script, ["start", directory.path, "--rate", "\(sampleRate)", "--sink", sinkName])
        guard started.status == 0 else {
            stop()
            throw PulseAudioError.didNotStart(log: started.stderr)
        }
    }

    /// ALSA configuration text (for `ALSAConfiguration(text:)`, in-process) defining playback
    /// device `name` on the null sink and capture device `name_monitor` on its monitor, both
    /// reaching this server without any environment variable.
    package func alsaConfiguration(name: String) -> String {
        """
        pcm.\(name) { type pulse server "\(environment["PULSE_SERVER"]!)" device "\(sinkName)" }
        pcm.\(name)_monitor { type pulse server "\(environment["PULSE_SERVER"]!)" device "\(monitorName)" }
        """
    }

    /// Runs `pactl` against this server.
    @discardableResult
    package func pactl(_ arguments: [String]) throws -> ProcessResult {
        try run("pactl", arguments, environment: environment)
    }

    /// Starts recording the monitor (stereo Float32 at `sampleRate`) into a raw file with `parec`.
    package func recordMonitor(to url: URL, sampleRate: Int = 44100) throws -> MonitorRecording {
        try MonitorRecording(server: self, url: url, sampleRate: sampleRate)
    }

    /// Ends the server (`pactl exit`, then SIGKILL if it lingers) and removes its folder. Idempotent.
    package func stop() {
        let already = stopped.value
        stopped.value = true
        guard !already else { return }
        _ = try? run(Self.script, ["stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// `parec` writing what the sink plays into a raw file (interleaved stereo Float32).
    package final class MonitorRecording: @unchecked Sendable {
        /// The raw file.
        package let url: URL
        /// Its sample rate.
        package let sampleRate: Int
        private let process: RunningProgram

        init(server: PulseAudioServer, url: URL, sampleRate: Int) throws {
            self.url = url
            self.sampleRate = sampleRate
            // A small latency so the file is written as the audio arrives, not in 2-second chunks
            // (parec ends by SIGKILL: whatever it buffers is lost).
            process = try RunningProgram("parec", ["-d", server.monitorName, "--raw", "--format=float32le",
                                                   "--rate=\(sampleRate)", "--channels=2", "--latency-msec=20"],
                                         environment: server.environment, outputFile: url)
            // Wait until the stream is connected, or the first audio could be missed.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && process.isRunning {
                let outputs = (try? server.pactl(["list", "short", "source-outputs"]).stdout) ?? ""
                if !outputs.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        /// Stops `parec` and returns what it recorded (interleaved stereo).
        package func stop() throws -> [Float] {
            if process.isRunning { process.send(SIGKILL) }
            process.wait()
            let data = try Data(contentsOf: url)
            let count = data.count / MemoryLayout<Float>.size
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                _ = data.withUnsafeBytes { memcpy(buffer.baseAddress!, $0.baseAddress!, count * MemoryLayout<Float>.size) }
                initialized = count
            }
        }

    }
}

/// A private PulseAudio server could not be started.
package enum PulseAudioError: Error, CustomStringConvertible {
    /// `pulseaudio` or `pactl` is missing (Debian: pulseaudio, pulseaudio-utils).
    case notInstalled
    /// It exited or did not answer in time; its log says why.
    case didNotStart(log: String)

    package var description: String {
        switch self {
        case .notInstalled: "pulseaudio/pactl are not installed (scripts/install-deps --test)"
        case let .didNotStart(log): "the private PulseAudio server did not start:\n\(log)"
        }
    }
}
