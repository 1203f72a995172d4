// A voice's gain frame by frame: its loudness gain, fade-in and fade-out, the crossfades into and
// out of it, a cut's fade-out, and a bed's ducking and release. Render thread only, no Foundation,
// no allocation (real-time rules 1 and 2).
import DSP

/// Shapes a voice's frames and adds them to the programme bus.
enum VoiceEnvelope {
    /// Adds `frames` frames of `source` (the voice from voice frame `position` on, interleaved
    /// stereo) to `destination`, times `gain` and the voice's envelope. A bed follows `duck`
    /// (ducked while `ducked`) and fades out over `bedRelease` frames from `bedFadeStart`.
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, frames: Int,
                    position: Int64, voice: VoiceSpec, cut: VoiceCut?, gain: Float, bedFadeStart: Int64,
                    bedRelease: Int64, duck: inout DuckingEnvelope, ducked: Bool) {
        let fadeOutStart = voice.length - voice.fadeOut
        let crossfadeOutStart = voice.length - voice.crossfadeOut
        let cutStart = cut?.start ?? .max, cutLength = cut?.length ?? 0
        let shaped = voice.isBed || position < max(voice.fadeIn, voice.crossfadeIn)
            || position + Int64(frames) > min(fadeOutStart, crossfadeOutStart, cutStart)
        if !shaped {
            for i in 0..<(frames * 2) { destination[i] += source[i] * gain }
            return
        }
        for f in 0..<frames {
            let p = position + Int64(f)
            var g = gain
            if p < voice.fadeIn { g *= EqualPowerFade.gain(at: p, length: voice.fadeIn) }
            if p < voice.crossfadeIn { g *= EqualPowerFade.gain(at: p, length: voice.crossfadeIn) }
            if p >= fadeOutStart { g *= EqualPowerFade.fadeOutGain(at: p - fadeOutStart, length: voice.fadeOut) }
            if p >= crossfadeOutStart {
                g *= EqualPowerFade.fadeOutGain(at: p - crossfadeOutStart, length: voice.crossfadeOut)
            }
            if p >= cutStart { g *= EqualPowerFade.fadeOutGain(at: p - cutStart, length: cutLength) }
            if voice.isBed {
                // A bed ducks under the talk from its first frame (unless ducking is off) and
                // fades out as its item ends.
                duck.isDucked = ducked
                g *= duck.nextGain()
                if p >= bedFadeStart && bedRelease > 0 {
                    g *= EqualPowerFade.fadeOutGain(at: p - bedFadeStart, length: bedRelease)
                }
            }
            destination[2 * f] += source[2 * f] * g
            destination[2 * f + 1] += source[2 * f + 1] * g
        }
    }
}
