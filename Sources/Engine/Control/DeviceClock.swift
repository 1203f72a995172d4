import Foundation

// The sound card's clock against the station's. A card's crystal runs tens to hundreds of ppm
// off (100 ppm is 0.36 s an hour), while the hard end is the station's time (CLOCK_REALTIME,
// NTP-disciplined): posts are scheduled in frames from this measurement. Plain arithmetic, any
// thread that owns it (the control thread).

/// Which programme frame sounds at a given wall-clock time, from observations of the device:
/// (wall time, frame sounding then) pairs, taken by the render thread after each write (frames
/// handed to the device less those still queued). A weighted least-squares line through them,
/// recent ones weighing more (time constant `memorySeconds`), gives the card's rate and phase; a
/// jump (an xrun: the card played silence, or skipped) starts a new line that keeps the old rate
/// until it has seen enough of its own.
package struct DeviceClock: Sendable {
    /// Nominal frames per second.
    package let nominalRate: Double
    /// Older observations weigh e^(−age / memorySeconds).
    package let memorySeconds: Double
    /// A sample further than this from the line (seconds) is a jump, when the next ones agree.
    package let jumpSeconds: Double

    // The current line, in coordinates relative to its first sample (seconds, frames).
    private var originWall: Int64 = 0
    private var originFrame: Int64 = 0
    private var lastWall: Int64 = 0
    private var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
    private var count = 0
    /// Seconds the current line spans.
    private var span = 0.0
    /// The rate of the line before a jump (frames per second), used until the new line spans
    /// `minimumSpanForRate`.
    private var priorRate: Double?
    /// Samples in a row off the line.
    private var outliers: [(wall: Int64, frame: Int64)] = []
    /// Jumps seen.
    package private(set) var jumps = 0

    /// A line spans at least this much before its own rate is trusted over the prior one.
    static let minimumSpanForRate = 20.0

    /// A clock for a device at `nominalRate` frames per second.
    package init(nominalRate: Int, memorySeconds: Double = 120, jumpSeconds: Double = 0.02) {
        self.nominalRate = Double(nominalRate)
        self.memorySeconds = memorySeconds
        self.jumpSeconds = jumpSeconds
    }

    /// The device was sounding programme frame `frame` at wall time `wall` (ns since 1970).
    package mutating func observe(wall: Int64, frame: Int64) {
        if count == 0 {
            start(wall: wall, frame: frame)
            return
        }
        guard wall > lastWall else { return }
        if let predicted = self.frame(atWall: wall),
           abs(Double(frame - predicted)) > jumpSeconds * nominalRate {
            outliers.append((wall, frame))
            // Three in a row that agree with each other: the device jumped; start again from them.
            if outliers.count >= 3 {
                let first = outliers[0]
                let rate = self.rate
                let agree = outliers.dropFirst().allSatisfy { sample in
                    let expected = Double(first.frame) + rate * Double(sample.wall - first.wall) / 1e9
                    return abs(Double(sample.frame) - expected) <= jumpSeconds * nominalRate
                }
                if agree {
                    priorRate = rate
                    jumps += 1
                    let kept = outliers
                    start(wall: kept[0].wall, frame: kept[0].frame)
                    for sample in kept.dropFirst() { add(wall: sample.wall, frame: sample.frame) }
                } else {
                    outliers.removeFirst()
                }
            }
            return
        }
        outliers.removeAll()
        add(wall: wall, frame: frame)
    }

    private mutating func start(wall: Int64, frame: Int64) {
        originWall = wall
        originFrame = frame
        lastWall = wall
        sw = 0; sx = 0; sy = 0; sxx = 0; sxy = 0
        count = 0
        span = 0
        outliers.removeAll()
        add(wall: wall, frame: frame)
    }

    private mutating func add(wall: Int64, frame: Int64) {
        // Forget: every sum decays with the time since the last sample.
        let dt = Double(wall - lastWall) / 1e9
        if dt > 0 {
            let decay = exp(-dt / memorySeconds)
            sw *= decay; sx *= decay; sy *= decay; sxx *= decay; sxy *= decay
        }
        let x = Double(wall - originWall) / 1e9
        let y = Double(frame - originFrame)
        sw += 1; sx += x; sy += y; sxx += x * x; sxy += x * y
        count += 1
        lastWall = wall
        span = x
    }

    /// Frames per second the device is measured to run at (the prior rate, or the nominal one,
    /// until a line spans enough time).
    package var rate: Double {
        // A line's own slope counts once it spans a few seconds, and only when it is a sound
        // card's (within half a percent of nominal: a real crystal is within a few hundred ppm);
        // before that, the rate before the last jump, or the nominal one.
        if let own = lineRate, abs(own / nominalRate - 1) < Self.plausibleDeviation,
           span >= Self.minimumSpanForRate || priorRate == nil && span >= 2 {
            return own
        }
        return priorRate ?? nominalRate
    }

    /// The furthest a measured rate may be from nominal and still be a card's (0.5 %).
    static let plausibleDeviation = 0.005

    /// The current line's own slope, when it has two distinct points.
    private var lineRate: Double? {
        let denominator = sw * sxx - sx * sx
        guard count >= 2, denominator > 1e-12 else { return nil }
        return (sw * sxy - sx * sy) / denominator
    }

    /// Whether a line spans long enough for its own rate to count.
    package var hasMeasured: Bool { span >= 2 && lineRate != nil }

    /// Parts per million the device runs fast (positive) or slow against the station's clock.
    package var ppm: Double { (rate / nominalRate - 1) * 1e6 }

    /// The programme frame the device sounds at wall time `wall` (ns since 1970), nil before the
    /// first observation.
    package func frame(atWall wall: Int64) -> Int64? {
        guard count > 0 else { return nil }
        let rate = self.rate
        // The line through the weighted mean point, at the chosen rate.
        let meanX = sx / sw, meanY = sy / sw
        let x = Double(wall - originWall) / 1e9
        return originFrame + Int64((meanY + rate * (x - meanX)).rounded())
    }

    /// The wall time (ns since 1970) at which the device sounds programme frame `frame`, nil
    /// before the first observation.
    package func wall(atFrame frame: Int64) -> Int64? {
        guard count > 0 else { return nil }
        let rate = self.rate
        let meanX = sx / sw, meanY = sy / sw
        let x = meanX + (Double(frame - originFrame) - meanY) / rate
        return originWall + Int64((x * 1e9).rounded())
    }
}
