import AudioIO
import Console
import Engine
import Foundation
import Production
import Support
import RegieModel
import Realtime
import Synchronization

/// The technician's console: reads keys (blocking at most one refresh interval, so a key is seen
/// the moment it arrives), turns them into engine commands, and draws the show from the tracker's
/// item states and the mixer's latest-value slots. Nothing here can block the render thread: it
/// only pushes to the command queue and reads what the render thread published.
final class LiveConsole {
    private let plan: Plan
    private let viewModel: ConsoleViewModel
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

    /// The running order as it stands (the console shows its plan and changes it).
    private let runningOrder: RunningOrder?

    init(plan: Plan, screen: any ConsoleScreen, player: LivePlayer, device: ALSAPlaybackDevice, recorder: LiveRecorder?,
         tracker: OnAirTracker, runningOrder: RunningOrder? = nil, wallClock: @escaping @Sendable () -> Int64) {
        self.runningOrder = runningOrder
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
        let (width, height) = screen.size
        screen.draw(viewModel.screen(for: snapshot(position: position), width: width, height: height))
    }

    /// Restores the terminal.
    func close() { screen.close() }

    private func handle(_ command: ConsoleCommand, pressedAt: Int64) -> Bool {
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
            if state.finishedAt >= 0 || (state.current < 0 && state.position == 0) { quit = true } else { quitPending = true }
        case .cancelQuit: quitPending = false
        case .confirmQuit: quit = true
        case .redraw: screen.invalidate()
        }
        return true
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
        let next: Int? = state.holding >= 0 ? Int(state.holding)
            : plan.entries.indices.first { index in
                index > (current ?? -1) && items[index].state == .pending
            }
        let live = current.flatMap { index in
            plan.entries[index].item.kind == .live ? tracker.items[index].actualStart.map { position - $0 } : nil
        }
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
            alarms.append(.init(.info, "ready: press space (GO) to start the show"))
        }
        if state.finishedAt >= 0 { alarms.append(.init(.info, "the show has ended: q to quit")) }
        let carts = plan.rundown.show.carts.enumerated().map { index, cart in
            let playing = state.cartsPlaying & (1 << UInt32(index)) != 0
            let length = index < player.cartFrames.count ? Int64(player.cartFrames[index]) : 0
            let remaining = playing ? max(0, length - (position - (tracker.cartFiredAt[index] ?? position))) : 0
            return ConsoleSnapshot.CartStatus(key: cart.key, title: cart.title, playing: playing, remainingFrames: remaining)
        }
        // Over or under: how long the show will have run when its last item ends, as things stand
        // (live items held past their plan push it), against the slot. Before GO: as planned.
        let overUnder = state.projectedEnd - origin - plan.slot
        return ConsoleSnapshot(
            wallClock: wallClock, utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds,
            position: position - origin, sampleRate: plan.sampleRate, items: items, currentIndex: current, nextIndex: next,
            liveElapsed: live, onAir: current != nil, paused: state.paused,
            closerStart: plan.backtimeIndex.map { plan.entries[$0].writtenStart }, overUnder: overUnder,
            meters: .init(peakLeft: reading.peakLeft, peakRight: reading.peakRight, shortTerm: reading.shortTerm,
                          momentary: reading.momentary),
            recorder: recorderStatus, xruns: device.xrunCount, latePrefetch: late, alarms: alarms,
            carts: carts, ducking: state.bedsDucked, quitPending: quitPending)
    }
}
