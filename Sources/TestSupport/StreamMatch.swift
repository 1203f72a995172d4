/// How a recording of a paced output (a PulseAudio monitor) holds a reference programme, frame
/// by frame and bit-exact, in order. A paced server may insert silence when a client is late
/// (an underrun) and a client that recovers from an xrun may lose the frames it had queued, so
/// the match resynchronises across both and counts them instead of failing on the first one.
package struct StreamMatch: Sendable, CustomStringConvertible {
    /// Recording frame where reference frame 0 sits (nil if the reference's first sound was not found).
    package var offset: Int?
    /// Reference frames found bit-exact in the recording, in order.
    package var matchedFrames = 0
    /// Runs of silence the recording has in the middle of the programme, and their total frames.
    package var insertedRuns = 0, insertedFrames = 0
    /// Runs of reference frames missing from the recording, and their total frames.
    package var lostRuns = 0, lostFrames = 0
    /// Reference frame where the recording holds something else (nil if it never does).
    package var mismatchAt: Int?
    /// Reference length in frames.
    package var referenceFrames = 0

    /// Every reference frame is in the recording, bit-exact and in order (silence inserted allowed).
    package var isComplete: Bool { mismatchAt == nil && lostFrames == 0 && matchedFrames == referenceFrames }

    package var description: String {
        "offset \(offset.map(String.init) ?? "none"), matched \(matchedFrames)/\(referenceFrames) frames, "
            + "silence inserted \(insertedRuns)× (\(insertedFrames) frames), lost \(lostRuns)× (\(lostFrames) frames)"
            + (mismatchAt.map { ", different content at reference frame \($0)" } ?? "")
    }

    /// Matches interleaved `reference` against interleaved `recorded` (same channel count).
    /// The reference is placed by its first non-zero frame (the recording must start earlier).
    package init(reference: [Float], recorded: [Float], channels: Int = 2) {
        let refFrames = reference.count / channels, recFrames = recorded.count / channels
        referenceFrames = refFrames
        reference.withUnsafeBufferPointer { ref in
            recorded.withUnsafeBufferPointer { rec in
                func same(_ i: Int, _ j: Int) -> Bool {
                    for c in 0..<channels where ref[i * channels + c].bitPattern != rec[j * channels + c].bitPattern { return false }
                    return true
                }
                func silent(_ j: Int) -> Bool {
                    for c in 0..<channels where rec[j * channels + c] != 0 { return false }
                    return true
                }
                func firstSound(_ b: UnsafeBufferPointer<Float>, frames: Int) -> Int? {
                    (0..<frames).first { f in (0..<channels).contains { b[f * channels + $0] != 0 } }
                }
                guard let refFirst = firstSound(ref, frames: refFrames), let recFirst = firstSound(rec, frames: recFrames),
                      recFirst >= refFirst else { return }
                offset = recFirst - refFirst
                var i = 0, j = recFirst - refFirst
                // Frames that must agree in a row before a resynchronisation is believed.
                let proof = 32
                while i < refFrames {
                    if j < recFrames && same(i, j) {
                        matchedFrames += 1; i += 1; j += 1
                        continue
                    }
                    if j >= recFrames { lostRuns += 1; lostFrames += refFrames - i; return }
                    // Silence inserted: skip it when the programme resumes right after.
                    var k = j
                    while k < recFrames && silent(k) && !same(i, k) { k += 1 }
                    if k > j && k < recFrames && (0..<min(proof, refFrames - i)).allSatisfy({ i + $0 < refFrames && k + $0 < recFrames && same(i + $0, k + $0) }) {
                        insertedRuns += 1; insertedFrames += k - j; j = k
                        continue
                    }
                    // Frames lost: find where the recording picks the programme up again (after
                    // any silence), at most 10 s further on.
                    var resume = j
                    while resume < recFrames && silent(resume) { resume += 1 }
                    let limit = min(refFrames, i + 441_000)
                    var found: Int?
                    var candidate = i + 1
                    while candidate < limit {
                        if same(candidate, resume), (0..<min(proof, refFrames - candidate)).allSatisfy({ resume + $0 < recFrames && same(candidate + $0, resume + $0) }) {
                            found = candidate
                            break
                        }
                        candidate += 1
                    }
                    guard let found else { mismatchAt = i; return }
                    if resume > j { insertedRuns += 1; insertedFrames += resume - j }
                    lostRuns += 1; lostFrames += found - i
                    i = found; j = resume
                }
            }
        }
    }
}
