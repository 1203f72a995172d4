// The technician's commands on the schedule: GO, fade, the beds' fade, skip. Render thread only,
// like the rest of `Timeline`; `Timeline.apply(_:at:appliedAt:edit:)` dispatches to them.

extension Timeline {
    func go(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        resume(at: position)
        let next = firstPending()
        if let current = currentPosition(at: position), current != next {
            let index = voice(at: current)
            let voice = voices.states[index].spec
            if voice.isLive {
                // GO ends a live item now; its bed fades out over the ducking release.
                cut(index, at: position, fade: voice.hasAudio ? bedRelease : 0)
                voices.states[index].flags.insert(.endLogged)
                emit(MixerEvent(.itemEnded, answering: command, appliedAt: appliedAt, position: position, item: voice.item))
            } else if !voice.isJingle, let next {
                let overlap = voices.states[self.voice(at: next)].spec.crossfadeIn
                cut(index, at: position, fade: overlap > 0 ? overlap : declick)
            }
        }
        guard let next else { return }
        let index = voice(at: next)
        holdBefore = -1
        shift(from: next, by: position - voices.states[index].spec.start)
        emit(MixerEvent(.itemStarted, answering: command, appliedAt: appliedAt, position: position,
                        item: voices.states[index].spec.item))
        voices.states[index].flags.insert(.started)
    }

    func fadeOut(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        resume(at: position)
        guard let current = currentVoice(at: position) else { return }
        let planned = voices.states[current].spec.fadeOut
        let fade = planned > 0 ? planned : defaultFade
        var j = firstUnfinished
        while j < scheduled {
            let i = voice(at: j)
            let voice = voices.states[i]
            if voice.flags.contains(.started) && voice.isUnfinished {
                cut(i, at: position, fade: voice.spec.hasAudio ? fade : 0)
            }
            j += 1
        }
        emit(MixerEvent(.itemFaded, answering: command, appliedAt: appliedAt, position: position,
                        item: voices.states[current].spec.item, detail: fade))
        guard let next = firstPending() else { return }
        let index = voice(at: next)
        if mode == .interactive {
            holdBefore = index
            emit(MixerEvent(.holding, position: position, item: voices.states[index].spec.item))
        } else {
            shift(from: next, by: position + fade - voices.states[index].spec.start)   // automation goes on after the fade
        }
    }

    /// Fades the beds on air out over the release; their items keep running (a live item still
    /// holds for GO), so the talk goes on without music under it.
    func fadeBeds(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        var j = firstUnfinished
        while j < scheduled {
            let i = voice(at: j)
            let voice = voices.states[i]
            if voice.flags.contains(.started) && voice.isUnfinished && voice.spec.isBed && voice.bedFadedAt == .max {
                voices.states[i].bedFadedAt = max(0, position - voice.spec.start)
                emit(MixerEvent(.bedFaded, answering: command, appliedAt: appliedAt, position: position, item: voice.spec.item))
            }
            j += 1
        }
    }

    func skip(at position: Int64, _ command: EngineCommand, appliedAt: Int64) {
        resume(at: position)
        if let current = currentVoice(at: position) {
            let voice = voices.states[current].spec
            cut(current, at: position, fade: voice.hasAudio ? declick : 0)
            emit(MixerEvent(.itemSkipped, answering: command, appliedAt: appliedAt, position: position, item: voice.item))
            if holdBefore < 0, let next = firstPending() {
                shift(from: next, by: position - voices.states[self.voice(at: next)].spec.start)
            }
            return
        }
        // Nothing on air: pass over the item waiting for GO.
        let waitingPosition = holdBefore >= 0 ? self.position(of: holdBefore) : firstPending()
        guard let waitingPosition else { return }
        let waiting = voice(at: waitingPosition)
        let wasHolding = holdBefore >= 0
        passOver(waiting, event: nil, at: position)
        emit(MixerEvent(.itemSkipped, answering: command, appliedAt: appliedAt, position: position,
                        item: voices.states[waiting].spec.item))
        if let next = firstPending(from: waitingPosition + 1) {
            let index = voice(at: next)
            shift(from: next, by: voices.states[waiting].spec.start - voices.states[index].spec.start)
            if wasHolding {
                holdBefore = index
                emit(MixerEvent(.holding, position: position, item: voices.states[index].spec.item))
            }
        } else {
            holdBefore = -1
        }
    }
}
