import Foundation
import Testing
import TestSupport

/// Memory does not grow with the show's length: the engine streams through fixed rings and LAME
/// writes as it goes. A three-hour rundown must render within a few MB of a ten-minute one.
@Suite struct RenderMemoryTests {
    /// Peak resident memory (KiB) of one `regie render`, measured by the kernel (getrusage).
    static func peakMemory(rendering rundown: URL, to mp3: URL) throws -> Int {
        let script = """
        import resource, subprocess, sys
        code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        """
        let result = try run("/usr/bin/python3", ["-c", script, TestSupport.regie.path, "render", rundown.path,
                                                                "-o", mp3.path, "--quality", "9"])
        let fields = result.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(fields.first == 0, "regie render failed")
        return fields.last ?? 0
    }

    /// A rundown of `blocks` × (1 min segment, 9 min live item over a looped bed).
    static func rundown(blocks: Int) -> String {
        var items = ""
        for block in 1...blocks {
            items += """
              - segment: audio/talk.flac
                title: Talk \(block)
              - live: Talk at the desk \(block)
                planned: 9:00
                bed: bed

            """
        }
        return """
        episode: 1
        title: Long
        description: d
        air: 2026-12-03T18:00:00+01:00
        slot: \(blocks * 10):00
        items:
        \(items)
        """
    }

    @Test func aThreeHourShowRendersInAboutTheMemoryOfATenMinuteOne() throws {
        // 32 kHz, 64 kb/s and LAME quality 9 keep this test quick; memory use does not depend on them.
        let show = try TestShow(extra: "sample_rate: 32000\nbitrate: 64")
        let rate = 32000
        let talk = (0..<(rate * 60)).map { Float(0.3 * sin(2 * Double.pi * 300 * Double($0) / Double(rate)) * (0.5 + 0.5 * sin(Double($0) / 4000))) }
        try show.writeAudio("audio/talk.flac", samples: talk, sampleRate: rate)
        let bed = (0..<(rate * 20)).map { Float(0.2 * sin(2 * Double.pi * 110 * Double($0) / Double(rate))) }
        try show.writeAudio("jingles/bed.flac", samples: bed, sampleRate: rate)
        let short = try show.writeRundown(Self.rundown(blocks: 1), name: "2026-12-03.yaml")
        let long = try show.writeRundown(Self.rundown(blocks: 18), name: "2026-12-04.yaml")

        let shortPeak = try Self.peakMemory(rendering: short, to: show.root.appendingPathComponent("short.mp3"))
        let longPeak = try Self.peakMemory(rendering: long, to: show.root.appendingPathComponent("long.mp3"))
        let longFrames = try decodedFrameCount(show.root.appendingPathComponent("long.mp3"))
        #expect(longFrames == 3 * 3600 * rate, "the long render is really three hours")
        #expect(longPeak - shortPeak < 8 * 1024, "10 min: \(shortPeak / 1024) MiB, 3 h: \(longPeak / 1024) MiB")
        print("peak memory: 10 min \(shortPeak / 1024) MiB, 3 h \(longPeak / 1024) MiB")
    }
}
