import AudioIO
import Console
import Engine
import Foundation
import Recorder
import RegieModel

/// The console during automation: reads the player's counters and latest-value slots (never
/// anything the render thread waits for), builds a snapshot and draws it; `q` then `y` stops.
final class LiveConsole {
    private let plan: Plan
    private let viewModel: ConsoleViewModel
    private let screen = TerminalScreen()
    private let player: LivePlayer
    private let device: ALSAPlaybackDevice
    private let recorder: LiveRecorder?
    private var quitPending = false
    private var lastDraw = DispatchTime(uptimeNanoseconds: 0)
    /// Set when the technician confirmed quitting (or a signal arrived).
    private(set) var quit = false

    init(plan: Plan, player: LivePlayer, device: ALSAPlaybackDevice, recorder: LiveRecorder?) {
        self.plan = plan
        self.player = player
        self.device = device
        self.recorder = recorder
        viewModel = ConsoleViewModel(plan: plan)
    }

    /// Called on the control thread with the frames played so far: redraws ten times a second
    /// and handles keys.
    func update(position: Int64) {
        if let key = screen.readKey(timeoutMilliseconds: 0),
           let command = ConsoleKey.command(for: key, quitPending: quitPending) {
            switch command {
            case .quitRequested: quitPending = true
            case .cancelQuit: quitPending = false
            case .confirmQuit: quit = true
            case .redraw: screen.invalidate()
            default: break   // GO, fade, carts… need the interactive engine (automation plays the plan)
            }
        }
        if screen.receivedSignal != 0 { quit = true }
        let now = DispatchTime.now()
        guard now.uptimeNanoseconds - lastDraw.uptimeNanoseconds >= 100_000_000 else { return }
        lastDraw = now
        let (width, height) = screen.size
        screen.draw(viewModel.screen(for: snapshot(position: position), width: width, height: height))
    }

    /// Restores the terminal.
    func close() { screen.close() }

    private func snapshot(position: Int64) -> ConsoleSnapshot {
        var items: [ConsoleSnapshot.ItemStatus] = []
        var current: Int?
        for entry in plan.entries {
            if entry.dropped { items.append(.init(state: .dropped)); continue }
            if entry.end <= position {
                items.append(.init(state: .done, actualStart: entry.start, actualLength: entry.length))
            } else if entry.start <= position {
                items.append(.init(state: .onAir, actualStart: entry.start))
                current = entry.item.index
            } else {
                items.append(.init(state: .pending))
            }
        }
        let next = plan.entries.first { !$0.dropped && $0.start > position }?.item.index
        let live = current.flatMap { index in plan.entries[index].item.kind == .live ? position - plan.entries[index].start : nil }
        let reading = player.mixer.meters.load()
        var recorderStatus: ConsoleSnapshot.RecorderStatus?
        if let recorder, let url = recorder.url {
            let status = recorder.status.load()
            recorderStatus = .init(path: url.path, bytes: status.bytesWritten, elapsedFrames: status.framesWritten,
                                   overruns: Int(status.overruns),
                                   error: status.state == .failed ? String(cString: strerror(status.errorCode)) : nil)
        }
        var alarms: [ConsoleSnapshot.Alarm] = []
        if let error = recorderStatus?.error { alarms.append(.init(.alarm, "recorder: \(error)")) }
        let late = player.mixer.lateFrames.load(ordering: .relaxed)
        if late > 0 { alarms.append(.init(.warning, "late prefetch: \(late) frames played as silence")) }
        return ConsoleSnapshot(
            wallClock: Int64(Date().timeIntervalSince1970 * 1_000_000_000), utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds,
            position: position, sampleRate: plan.sampleRate, items: items, currentIndex: current, nextIndex: next,
            liveElapsed: live, onAir: position < plan.total, paused: false,
            closerStart: plan.backtimeIndex.map { plan.entries[$0].start }, overUnder: plan.overUnder,
            meters: .init(peakLeft: reading.peakLeft, peakRight: reading.peakRight, shortTerm: reading.shortTerm,
                          momentary: reading.momentary),
            recorder: recorderStatus, xruns: device.xrunCount, latePrefetch: late, alarms: alarms,
            carts: plan.rundown.show.carts.map { .init(key: $0.key, title: $0.title) }, ducking: false,
            quitPending: quitPending)
    }
}
