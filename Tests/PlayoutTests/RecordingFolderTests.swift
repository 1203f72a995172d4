import Engine
import Foundation
import Glibc
@testable import Playout
import Production
import RegieModel
import Testing
import TestSupport
import Logging

/// The recordings folder, tried the ways it fails: read-only, too small, filled by someone else
/// during the show, gone read-only during the show. The air always reaches its end or is refused
/// before it starts, and what was lost keeps the episode back with a person told. Needs mount
/// rights (root in CI): real file systems (tmpfs), not simulated errors.
@Suite(.serialized, .enabled(if: canMount)) struct RecordingFolderTests {
    /// A tmpfs of `size` at a new folder; unmount with `umount`.
    static func tmpfs(_ size: String) throws -> URL {
        let dir = try TempDir("regie-disk").url
        try runChecked("mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir.path])
        return dir
    }

    static func umount(_ dir: URL) {
        _ = try? run("umount", [dir.path])
        try? FileManager.default.removeItem(at: dir)
    }

    /// A show of `seconds` (a tone segment), on a `file` device paced by the clock.
    static func show(seconds: Int) throws -> (TestShow, Plan) {
        let show = try TestShow()
        try show.writeAudio("audio/tone.wav", samples: (0..<(44100 * seconds)).map { Float(0.2 * sin(Double($0) * 0.05)) },
                            sampleRate: 44100)
        let rundown = try show.writeRundown("""
            episode: 4
            title: Disk
            description: d
            air: 2026-12-03T18:00:00+01:00
            slot: \(seconds)
            items:
              - segment: audio/tone.wav
                title: Tone
            """)
        var workspace = Workspace()
        workspace.load([rundown.path])
        return (show, try #require(workspace.plans.first, "\(workspace.diagnostics)"))
    }

    static func configuration(_ plan: Plan, show: TestShow, recordings: URL) throws -> LiveShow.Configuration {
        LiveShow.Configuration(plan: plan, playout: .automation,
                               playback: try LiveShowTests.tap(show.root.appendingPathComponent("out.raw"), rate: plan.sampleRate),
                               paceByClock: true, record: .program, recordingsFolder: recordings,
                               publishFolder: show.root.appendingPathComponent("public"),
                               wallClock: LiveShowTests.clock(at: LiveShowTests.air))
    }

    @Test("a read-only folder and a folder too small for the show are refused before air")
    func refusedBeforeAir() throws {
        let (show, plan) = try Self.show(seconds: 4)
        let readOnly = try Self.tmpfs("4m")
        defer { Self.umount(readOnly) }
        try runChecked("mount", ["-o", "remount,ro", readOnly.path])
        #expect(throws: LiveShowError.self) {
            _ = try LiveShow(Self.configuration(plan, show: show, recordings: readOnly), logger: LogRecorder().logger)
        }
        do {
            _ = try LiveShow(Self.configuration(plan, show: show, recordings: readOnly), logger: LogRecorder().logger)
        } catch let error as LiveShowError {
            #expect("\(error)".contains("cannot be written (Read-only file system)"), "\(error)")
        }
        let small = try Self.tmpfs("1m")
        defer { Self.umount(small) }
        do {
            _ = try LiveShow(Self.configuration(plan, show: show, recordings: small), logger: LogRecorder().logger)
            Issue.record("a 1 MB folder was accepted")
        } catch let error as LiveShowError {
            #expect("\(error)".contains("MB free"), "\(error)")
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: small.path)).isEmpty, "nothing was written")
    }

    @Test("regie play on a read-only folder: refused before air with the reason and exit status 1; --record none plays")
    func binaryRefusesAReadOnlyFolder() throws {
        let (show, plan) = try Self.show(seconds: 2)
        let readOnly = try Self.tmpfs("4m")
        defer { Self.umount(readOnly) }
        try runChecked("mount", ["-o", "remount,ro", readOnly.path])
        let refused = try TestSupport.regie(["play", "--auto", plan.rundown.file, "--device", "null", "--out", readOnly.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("regie: nothing played: the recordings folder \(readOnly.path) cannot be written (Read-only file system)"),
                "\(refused.stderr)")
        #expect(!refused.stderr.contains("Playing"))
        // Nothing recorded: the folder is not needed (the as-run log cannot be written: said, and the air goes on).
        let unrecorded = try TestSupport.regie(["play", "--auto", plan.rundown.file, "--device", "null", "--out", readOnly.path,
                                                "--record", "none"])
        #expect(unrecorded.status == 0, "\(unrecorded.stderr)")
        #expect(unrecorded.stdout.contains("Played 0:02.000"), "\(unrecorded.stdout)")
        #expect(unrecorded.stderr.contains("regie: warning: the as-run log cannot be written"), "\(unrecorded.stderr)")
    }

    @Test("a disk filled by someone else during the show takes nothing from the recording or the as-run log: their space was set aside")
    func filledMidShow() throws {
        let (show, plan) = try Self.show(seconds: 5)
        let disk = try Self.tmpfs("6m")
        defer { Self.umount(disk) }
        let log = LogRecorder()
        let live = try LiveShow(Self.configuration(plan, show: show, recordings: disk), logger: log.logger)
        let filler = Thread {
            usleep(1_000_000)
            _ = try? run("dd", ["if=/dev/zero", "of=\(disk.path)/filler", "bs=64k"])   // until the disk is full
        }
        filler.start()
        let summary = try live.run()
        var stats = statvfs()
        #expect(statvfs(disk.path, &stats) == 0 && stats.f_bavail == 0, "the disk was full")
        #expect(summary.lostFrames.isEmpty, "\(summary.lostFrames)")
        let recording = try #require(summary.recordings.first)
        #expect(try decodedFrameCount(recording.url) == Int(plan.total))
        let entries = try AsRunLog.read(try #require(summary.asRunLog))
        #expect(entries.contains { $0.kind == .showEnded } && entries.last?.kind == .recordingStopped,
                "the as-run log wrote to the end")
        // The finished copy needs room the full disk does not have: kept back, and said why.
        #expect(!summary.published)
        #expect(summary.notPublishedBecause.contains { $0.contains("could not be finished") && $0.contains("No space left") },
                "\(summary.notPublishedBecause)")
    }

    @Test("a disk that fails during the show: the alarm reaches a person, the air goes on, nothing published")
    func failsMidShow() throws {
        let (show, plan) = try Self.show(seconds: 6)
        let disk = try Self.tmpfs("8m")
        defer { Self.umount(disk) }
        let log = LogRecorder()
        // Without the reservation a disk filled mid-show stops the recording: what a disk that
        // fails, or one that cannot reserve, does.
        var configuration = try Self.configuration(plan, show: show, recordings: disk)
        configuration.reserveDiskSpace = false
        let live = try LiveShow(configuration, logger: log.logger)
        let breaker = Thread {
            usleep(1_000_000)
            _ = try? run("dd", ["if=/dev/zero", "of=\(disk.path)/filler", "bs=64k"])
        }
        breaker.start()
        let summary = try live.run()
        #expect(summary.ranToTheEnd && summary.airedFrames == plan.total, "the air reached its end")
        #expect(log.messages(.error).contains { $0.contains("the program recording stopped") }, "\(log.lines.value)")
        #expect(summary.recordingLostAudio && summary.lostFrames[.program, default: 0] > 0)
        #expect(!summary.published)
        #expect(summary.notPublishedBecause.contains { $0.contains("the program recording lost") }, "\(summary.notPublishedBecause)")
    }
}
