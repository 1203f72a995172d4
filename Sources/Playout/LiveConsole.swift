import AudioIO
import Console
import Engine
import Foundation
import Production
import Support
import RegieModel
import Realtime
import Stream
import Synchronization

/// The technician's console: reads keys (blocking at most one refresh interval, so a key is seen
/// the moment it arrives), turns them into engine commands, and draws the show from the tracker's
/// item states and the mixer's latest-value slots. Nothing here can block the render thread: it
/// only pushes to the command queue and reads what the render thread published.
final class LiveConsole {
    private let plan: Plan
    private var viewModel: ConsoleViewModel
    private let screen: any ConsoleScreen
    private let player: LivePlayer
    private let device: ALSAPlaybackDevice
    private let recorder: LiveRecorder?
    private let tracker: OnAirTracker
    private let cartKeys: [String: Int32]
    private var quitPending = false
    private var lastDraw: Int64 = 0
    /// The wall clock (nanoseconds since 1970): the station's time on the screen and the hour on air.
    private let wallClock: @Sendable () -> Int64
    /// Set when the technician confirmed quitting (or a signal arrived).
    private(set) var quit = false
    /// Automation waiting for its air time (wall ns): only space (start now) and q count.
    var waitingForAir: Int64?
    /// Set when the technician pressed space while automation waited for its air time.
    private(set) var startNow = false

    /// The running order as it stands (the console shows its plan and changes it).
    private let runningOrder: RunningOrder?
    /// The posts on the station's clock (the console counts down to the next one).
    private let posts: PostKeeper?
    /// The item (id) the edit keys act on: one still to come.
    private var selected: Int?
    /// The insert list while it is open: what each choice inserts.
    private var picker: (view: ConsoleSnapshot.Picker, items: [Item])?
    private var showsCartWall = false
    /// The rundown file, watched for the producer's changes.
    private var rundownWatch: RundownWatch?
    /// The listeners' stream, when the show streams.
    var stream: LiveStream?

    init(plan: Plan, screen: any ConsoleScreen, player: LivePlayer, device: ALSAPlaybackDevice, recorder: LiveRecorder?,
         tracker: OnAirTracker, runningOrder: RunningOrder? = nil, posts: PostKeeper? = nil,
         wallClock: @escaping @Sendable () -> Int64) {
        self.runningOrder = runningOrder
        self.posts = posts
        if runningOrder != nil { rundownWatch = RundownWatch(plan: plan) }
        self.plan = plan
        self.screen = screen
        self.wallClock = wallClock
        self.player = player
        self.device = device
        self.recorder = recorder
        self.tracker = tracker
        viewModel = ConsoleViewModel(plan: plan)
        var keys: [String: Int32] = [:]
        for (index, cart) in plan.rundown.show.carts.enumerated() { keys[cart.key] = Int32(index) }
        cartKeys = keys
    }

    /// Called on the control thread over and over: waits up to 20 ms for a key, acts on it, and
    /// redraws ten times a second (at once after a key).
    func update(position: Int64) {
        var acted = false
        if let key = screen.readKey(timeoutMilliseconds: 20) {
            let pressedAt = MonotonicClock.nanoseconds()
            if let command = ConsoleKey.command(for: key, quitPending: quitPending) {
                acted = handle(command, pressedAt: pressedAt)
            }
        }
        if screen.receivedSignal != 0 { quit = true }
        let now = MonotonicClock.nanoseconds()
        guard acted || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        if let runningOrder { viewModel.plan = runningOrder.plan }
        if let watch = rundownWatch, let runningOrder { watch.poll(aired: Set(tracker.items.indices.filter { tracker.items[$0].state != .pending && tracker.items[$0].state != .dropped }), order: runningOrder) }
        let (width, height) = screen.size
        screen.draw(viewModel.screen(for: snapshot(position: position), width: width, height: height))
    }

    /// Restores the terminal.
    func close() { screen.close() }

    /// The show's last screen, kept while what follows the air is done (set by `beginAfterAir`).
    private var lastScreen: ConsoleSnapshot?

    /// Takes the show's last screen, at its last frame: after this the console reads nothing of
    /// the show (the after-air thread finishes it), only the steps it is given.
    func beginAfterAir(position: Int64) {
        var last = snapshot(position: position)
        last.alarms.removeAll { $0.text == Self.endedHint }
        last.quitPending = false
        lastScreen = last
    }

    /// Until `isDone`: the last screen with the after-air steps under it, the clock running,
    /// redrawn ten times a second; q (or a signal) calls `onQuit` once (the web host's mirror is
    /// left pending rather than waited for).
    func showAfterAir(steps: () -> [ConsoleSnapshot.Alarm], isDone: () -> Bool, onQuit: () -> Void) {
        guard var shown = lastScreen else { return }
        var quitSent = false
        while !isDone() {
            let key = screen.readKey(timeoutMilliseconds: 100)
            if !quitSent && (key == Int32(UInt8(ascii: "q")) || key == Int32(UInt8(ascii: "Q")) || screen.receivedSignal != 0) {
                quitSent = true
                onQuit()
            }
            shown.wallClock = wallClock()
            shown.afterAir = steps()
            let (width, height) = screen.size
            screen.draw(viewModel.screen(for: shown, width: width, height: height))
        }
    }

    private func handle(_ command: ConsoleCommand, pressedAt: Int64) -> Bool {
        if waitingForAir != nil {
            switch command {
            case .go: startNow = true
            case .quitRequested, .confirmQuit: quit = true
            case .redraw: screen.invalidate()
            case .toggleCartWall: showsCartWall.toggle()
            default: tracker.raise(.info, "the show has not started: space starts it now, q quits")
            }
            return true
        }
        // The insert list takes the keys while it is open.
        if let open = picker {
            switch command {
            case .selectUp: picker?.view.selected = max(0, open.view.selected - 1)
            case .selectDown: picker?.view.selected = min(open.items.count - 1, open.view.selected + 1)
            case .choose:
                picker = nil
                insert(open.items[open.view.selected])
            case .fade, .insert, .quitRequested: picker = nil
            case .redraw: screen.invalidate()
            default: break
            }
            return true
        }
        let keyPosition = player.mixer.state.load().position
        func send(_ kind: EngineCommand.Kind, _ argument: Int32 = -1) {
            if !player.send(EngineCommand(kind, argument: argument, requestedAt: pressedAt, requestedPosition: keyPosition)) {
                tracker.raise(.warning, "command queue full: key ignored")
            }
        }
        switch command {
        case .go: send(.go)
        case .fade: send(.fade)
        case .skip: send(.skip)
        case .pauseResume: send(.pauseResume)
        case .toggleDuck: send(.toggleDuck)
        case .cart(let key):
            if let index = cartKeys[key] { send(.cart, index) } else { tracker.raise(.info, "no cart on key \(key)") }
        case .quitRequested:
            // Before the show starts or after it ended there is nothing to interrupt.
            let state = player.mixer.state.load()
            if state.finishedAt >= 0 || tracker.showStart == nil { quit = true } else { quitPending = true }
        case .cancelQuit: quitPending = false
        case .confirmQuit: quit = true
        case .redraw: screen.invalidate()
        case .fadeBeds: send(.fadeBeds)
        case .toggleCartWall: showsCartWall.toggle()
        case .selectUp, .selectDown:
            guard let runningOrder else { break }
            let upcoming = runningOrder.upcoming
            guard !upcoming.isEmpty else { selected = nil; break }
            let at = selected.flatMap { upcoming.firstIndex(of: $0) }
            let up = command == .selectUp
            let target = at.map { up ? $0 - 1 : $0 + 1 } ?? (up ? upcoming.count - 1 : 0)
            selected = target < 0 || target >= upcoming.count ? nil : upcoming[target]
        case .moveUp, .moveDown:
            guard let id = selected else { tracker.raise(.info, "select an item with ↑ ↓ first"); break }
            change(.move(id: id, by: command == .moveUp ? -1 : 1))
        case .toggleDrop:
            guard let id = selected else { tracker.raise(.info, "select an item with ↑ ↓ first"); break }
            change(.toggleDrop(id: id))
        case .makeNext:
            guard let id = selected else { tracker.raise(.info, "select an item with ↑ ↓ first"); break }
            change(.makeNext(id: id))
        case .insert:
            guard runningOrder != nil else { break }
            let choices = InsertChoices.list(show: plan.rundown.show)
            picker = (ConsoleSnapshot.Picker(title: "Insert after the item on air", choices: choices.map(\.label)), choices.map(\.item))
        case .choose: break
        case .reload:
            guard let runningOrder, let watch = rundownWatch else { break }
            switch watch.state {
            case .unchanged: tracker.raise(.info, "the rundown file has not changed")
            case .refused(let why): tracker.raise(.warning, "the rundown file does not check: \(why); the air goes on unchanged")
            case .changed(let items, _):
                // The tracker numbers items as the running order does: new ones in the same order.
                do {
                    try runningOrder.make(.replacePending(items))
                    for item in items { tracker.addItem(item) }
                    watch.applied()
                } catch {
                    tracker.raise(.warning, "\(error.description)")
                }
            }
        }
        return true
    }

    /// Asks the running order for `change`; a refusal is said on the console.
    private func change(_ change: RunningOrder.Change) {
        guard let runningOrder else { return }
        do { try runningOrder.make(change) } catch { tracker.raise(.warning, "\(error.description)") }
    }

    /// Inserts `item` after the item on air (the tracker first: it numbers the items).
    private func insert(_ item: Item) {
        guard let runningOrder else { return }
        var item = item
        item.index = runningOrder.items.count
        do {
            try runningOrder.make(.insert(item))
            tracker.addItem(item)
        } catch {
            tracker.raise(.warning, "\(error.description)")
        }
    }

    /// The programme frame at the top of the slot. On the air date (from an hour before air to an
    /// hour after the hard end) it is the rundown's `air` time on the wall clock, so the hard end
    /// and over/under are the station's; at any other time (a rehearsal) the slot starts with the
    /// first item (before GO: as if GO were pressed now).
    private func slotOrigin(position: Int64, wallNanoseconds: Int64) -> Int64 {
        let air = plan.rundown.air.epochSeconds * 1_000_000_000
        let rate = Int64(plan.sampleRate)
        let slotNanoseconds = plan.slot * 1_000_000_000 / rate
        if wallNanoseconds > air - 3_600_000_000_000 && wallNanoseconds < air + slotNanoseconds + 3_600_000_000_000 {
            return position - (wallNanoseconds - air) * rate / 1_000_000_000
        }
        return tracker.showStart ?? position
    }

    static let endedHint = "the show has ended: q to quit"

    private func snapshot(position: Int64) -> ConsoleSnapshot {
        let state = player.mixer.state.load()
        let wallClock = self.wallClock()
        // The snapshot counts frames from the top of the slot.
        let origin = slotOrigin(position: position, wallNanoseconds: wallClock)
        let items = tracker.items.map { status in
            var status = status
            status.actualStart = status.actualStart.map { $0 - origin }
            return status
        }
        let current = state.current >= 0 ? Int(state.current) : nil
        let shown = viewModel.plan
        let next: Int? = state.holding >= 0 ? Int(state.holding)
            : runningOrder.map { order in order.upcoming.first { !order.excluded.contains($0) } }
            ?? shown.entries.map(\.item.index).first { id in
                id > (current ?? -1) && id < items.count && items[id].state == .pending
            }
        // What the item on air has played: from its start as the engine has it, which a pause
        // moves on (the tracker's actual start does not).
        let played: Int64? = current != nil && state.currentStart >= 0 ? max(0, state.position - state.currentStart) : nil
        let reading = player.mixer.meters.load()
        var recorderStatus: ConsoleSnapshot.RecorderStatus?
        if let recorder, let url = recorder.url {
            let status = recorder.status.load()
            recorderStatus = .init(path: url.path, bytes: status.bytesWritten, elapsedFrames: status.framesWritten,
                                   overruns: Int(status.overruns),
                                   error: status.state == .failed ? String(cString: strerror(status.errorCode)) : nil)
        }
        var alarms = tracker.alarms
        if let error = recorderStatus?.error { alarms.append(.init(.alarm, "recorder: \(error)")) }
        let late = player.mixer.lateFrames.load(ordering: .relaxed)
        if late > 0 { alarms.append(.init(.warning, "late prefetch: \(late) frames played as silence")) }
        if state.holding >= 0 && state.position > 0 {
            alarms.append(.init(.info, "waiting for GO (space) to start item \(state.holding + 1)"))
        } else if state.position == 0 || (current == nil && state.finishedAt < 0 && tracker.items.allSatisfy { $0.state == .pending || $0.state == .dropped }) {
            if let air = waitingForAir {
                alarms.append(.init(.info, "automation starts the show at \(plan.rundown.air.clock(after: 0, sampleRate: 1000)) by itself (in \(FrameMath.format(frames: max(0, air - wallClock) / 1_000_000, sampleRate: 1000))): space starts it now"))
            } else {
                alarms.append(.init(.info, "ready: press space (GO) to start the show"))
            }
        }
        if state.finishedAt >= 0 { alarms.append(.init(.info, Self.endedHint)) }
        // Past the hard end with the show still on: the next programme is due.
        let slotStartWall = posts?.slotStartWall ?? plan.rundown.air.epochSeconds * 1_000_000_000
        let hardEnd = slotStartWall + FrameMath.nanoseconds(plan.slot, sampleRate: plan.sampleRate)
        if tracker.showStart != nil, state.finishedAt < 0, wallClock > hardEnd {
            let over = FrameMath.format(frames: (wallClock - hardEnd) * Int64(plan.sampleRate) / 1_000_000_000, sampleRate: plan.sampleRate)
            alarms.append(.init(.alarm, "past the hard end by \(over)"))
        }
        if let watch = rundownWatch {
            switch watch.state {
            case .changed(_, let summary): alarms.append(.init(.warning, "rundown file changed: \(summary); r applies it"))
            case .refused(let why): alarms.append(.init(.warning, "rundown file changed but does not check: \(why)"))
            case .unchanged: break
            }
        }
        let carts = plan.rundown.show.carts.enumerated().map { index, cart in
            let playing = state.cartsPlaying & (1 << UInt32(index)) != 0
            let length = index < player.cartFrames.count ? Int64(player.cartFrames[index]) : 0
            let remaining = playing ? max(0, length - (position - (tracker.cartFiredAt[index] ?? position))) : 0
            return ConsoleSnapshot.CartStatus(key: cart.key, title: cart.title, playing: playing, remainingFrames: remaining)
        }
        // Over or under, as things stand (live items held past their plan push it; a wait for GO
        // counts as if GO came now): where what comes before the next hard post ends against the
        // post (a hard post cuts the over; the under is dead air before it), else where the last
        // item ends against the slot.
        let overUnder = state.nextPostFrame >= 0 && !state.nextPostIsSoft && state.endBeforeNextPost >= 0
            ? state.endBeforeNextPost - state.nextPostFrame
            : state.projectedEnd - origin - plan.slot
        var snapshot = ConsoleSnapshot(
            wallClock: wallClock, utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds,
            position: position - origin, sampleRate: plan.sampleRate, items: items, currentIndex: current, nextIndex: next,
            itemElapsed: played, onAir: current != nil, paused: state.paused,
            closerStart: plan.backtimeIndex.map { plan.entries[$0].writtenStart }, overUnder: overUnder,
            meters: .init(peakLeft: reading.peakLeft, peakRight: reading.peakRight, shortTerm: reading.shortTerm,
                          momentary: reading.momentary),
            recorder: recorderStatus, xruns: device.xrunCount, latePrefetch: late, alarms: alarms,
            carts: carts, ducking: state.bedsDucked, quitPending: quitPending)
        snapshot.nextPost = nextPost(slotStartWall: slotStartWall)
        if let selected, runningOrder?.upcoming.contains(selected) == true { snapshot.selectedID = selected } else { self.selected = nil }
        snapshot.picker = picker?.view
        if let mounts = stream?.status, !mounts.isEmpty {
            let listeners = mounts.compactMap(\.listeners)
            snapshot.stream = .init(mounts: mounts.count, connected: mounts.filter { $0.state == .connected }.count,
                                    listeners: listeners.isEmpty ? nil : listeners.reduce(0, +),
                                    bytesSent: mounts.map(\.bytesSent).reduce(0, +), reconnects: mounts.map(\.reconnects).reduce(0, +))
        }
        snapshot.showsCartWall = showsCartWall
        return snapshot
    }

    /// The first post still to come (an item with a time of day, or the back-timed closer) on the
    /// wall clock.
    private func nextPost(slotStartWall: Int64) -> ConsoleSnapshot.Post? {
        guard let runningOrder else { return nil }
        let rate = Int64(plan.sampleRate)
        for id in runningOrder.upcoming where !runningOrder.excluded.contains(id) {
            let item = runningOrder.items[id]
            if let at = item.at {
                return .init(id: id, wall: slotStartWall + FrameMath.nanoseconds(at.seconds(after: plan.rundown.air) * rate, sampleRate: plan.sampleRate),
                             soft: item.post == .soft)
            }
            if item.backtime, let entry = runningOrder.plan.entries.first(where: { $0.item.index == id }) {
                return .init(id: id, wall: slotStartWall + FrameMath.nanoseconds(plan.slot - entry.writtenLength, sampleRate: plan.sampleRate), soft: false)
            }
        }
        return nil
    }
}
