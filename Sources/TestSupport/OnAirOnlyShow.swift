// The podcast cut's test show (issue 16): talk, a song not cleared for podcasting, talk, a
// cleared song — each a tone of its own frequency, so that where each went is measurable.
import Foundation

/// Tones with 20 ms fades at both ends (no step where items meet: any step at a join is the
/// cut's), and Goertzel power to find them.
package enum CutTones {
    /// The frequencies: talk before, the song on air only, talk after, the cleared song.
    package static let talkBefore = 331.7, song = 881.3, talkAfter = 553.9, cleared = 662.2

    /// A mono tone at `rate`.
    package static func tone(_ frequency: Double, seconds: Double, level: Double = 0.2, rate: Int = 44100) -> [Float] {
        let n = Int(seconds * Double(rate)), fade = rate / 50
        return (0..<n).map { i in
            let edge = min(1, Double(min(i, n - 1 - i)) / Double(fade))
            return Float(level * edge * sin(2 * Double.pi * frequency * Double(i) / Double(rate)))
        }
    }

    /// Power of `frequency` in the left channel of interleaved stereo `samples` over `frames` from
    /// `start` (Goertzel).
    package static func power(_ samples: [Float], _ frequency: Double, start: Int, frames: Int, rate: Int = 44100) -> Double {
        let k = 2 * cos(2 * Double.pi * frequency / Double(rate))
        var s1 = 0.0, s2 = 0.0
        let first = max(0, start)
        for frame in first..<max(first, min(start + frames, samples.count / 2)) {
            let s0 = Double(samples[2 * frame]) + k * s1 - s2
            s2 = s1; s1 = s0
        }
        return (s1 * s1 + s2 * s2 - k * s1 * s2) / Double(frames * frames)
    }
}

extension TestShow {
    /// Writes the four tones and a rundown playing them (Opening, "Snowfall — The Demo Band" with
    /// `podcast: false`, Interview, "Free Song — Commons Choir"); returns the rundown.
    package func writeOnAirOnlyRundown(talk: Double, song: Double, cleared: Double, slot: Int, episode: Int,
                                       level: Double = 0.2) throws -> URL {
        for (name, frequency, seconds) in [("talk-a", CutTones.talkBefore, talk), ("song", CutTones.song, song),
                                           ("talk-b", CutTones.talkAfter, talk), ("cleared", CutTones.cleared, cleared)] {
            try writeAudio("audio/\(name).wav", samples: CutTones.tone(frequency, seconds: seconds, level: level), sampleRate: 44100)
        }
        return try writeRundown("""
            episode: \(episode)
            title: A song on air only
            description: The podcast leaves one song out.
            air: 2026-12-03T18:00:00+01:00
            slot: \(slot)
            items:
              - segment: audio/talk-a.wav
                title: Opening
              - music: audio/song.wav
                title: Snowfall
                artist: The Demo Band
                podcast: false
              - segment: audio/talk-b.wav
                title: Interview
              - music: audio/cleared.wav
                title: Free Song
                artist: Commons Choir
            """)
    }
}
