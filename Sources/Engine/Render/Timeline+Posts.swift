// The hard and soft posts and the running order's edits on the schedule: a post due in the
// block, the drift a live item absorbs in automation, a post moved by the device clock, the
// pending schedule replaced by an edit from the control side. Render thread only, like the rest
// of `Timeline`.

extension Timeline {
    /// The next post, when it falls due in this block (or is already past): a hard one starts its
    /// voice now (at its frame, or the block's start if the frame has passed) over whatever is on
    /// air; a soft one drops what waits before it and starts when the item on air ends. A voice
    /// that starts at or before its post by the schedule keeps its place.
    func applyPosts(blockStart: Int64, blockEnd: Int64) {
        guard let (k, index) = nextPost(), voices.states[index].spec.post < blockEnd else { return }
        let post = voices.states[index].spec.post
        voices.states[index].spec.post = -1   // once
        let natural = voices.states[index].spec.start
        let at = max(post, blockStart)
        // Waiting for GO (before the show or after a fade) keeps the voice waiting: it starts at
        // its time all the same, and nothing is cut.
        let waitingForIt = holdBefore == index
        if !waitingForIt && natural <= at + postTolerance && !isHeldBefore(k) { return }   // the schedule reaches it in time
        if voices.states[index].spec.postIsSoft {
            // What waits before it is dropped; it starts when the item on air ends.
            let wasHolding = holdBefore >= 0
            var j = firstPending() ?? k
            while j < k {
                let i = voice(at: j)
                if voices.states[i].flags.isDisjoint(with: .startedOrFinished) { passOver(i, event: .itemDropped, at: at) }
                j += 1
            }
            let onAir = currentPosition(at: at).map { voices.states[voice(at: $0)].effectiveEnd } ?? at
            shift(from: k, by: max(at, onAir) - voices.states[index].spec.start)
            if wasHolding { holdBefore = index }
            emit(MixerEvent(.postMadeNext, position: at, item: voices.states[index].spec.item))
            return
        }
        // Hard: everything on air fades out under it; what waits before it is dropped.
        let fade = voices.states[index].spec.postFade
        var j = firstUnfinished
        while j < k {
            let i = voice(at: j)
            let state = voices.states[i]
            if state.isUnfinished {
                if state.flags.contains(.started) {
                    cut(i, at: at, fade: state.spec.hasAudio ? fade : 0, fadingToItsEnd: true)
                    if state.spec.isLive && !state.flags.contains(.endLogged) {
                        voices.states[i].flags.insert(.endLogged)
                        emit(MixerEvent(.itemEnded, position: at, item: state.spec.item))
                    }
                } else {
                    passOver(i, event: .itemDropped, at: at)
                }
            }
            j += 1
        }
        holdBefore = -1
        shift(from: k, by: at - voices.states[index].spec.start)
        emit(MixerEvent(.postForced, position: at, item: voices.states[index].spec.item,
                        detail: max(0, natural - at)))
    }

    /// A live item before position `k` holds (interactive): the schedule is not reaching `k`.
    func isHeldBefore(_ k: Int) -> Bool {
        var j = firstUnfinished
        while j < k {
            let i = voice(at: j)
            if voices.states[i].isUnfinished && isHeld(i) { return true }
            j += 1
        }
        return false
    }

    /// The first pending voice with a post, and its position.
    func nextPost() -> (Int, Int)? {
        var k = firstUnfinished
        while k < scheduled {
            let i = voice(at: k)
            let state = voices.states[i]
            if state.spec.post >= 0 && state.flags.isDisjoint(with: .startedOrFinished) { return (k, i) }
            k += 1
        }
        return nil
    }

    /// Automation: the last live item before the hard post of voice `index` (at position `k`)
    /// that has not ended takes the difference between where the schedule reaches the post and
    /// where the post is, so the post is met without cutting anything (the clock's drift, a late
    /// start). It never ends before the block being played.
    func absorb(into index: Int, at k: Int, now: Int64) {
        guard mode == .automation else { return }
        let target = voices.states[index].spec.post
        guard target >= 0, !voices.states[index].spec.postIsSoft,
              voices.states[index].flags.isDisjoint(with: .startedOrFinished) else { return }
        var j = k - 1
        while j >= firstUnfinished {
            let i = voice(at: j)
            let state = voices.states[i]
            if state.isUnfinished && state.spec.isLive && state.cut == nil {
                let delta = target - voices.states[index].spec.start
                if abs(delta) <= postTolerance { return }
                let length = max(state.spec.length + delta, now + 1 - state.spec.start, 1)
                let applied = length - state.spec.length
                voices.states[i].spec.length = length
                shift(from: j + 1, by: applied)
                return
            }
            if state.flags.contains(.started) { return }   // audio on air before the post: nothing elastic after it
            j -= 1
        }
    }

    /// Moves a pending voice's post (the clock's drift measured; a new estimate each second).
    func setPost(voice index: Int, to frame: Int64, now: Int64) {
        guard index >= 0, index < voices.count, voices.states[index].flags.isDisjoint(with: .startedOrFinished),
              let k = position(of: index) else { return }
        voices.states[index].spec.post = frame
        absorb(into: index, at: k, now: now)
    }

    /// Replaces the pending schedule (from the first item not started) with `edit`'s, anchored
    /// where the first pending item was to start; pending voices it leaves out will not air (they
    /// were dropped or replaced). False, changing nothing, when the schedule moved on first.
    func apply(_ edit: ScheduleEdit, at position: Int64) -> Bool {
        let first = firstPending()
        let firstVoice = first.map { Int32(voice(at: $0)) } ?? -1
        guard firstVoice == edit.expectedFirst, Int(edit.newFirst) == voices.count,
              voices.count + edit.newCount <= voices.capacity else { return false }
        let k0 = first ?? scheduled
        guard k0 + edit.count <= voices.capacity else { return false }
        // Every voice of the new schedule is pending now, or new.
        for e in 0..<edit.count {
            let i = Int(edit.voices[e])
            guard i >= 0, i < voices.count + edit.newCount else { return false }
            if i < voices.count {
                guard voices.states[i].flags.isDisjoint(with: .startedOrFinished), let k = self.position(of: i), k >= k0 else { return false }
            }
        }
        // The new first item follows the item on air (less its crossfade into it), or takes the
        // old first item's place (waiting for GO, or nothing on air).
        let onAir = currentVoice(at: position)
        var anchor = first.map { voices.states[voice(at: $0)].spec.start } ?? max(position, lastEnd(at: position))
        if let onAir, holdBefore < 0 { anchor = max(position, voices.states[onAir].effectiveEnd - edit.overlapIntoFirst) }
        if let onAir, edit.currentCrossfadeOut >= 0, voices.states[onAir].cut == nil {
            voices.states[onAir].spec.crossfadeOut = edit.currentCrossfadeOut
        }
        for n in 0..<edit.newCount { _ = voices.append(edit.newVoices[n]) }
        let wasHolding = holdBefore >= 0
        // Voices pending now but not in the new schedule will not air.
        var j = k0
        while j < scheduled {
            let i = voice(at: j)
            var kept = false
            for e in 0..<edit.count where Int(edit.voices[e]) == i { kept = true; break }
            if !kept && voices.states[i].flags.isDisjoint(with: .startedOrFinished) { passOver(i, event: nil, at: position) }
            j += 1
        }
        for e in 0..<edit.count {
            let i = Int(edit.voices[e])
            order[k0 + e] = Int32(i)
            voices.states[i].spec.start = anchor + edit.offsets[e]
            if edit.lengths[e] > 0 && voices.states[i].spec.isLive { voices.states[i].spec.length = edit.lengths[e] }
            if edit.crossfadeIns[e] >= 0 { voices.states[i].spec.crossfadeIn = edit.crossfadeIns[e] }
            if edit.crossfadeOuts[e] >= 0 { voices.states[i].spec.crossfadeOut = edit.crossfadeOuts[e] }
        }
        scheduled = k0 + edit.count
        if wasHolding { holdBefore = edit.count > 0 ? Int(edit.voices[0]) : -1 }
        if finishedAt >= 0 && edit.count > 0 { finishedAt = -1 }
        // A hard post in the new schedule: the live items before it take up the difference.
        var k = k0
        while k < scheduled {
            let i = voice(at: k)
            if voices.states[i].spec.post >= 0 { absorb(into: i, at: k, now: position); break }
            k += 1
        }
        return true
    }

    /// The next post for the console.
    func fillPost(_ s: inout TimelineState, at position: Int64) {
        if let (k, index) = nextPost() {
            s.nextPostItem = voices.states[index].spec.item
            s.nextPostFrame = voices.states[index].spec.post
            s.nextPostIsSoft = voices.states[index].spec.postIsSoft
            s.endBeforeNextPost = lastEnd(at: position, before: k)
        } else {
            s.nextPostItem = -1
            s.nextPostFrame = -1
        }
    }
}
