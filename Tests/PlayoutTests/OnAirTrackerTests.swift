import Console
import Engine
import Foundation
@testable import Playout
import Production
import Realtime
import RegieModel
import Support
import Testing
import TestSupport

/// The control thread's view of the show: the mixer's events become the as-run log (stamped with
/// the wall-clock time of their own frame, however late the poll), the items' states, the
/// silence alarm, and the key-to-programme delays. Driven by a real mixer rendered block by block
/// from rings filled beforehand, with an injected clock.
@Suite struct OnAirTrackerTests {
    static let rate = 8000
    /// The wall clock at programme frame 0: 2026-12-03 18:00:00 +01:00.
    static let airNanoseconds: Int64 = 1_796_317_200 * 1_000_000_000

    /// A mixer on `plan`, its rings holding every voice's audio at `level` (0: silence), a tracker
    /// logging to a file, and a wall clock that runs with the programme.
    final class Rig {
        let plan: Plan
        let mixer: ProgrammeMixer
        let tracker: OnAirTracker
        let log: AsRunLogWriter
        let dir: TempDir
        let clockPosition = LockedBox<Int64>(0)
        /// Each call of the tracker's `onShowStart` (the recorders' start).
        let showStarts = LockedBox<[Int64]>([])
        private let output = UnsafeMutablePointer<Float>.allocate(capacity: 1024)

        init(items: [TestItem], mode: PlayoutMode, level: Float = 0.25, carts: [(String, String)] = [],
             slotSeconds: Int? = nil) throws {
            dir = try TempDir("regie-tracker")
            plan = try makePlan(in: dir.url, rate: OnAirTrackerTests.rate, items: items, carts: carts, slotSeconds: slotSeconds)
            let program = CompiledProgram(plan: plan, playout: mode)
            // Each voice with audio its own ring, filled before the show (no prefetcher here).
            var voices = program.voices
            var rings: [SPSCRing<Float>] = []
            for index in voices.indices where voices[index].hasAudio {
                voices[index].slot = Int32(rings.count)
                let ring = SPSCRing<Float>(capacity: Int(voices[index].length) * 2 + 1024)
                ring.write(repeating: level, count: Int(voices[index].length) * 2)
                rings.append(ring)
            }
            let cartAudio = CartAudio(carts: carts.map { _ in [Float](repeating: 0.1, count: 2 * OnAirTrackerTests.rate) })
            mixer = ProgrammeMixer(sampleRate: OnAirTrackerTests.rate, voices: voices, rings: rings, maxBlockFrames: 512,
                                   truePeakCeiling: -1, ducking: program.ducking, mode: mode, carts: cartAudio)
            log = try AsRunLogWriter(url: dir.url.appendingPathComponent("asrun.jsonl"), catalog: AsRunCatalog(plan: plan),
                                     timeZone: TimeZone(secondsFromGMT: 3600)!)
            let (box, starts) = (clockPosition, showStarts)
            tracker = OnAirTracker(plan: plan, asRun: log, mixer: mixer,
                                   wallClock: { OnAirTrackerTests.airNanoseconds + box.value * 1_000_000_000 / Int64(OnAirTrackerTests.rate) },
                                   onShowStart: { starts.value.append($0) })
        }

        deinit {
            output.deallocate()
            dir.cleanup()
        }

        /// Renders `count` blocks of 512 frames, polling after each as the control thread does.
        func render(blocks count: Int) {
            for _ in 0..<count {
                mixer.render(into: output, frames: 512)
                clockPosition.value = mixer.position
                tracker.poll(position: mixer.position)
            }
        }

        /// Renders until the programme has ended (bounded).
        func renderToTheEnd() {
            var blocks = 0
            while mixer.state.load().finishedAt < 0 && blocks < 10_000 { render(blocks: 1); blocks += 1 }
        }

        /// The log as read back, after a last drain.
        func entries() throws -> [AsRunLog.Entry] {
            tracker.finish(at: mixer.position)
            log.stop()
            return try AsRunLog.read(log.url)
        }

        var onShowStartCalls: [Int64] { showStarts.value }
    }

    @Test("events become the as-run log at their own frames and wall times; items' states follow")
    func eventsBecomeTheAsRunLog() throws {
        let rig = try Rig(items: [TestItem(kind: .segment, title: "Interview", seconds: 3),
                                  TestItem(kind: .live, title: "Talk", seconds: 2),
                                  TestItem(kind: .music, title: "Song", artist: "Band", seconds: 3)], mode: .automation)
        // Poll rarely (every 32 blocks, 2 s): the stamps must not depend on it.
        for _ in 0..<8 { rig.render(blocks: 32) }
        rig.renderToTheEnd()
        let r = Int64(Self.rate)
        #expect(rig.onShowStartCalls == [0], "the recorders start once, at the first item's first frame")
        #expect(rig.tracker.showStart == 0)
        #expect(rig.tracker.items.map(\.state) == [.done, .done, .done])
        #expect(rig.tracker.items.map(\.actualStart) == [0, 3 * r, 5 * r])
        #expect(rig.tracker.items.map(\.actualLength) == [3 * r, 2 * r, 3 * r])

        let entries = try rig.entries()
        #expect(entries.map(\.kind) == [.logOpened, .showStarted, .itemStarted, .itemEnded, .itemStarted, .itemEnded,
                                        .itemStarted, .itemEnded, .showEnded])
        let items = entries.filter { $0.kind == .itemStarted || $0.kind == .itemEnded }
        #expect(items.map(\.position) == [0, 3 * r, 3 * r, 5 * r, 5 * r, 8 * r])
        #expect(items.map(\.item) == [0, 0, 1, 1, 2, 2])
        // Each event's wall time is the wall time of its frame, to the millisecond.
        for entry in items {
            #expect(entry.unixMilliseconds == (Self.airNanoseconds + entry.position * 1_000_000_000 / r) / 1_000_000,
                    "\(entry.kind) at \(entry.position)")
        }
        #expect(items.first?.wall == "2026-12-03T18:00:00.000+01:00")
        #expect(entries.last(where: { $0.kind == .itemStarted })?.chapterTitle == "Song — Band")
    }

    @Test("ten seconds of silence where audio should sound raise one alarm; a bare live item never does")
    func silenceAlarm() throws {
        let rig = try Rig(items: [TestItem(kind: .music, title: "Dead air", seconds: 14),
                                  TestItem(kind: .live, title: "Talk", seconds: 14)], mode: .automation, level: 0)
        rig.renderToTheEnd()
        let alarms = rig.tracker.alarms.filter { $0.text.contains("silence") }
        #expect(alarms.count == 1, "\(rig.tracker.alarms)")
        let logged = try rig.entries().filter { $0.kind == .alarm }
        #expect(logged.map(\.alarm) == [.silence])
        let position = try #require(logged.first?.position)
        // After ten seconds of the music, within one poll (a block).
        #expect(position > 10 * Int64(Self.rate) && position <= 10 * Int64(Self.rate) + 2 * 512, "alarm at \(position)")
    }

    @Test("GO's and a cart's delays are measured from the key press; xruns are logged once each")
    func commandsAndXruns() throws {
        let rig = try Rig(items: [TestItem(kind: .live, title: "Welcome", seconds: 2),
                                  TestItem(kind: .segment, title: "Interview", seconds: 2)],
                          mode: .interactive, carts: [("1", "station-id")])
        rig.render(blocks: 4)
        #expect(rig.tracker.showStart == nil, "the show waits for GO")
        let pressed = MonotonicClock.nanoseconds() - 5_000_000
        #expect(rig.mixer.commands.push(EngineCommand(.go, requestedAt: pressed, requestedPosition: rig.mixer.position)))
        rig.render(blocks: 1)
        #expect(rig.tracker.showStart == Int64(4 * 512))
        #expect(rig.onShowStartCalls == [4 * 512])
        #expect(rig.tracker.commandDelays.count == 1)
        #expect(rig.tracker.commandDelays.allSatisfy { $0 >= 5_000_000 && $0 < 5_000_000_000 }, "\(rig.tracker.commandDelays)")
        // The console saw the programme 100 frames earlier than the block the cart starts in.
        #expect(rig.mixer.commands.push(EngineCommand(.cart, argument: 0, requestedPosition: rig.mixer.position - 100)))
        rig.render(blocks: 1)
        #expect(rig.tracker.cartFiredAt[0] == Int64(5 * 512))
        rig.tracker.noteXruns(2, position: rig.mixer.position)
        rig.tracker.noteXruns(2, position: rig.mixer.position)
        let entries = try rig.entries()
        let cart = try #require(entries.first { $0.kind == .cartFired })
        #expect(cart.key == "1" && cart.title == "station-id")
        #expect(entries.filter { $0.kind == .alarm && $0.alarm == .xrun }.map(\.message) == ["output xrun 1, recovered",
                                                                                          "output xrun 2, recovered"])
        let keyDelay = try String(contentsOf: rig.log.url, encoding: .utf8).split(separator: "\n")
            .first { $0.contains("cart_fired") }?.contains("\"key_to_start_frames\":100")
        #expect(keyDelay == true)
    }

    @Test("items dropped by the fit are logged at the show's start; a show stopped before GO still ends its log")
    func droppedItemsAndAShowThatNeverStarted() throws {
        let rig = try Rig(items: [TestItem(kind: .segment, title: "Interview", seconds: 3),
                                  TestItem(kind: .music, title: "Extra", seconds: 3, optional: true),
                                  TestItem(kind: .segment, title: "Closer", seconds: 2)],
                          mode: .interactive, slotSeconds: 5)
        #expect(rig.plan.entries[1].dropped)
        #expect(rig.tracker.items.map(\.state) == [.pending, .dropped, .pending])
        rig.render(blocks: 3)
        let entries = try rig.entries()
        #expect(entries.map(\.kind) == [.logOpened, .showStarted, .itemDropped, .showEnded])
        #expect(entries.first { $0.kind == .itemDropped }?.title == "Extra")
    }
}
