import Engine
import Foundation
import Glibc
import MP3
import Production
import RegieModel
import Testing
import TestSupport

/// How `EpisodeRender` shares the cores: the encoder keeps normal scheduling, the mixing thread
/// (the caller) runs as SCHED_BATCH while it mixes, and gets its own policy back afterwards.
@Suite struct EpisodeRenderTests {
    @Test func theCallerMixesAsABatchThreadAndGetsItsPolicyBack() throws {
        let dir = try TempDir("regie-test").url
        defer { try? FileManager.default.removeItem(at: dir) }
        // A live item renders as silence: no audio files, no analysis.
        let plan = try makePlan(in: dir, items: [TestItem(kind: .live, title: "Talk", seconds: 20)])
        let render = EpisodeRender(program: CompiledProgram(plan: plan), settings: .init(quality: 7, bitrate: 128),
                                   cache: LoudnessCache(url: dir.appendingPathComponent("cache.json")))
        let before = sched_getscheduler(0)
        var policies = Set<Int32>()
        let summary = try render.run(to: dir.appendingPathComponent("episode.mp3")) { _, _ in
            policies.insert(sched_getscheduler(0))
        }
        #expect(summary.frames == 20 * 44100)
        #expect(before == SCHED_OTHER)
        #expect(policies == [3], "SCHED_BATCH (3) while mixing, found \(policies)")
        #expect(sched_getscheduler(0) == before)
    }
}
