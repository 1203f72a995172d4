// The running order of a live show as the control side knows it, and its changes on air: items
// inserted, moved, dropped, restored or made next, the rundown file edited by the producer, a late
// start. Each change re-fits what has not aired to the posts (the planner, on the items left) and
// goes to the render thread as one `ScheduleEdit`.
import AudioIO
import Console
import Engine
import Foundation
import Production
import RegieModel

/// The live running order: every item by id (the rundown's, then those inserted on air), their
/// order, which engine voice plays each, and the plan the console shows (`plan`: the items in
/// running order, fitted).
///
/// Threading: the control thread only. The render thread learns of a change through the mixer's
/// `ScheduleEdit` mailbox and answers with `editApplied` or `editRejected` (`answer`); one change is
/// in flight at a time, and one asked for meanwhile is sent after it.
package final class RunningOrder {
    /// How the engine is reached: the live player, or a test's mixer.
    package struct EngineLink {
        /// The mixer (its edit mailbox, its state).
        package var mixer: ProgrammeMixer
        /// Sends a command to the render thread; false when the queue is full.
        package var send: (EngineCommand) -> Bool
        /// Tells the prefetcher where a new voice's audio comes from.
        package var addVoice: (_ index: Int, _ source: VoiceSource, _ length: Int64, _ loudness: SourceLoudness) -> Void
        /// A file's loudness (measured once, cached).
        package var loudness: (String) -> SourceLoudness

        package init(mixer: ProgrammeMixer, send: @escaping (EngineCommand) -> Bool,
                     addVoice: @escaping (Int, VoiceSource, Int64, SourceLoudness) -> Void,
                     loudness: @escaping (String) -> SourceLoudness) {
            self.mixer = mixer; self.send = send; self.addVoice = addVoice; self.loudness = loudness
        }
    }

    /// What the technician (or the producer's file) asked of the running order.
    package enum Change: Sendable {
        /// Insert `item` right after the item on air (or first, before the show starts).
        case insert(Item)
        /// Move a pending item one place up (-1) or down (+1) among the pending ones.
        case move(id: Int, by: Int)
        /// Drop a pending item (it will not air), or bring a dropped one back.
        case toggleDrop(id: Int)
        /// Make a pending item the next to air.
        case makeNext(id: Int)
        /// Replace what has not aired with these items (the rundown file reloaded).
        case replacePending([Item])
        /// Re-fit what has not aired to the posts, nothing else changed (a late start).
        case refit
    }

    /// Why a change was not made.
    package enum Refusal: Error, Equatable, CustomStringConvertible {
        case notPending(Int)
        case afterTheCloser
        case full
        case unreadable(String)
        case unplannable(String)

        package var description: String {
            switch self {
            case .notPending(let id): "item \(id + 1) has aired or is on air: only what is still to come can change"
            case .afterTheCloser: "nothing goes after the back-timed closer"
            case .full: "the show holds no more inserted items"
            case .unreadable(let why): why
            case .unplannable(let why): "the running order cannot be fitted: \(why)"
            }
        }
    }

    /// The plan the show started with.
    package let basePlan: Plan
    /// Every item by id.
    package private(set) var items: [Item]
    /// Item ids in running order: aired, on air, to come, and dropped ones where they were.
    package private(set) var order: [Int]
    /// The order the engine plays (the last one it applied).
    private var appliedOrder: [Int]
    /// Items the technician dropped (until restored).
    package private(set) var excluded: Set<Int> = []
    /// Items brought back by the technician: the fit may not drop them again.
    private var restored: Set<Int> = []
    /// Items that will not air whatever happens: passed over on air (a post, a skip).
    private var gone: Set<Int> = []
    /// The plan of the running order as it stands (what the console shows).
    package private(set) var plan: Plan
    /// The engine voice of each item that has one still pending or aired.
    package private(set) var voiceOf: [Int: Int] = [:]
    /// Voices in the engine's table.
    private var voiceCount: Int
    /// Files probed (the planner's view of each).
    private var audio: [String: AudioSourceInfo] = [:]
    /// Where the live plan's programme frames count from: the first item's first frame.
    private let engine: EngineLink
    /// Each item's state on air (by id), from the tracker.
    private let state: (Int) -> ConsoleSnapshot.ItemState
    /// The change in flight: its edit id and what it will make true once applied.
    private var inFlight: (id: Int64, plan: Plan, order: [Int], voices: [Int: Int], newVoices: Int, dropped: [Int], description: String)?
    private var nextEditID: Int64 = 1
    /// A change waiting for the one in flight (or for the next `flush`).
    private var dirty = false
    private var pendingDescription: [String] = []
    /// Attempts of the current change (a refused edit is planned again, a few times).
    private var attempts = 0
    /// What happened to each change, for the as-run log and the console: (applied, description).
    package var onApplied: ((String) -> Void)?
    package var onFailed: ((String) -> Void)?

    /// The running order of `program` (its plan and voices), reaching the engine through `engine`;
    /// `state` gives each item's state on air.
    package init(program: CompiledProgram, engine: EngineLink, state: @escaping (Int) -> ConsoleSnapshot.ItemState) {
        basePlan = program.plan
        plan = program.plan
        items = program.plan.entries.map(\.item)
        order = program.plan.entries.map(\.item.index)
        appliedOrder = order
        for (index, voice) in program.voices.enumerated() { voiceOf[Int(voice.item)] = index }
        voiceCount = program.voices.count
        self.engine = engine
        self.state = state
        for entry in program.plan.entries {
            if let span = entry.source {
                audio[span.path] = nil   // probed when needed
            }
        }
    }

    /// A change is on its way to the render thread or waiting to be sent.
    package var isBusy: Bool { inFlight != nil || dirty }

    /// The ids still to come, in order (not on air, not aired, not passed over), dropped ones included.
    package var upcoming: [Int] {
        order.filter { isUpcoming($0) }
    }

    private func isUpcoming(_ id: Int) -> Bool {
        guard !gone.contains(id) else { return false }
        let s = state(id)
        return s == .pending || (s == .dropped && !gone.contains(id))
    }

    /// The item on air passed over this one (a post, a skip): it will not come back.
    package func markGone(_ id: Int) { gone.insert(id) }

    /// Makes `change`: checks it, updates the running order, and asks for the re-fit to be sent
    /// (at the next `flush`).
    package func make(_ change: Change) throws(Refusal) {
        let closer = items.firstIndex { $0.backtime }
        func requireUpcoming(_ id: Int) throws(Refusal) {
            guard order.contains(id), isUpcoming(id) else { throw .notPending(id) }
        }
        switch change {
        case .insert(var item):
            guard items.count < basePlan.entries.count + CompiledProgram.insertCapacity else { throw .full }
            if let path = item.audioPath, audio[path] == nil {
                do { audio[path] = AudioSourceInfo(try AudioFile.probe(path: path)) } catch {
                    throw .unreadable("\(path) cannot be read: \(error)")
                }
            }
            item.index = items.count
            items.append(item)
            // Right after the item on air: before the first item still to come.
            let first = order.firstIndex { isUpcoming($0) } ?? order.count
            order.insert(item.index, at: first)
            restored.insert(item.index)
            pendingDescription.append("inserted \(item.kind.rawValue) \"\(item.displayTitle)\" next")
        case let .move(id, delta):
            try requireUpcoming(id)
            let pending = upcoming
            guard let at = pending.firstIndex(of: id) else { throw .notPending(id) }
            let target = at + delta
            guard target >= 0, target < pending.count else { return }
            if id == closer || pending[target] == closer { throw .afterTheCloser }
            let i = order.firstIndex(of: id)!, j = order.firstIndex(of: pending[target])!
            order.swapAt(i, j)
            pendingDescription.append("moved \"\(items[id].displayTitle)\" \(delta < 0 ? "up" : "down")")
        case .toggleDrop(let id):
            try requireUpcoming(id)
            if excluded.remove(id) != nil {
                restored.insert(id)
                pendingDescription.append("restored \"\(items[id].displayTitle)\"")
            } else {
                excluded.insert(id)
                restored.remove(id)
                pendingDescription.append("dropped \"\(items[id].displayTitle)\"")
            }
        case .makeNext(let id):
            try requireUpcoming(id)
            if id == closer && upcoming.count > 1 { throw .afterTheCloser }
            let first = order.firstIndex { isUpcoming($0) }!
            let i = order.firstIndex(of: id)!
            order.remove(at: i)
            order.insert(id, at: first)
            excluded.remove(id)
            pendingDescription.append("made \"\(items[id].displayTitle)\" next")
        case .replacePending(let newItems):
            guard items.count + newItems.count <= basePlan.entries.count + CompiledProgram.insertCapacity else { throw .full }
            for item in newItems {
                if let path = item.audioPath, audio[path] == nil {
                    do { audio[path] = AudioSourceInfo(try AudioFile.probe(path: path)) } catch {
                        throw .unreadable("\(path) cannot be read: \(error)")
                    }
                }
            }
            let old = upcoming
            order.removeAll { old.contains($0) }
            for old in old { excluded.remove(old) }
            for var item in newItems {
                item.index = items.count
                items.append(item)
                order.append(item.index)
            }
            pendingDescription.append("the rundown file reloaded: \(newItems.count) items to come")
        case .refit:
            pendingDescription.append("re-fitted to the posts")
        }
        dirty = true
    }

    // MARK: - Sending

    /// Sends the waiting change when none is in flight. `anchorWall` is when the first item still
    /// to come will start (the end of the item on air, or now), `hardEnd` the slot's end on the
    /// wall clock (ns since 1970), `position` the programme frame now; `onAir` the item on air,
    /// if any, and whether it has audio.
    package func flush(anchorWall: Int64, hardEnd: Int64, onAir: Int?) {
        guard dirty, inFlight == nil else { return }
        do {
            try send(anchorWall: anchorWall, hardEnd: hardEnd, onAir: onAir)
            dirty = false
        } catch {
            dirty = false
            onFailed?("\(error)")
            pendingDescription.removeAll()
        }
    }

    /// The render thread's answer to edit `id`.
    package func answer(id: Int64, applied: Bool) {
        guard let change = inFlight, change.id == id else { return }
        inFlight = nil
        if applied {
            attempts = 0
            plan = change.plan
            appliedOrder = change.order
            for voice in change.dropped { voiceOf = voiceOf.filter { $0.value != voice } }
            for (item, voice) in change.voices { voiceOf[item] = voice }
            voiceCount += change.newVoices
            onApplied?(change.description)
        } else {
            // The schedule moved on (an item started) before the edit arrived: plan it again.
            attempts += 1
            if attempts <= 5 { dirty = true } else {
                attempts = 0
                onFailed?("the running order could not be changed: the show kept moving (tried 5 times)")
            }
        }
    }

    private func send(anchorWall: Int64, hardEnd: Int64, onAir: Int?) throws(Refusal) {
        let rate = basePlan.sampleRate
        let rundown = basePlan.rundown
        let pendingIDs = upcoming.filter { !excluded.contains($0) }
        // The items still to come, planned from when the first of them starts to the hard end.
        let anchorSeconds = anchorWall.floorDividedBy(1_000_000_000)
        var subItems: [Item] = []
        for (position, id) in pendingIDs.enumerated() {
            var item = items[id]
            item.index = position
            if position == 0 { item.at = nil }   // it is next anyway
            if let at = item.at {
                let air = AirTime(epochSeconds: anchorSeconds, utcOffsetSeconds: rundown.air.utcOffsetSeconds, text: "")
                let offset = at.seconds(after: air)
                // A post whose time has passed is no longer one (the engine starts it at once).
                if offset <= 0 || anchorSeconds + offset >= hardEnd / 1_000_000_000 { item.at = nil }
            }
            if restored.contains(id) { item.optional = false }
            subItems.append(item)
        }
        let slotSeconds = max(1, hardEnd / 1_000_000_000 - anchorSeconds)
        let sub = Rundown(file: rundown.file, show: rundown.show, episode: rundown.episode, title: rundown.title,
                          description: rundown.description,
                          air: AirTime(epochSeconds: anchorSeconds, utcOffsetSeconds: rundown.air.utcOffsetSeconds,
                                       text: rundown.air.text),
                          slot: Timecode(seconds: slotSeconds), crossfade: rundown.crossfade, items: subItems,
                          locations: rundown.locations)
        var subAudio: [String: AudioSourceInfo] = [:]
        for item in subItems {
            for path in [item.audioPath, item.bed].compactMap({ $0 }) {
                if audio[path] == nil { audio[path] = try? AudioSourceInfo(AudioFile.probe(path: path)) }
                if let info = audio[path] { subAudio[path] = info }
            }
        }
        var fitted: Plan?
        if !subItems.isEmpty {
            let result = Planner.plan(sub, audio: subAudio)
            guard let plan = result.plan else {
                throw .unplannable(result.diagnostics.filter { $0.severity == .error }.map(\.message).joined(separator: "; "))
            }
            fitted = plan
        }
        // The same plan in item ids.
        var remapped = fitted
        if var plan = remapped {
            for j in plan.entries.indices { plan.entries[j].item.index = pendingIDs[j] }
            plan.posts = plan.posts.map { post in
                var post = post
                post.index = pendingIDs[post.index]
                post.cutItem = post.cutItem.map { pendingIDs[$0] }
                post.droppedItems = post.droppedItems.map { pendingIDs[$0] }
                return post
            }
            plan.backtimeIndex = plan.backtimeIndex.map { pendingIDs[$0] }
            remapped = plan
        }

        // The edit: the airing items in order, each at its offset from the first.
        let edit = engine.mixer.edit
        let airing = remapped?.airing ?? []
        guard airing.count <= edit.capacity else { throw .full }
        let fades = remapped.map { CompiledProgram.crossfades(airing, plan: $0) } ?? []
        edit.count = airing.count
        edit.newCount = 0
        edit.newFirst = Int32(voiceCount)
        var voices: [Int: Int] = [:]
        var newVoices = 0
        let firstStart = airing.first?.start ?? 0
        for (e, entry) in airing.enumerated() {
            let id = entry.item.index
            var voice: Int
            if let existing = voiceOf[id], state(id) == .pending {
                voice = existing
            } else {
                guard voiceCount + newVoices < engine.mixer.voiceCapacity, newVoices < edit.capacity else { throw .full }
                voice = voiceCount + newVoices
                var (spec, source) = CompiledProgram.voice(for: entry, crossfadeIn: fades[e].into, crossfadeOut: fades[e].out,
                                                           live: true, plan: remapped!)
                spec.start = 0
                edit.newVoices[newVoices] = spec
                newVoices += 1
                if let source {
                    engine.addVoice(voice, source, spec.isOpenEnded ? Int64.max : spec.length, engine.loudness(source.path))
                }
            }
            voices[id] = voice
            edit.voices[e] = Int32(voice)
            edit.offsets[e] = entry.start - firstStart
            edit.lengths[e] = entry.item.kind == .live ? entry.length : -1
            edit.crossfadeIns[e] = fades[e].into
            edit.crossfadeOuts[e] = fades[e].out
        }
        edit.newCount = newVoices
        // The first item after the one on air: their crossfade, when both play audio.
        edit.overlapIntoFirst = 0
        edit.currentCrossfadeOut = -1
        if let onAir, let current = plan.entries.first(where: { $0.item.index == onAir }), let first = airing.first,
           current.source != nil, first.source != nil {
            let overlap = min((first.item.crossfade ?? rundown.defaultCrossfade).frames(at: rate), current.length, first.length)
            edit.overlapIntoFirst = overlap
            let envelope = current.item.kind == .jingle || first.item.kind == .jingle ? 0 : overlap
            edit.currentCrossfadeOut = envelope
            if let e = airing.indices.first { edit.crossfadeIns[e] = envelope }
        } else if onAir != nil {
            edit.currentCrossfadeOut = 0
        }
        // The pending voices the engine will pass over.
        let kept = Set(voices.values)
        let dropped = pendingIDs.compactMap { voiceOf[$0] }.filter { !kept.contains($0) }
            + upcoming.filter { excluded.contains($0) }.compactMap { voiceOf[$0] }
        // What the console will show once it is applied.
        let livePlan = mergedPlan(remapped, anchorFrames: 0)
        edit.expectedFirst = Int32(enginesFirstPending() ?? -1)
        let id = nextEditID
        nextEditID += 1
        edit.id = id
        inFlight = (id, livePlan, order, voices, newVoices, dropped, pendingDescription.joined(separator: "; "))
        pendingDescription.removeAll()
        if !engine.send(EngineCommand(.edit, value: id)) {
            inFlight = nil
            dirty = true
        }
    }

    /// The engine's first pending voice: in the order it plays, the first item with a voice that
    /// has not started. The control side's view, which the render thread checks.
    private func enginesFirstPending() -> Int? {
        for id in appliedOrder {
            if let voice = voiceOf[id], state(id) == .pending { return voice }
        }
        return nil
    }

    /// The running order's plan: what has aired as it was, what is to come as `fitted`.
    private func mergedPlan(_ fitted: Plan?, anchorFrames: Int64) -> Plan {
        var entries: [Plan.Entry] = []
        let previous = Dictionary(plan.entries.map { ($0.item.index, $0) }, uniquingKeysWith: { a, _ in a })
        let refitted = Dictionary((fitted?.entries ?? []).map { ($0.item.index, $0) }, uniquingKeysWith: { a, _ in a })
        for id in order {
            if let entry = refitted[id] {
                entries.append(entry)
            } else if var entry = previous[id] {
                if excluded.contains(id) || (isUpcoming(id) && refitted[id] == nil) { entry.dropped = true }
                entries.append(entry)
            }
        }
        var merged = plan
        merged.entries = entries
        let earlier = plan.posts.filter { post in !(fitted?.posts.contains { $0.index == post.index } ?? false) }
        merged.posts = earlier + (fitted?.posts ?? [])
        return merged
    }

}

extension Int64 {
    fileprivate func floorDividedBy(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
