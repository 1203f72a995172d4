import AudioIO
import Foundation
@testable import Playout
import Realtime
import Testing
import TestSupport
import Synchronization

/// The desk's return: the capture thread reads its device from the moment it starts (so the
/// device never overruns while the show waits for GO) and records only once the show has started.
/// The device is ALSA's `file` plugin playing a prepared raw file into capture, bit for bit.
@Suite struct CaptureThreadTests {
    static let periodFrames = 256

    /// A capture device whose input is `samples` (interleaved stereo Float32).
    static func device(playing samples: [Float], in dir: TempDir) throws -> ALSACaptureDevice {
        let input = dir.path("desk.raw")
        try samples.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: input))
        let config = try ALSAConfiguration(text: """
            pcm.regie_desk {
                type file
                slave { pcm { type null } }
                file "\(dir.path("tap.raw"))"
                infile "\(input)"
                format "raw"
            }
            """)
        return try ALSACaptureDevice(name: "regie_desk", configuration: config, sampleRate: 48000,
                                     periodFrames: periodFrames, periods: 4)
    }

    /// Distinct values a lossy path would change.
    static func material(frames: Int) -> [Float] {
        (0..<(frames * 2)).map { i in Float(i % 9973) / 9973 * (i % 2 == 0 ? 0.9 : -0.7) + 1e-6 }
    }

    /// What the feed holds, interleaved.
    static func drain(_ feed: RecorderFeed) -> [Float] {
        var out = [Float](repeating: 0, count: feed.ring.availableToRead)
        let n = out.withUnsafeMutableBufferPointer { feed.ring.read(into: $0.baseAddress!, count: $0.count) }
        return Array(out.prefix(n))
    }

    @Test("recording from the start: the feed holds the desk's return bit for bit, in order")
    func recordsEverythingOnceStarted() throws {
        let dir = try TempDir("regie-capture")
        defer { dir.cleanup() }
        let frames = 40 * Self.periodFrames
        let samples = Self.material(frames: frames)
        let device = try Self.device(playing: samples, in: dir)
        defer { device.close() }
        let feed = RecorderFeed(frames: frames * 2)
        let recording = AtomicFlag()
        recording.raise()
        let thread = CaptureThread(device: device, feed: feed, stop: AtomicFlag(), recording: recording)
        thread.start()
        let deadline = Date().addingTimeInterval(20)
        while feed.framesOffered.load(ordering: .relaxed) < Int64(frames) && Date() < deadline { usleep(1000) }
        thread.stopAndWait()
        let recorded = Self.drain(feed)
        #expect(recorded.count >= samples.count)
        #expect(recorded.prefix(samples.count).map(\.bitPattern) == samples.map(\.bitPattern))
        #expect(thread.readErrors.load(ordering: .relaxed) == 0)
    }

    @Test("before the show starts the device is read (it never overruns) but nothing is recorded")
    func readsButDoesNotRecordBeforeTheStart() throws {
        let dir = try TempDir("regie-capture")
        defer { dir.cleanup() }
        // The desk's return comes through a FIFO that this test writes period by period, so it
        // knows exactly which frames the thread has read when the show starts.
        let fifo = dir.path("desk.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = open(fifo, O_RDWR)   // a FIFO opened read-write never blocks, and never ends
        defer { close(writer) }
        let config = try ALSAConfiguration(text: """
            pcm.regie_desk {
                type file
                slave { pcm { type null } }
                file "\(dir.path("tap.raw"))"
                infile "\(fifo)"
                format "raw"
            }
            """)
        let device = try ALSACaptureDevice(name: "regie_desk", configuration: config, sampleRate: 48000,
                                           periodFrames: Self.periodFrames, periods: 4)
        defer { device.close() }
        let period = device.periodFrames
        let samples = Self.material(frames: 32 * period)
        func send(periods range: Range<Int>) {
            samples[(range.lowerBound * period * 2)..<(range.upperBound * period * 2)].withUnsafeBytes {
                var done = 0
                while done < $0.count { done += max(0, write(writer, $0.baseAddress! + done, $0.count - done)) }
            }
        }
        let feed = RecorderFeed(frames: 64 * period)
        let recording = AtomicFlag()
        let stop = AtomicFlag()
        let thread = CaptureThread(device: device, feed: feed, stop: stop, recording: recording)
        thread.start()
        let deadline = Date().addingTimeInterval(20)
        // Eight periods before the show starts: read, not recorded.
        send(periods: 0..<8)
        while thread.framesRead.load(ordering: .relaxed) < Int64(8 * period) && Date() < deadline { usleep(200) }
        #expect(thread.framesRead.load(ordering: .relaxed) == Int64(8 * period))
        #expect(feed.framesOffered.load(ordering: .relaxed) == 0, "nothing recorded before the show started")
        // The show starts: every period read from then on is recorded, whole and in order.
        recording.raise()
        send(periods: 8..<24)
        while feed.framesOffered.load(ordering: .relaxed) < Int64(16 * period) && Date() < deadline { usleep(200) }
        // The show's stop flag ends the thread after the read it is blocked in.
        stop.raise()
        send(periods: 24..<25)
        thread.stopAndWait()
        let recorded = Self.drain(feed)
        let expected = samples[(8 * period * 2)..<(recorded.count + 8 * period * 2)]
        #expect(recorded.count >= 16 * period * 2 && recorded.count <= 17 * period * 2)
        #expect(zip(recorded, expected).filter { $0.bitPattern != $1.bitPattern }.count == 0,
                "the recording is periods 8… of the desk's return, bit for bit")
        #expect(thread.readErrors.load(ordering: .relaxed) == 0)
    }
}
