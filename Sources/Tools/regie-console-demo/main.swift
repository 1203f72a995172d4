// regie-console-demo RUNDOWN [--air-clock]
//
// The live console on a simulated show: no audio, the programme position advances with the
// monotonic clock. Audio items follow each other as in automation, a live item lasts until GO,
// carts count down, the recorder line grows at 128 kb/s. For trying the screen, and for the tmux
// test of the console. `--air-clock` starts the wall clock at the rundown's air time.
import AudioIO
import Console
import Foundation
import RegieModel
import RegieYAML

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

func nowNanoseconds(_ clock: clockid_t) -> Int64 {
    var time = timespec()
    clock_gettime(clock, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

func probe(_ path: String) throws -> AudioSourceInfo {
    let info = try AudioFile.probe(path: path)
    return AudioSourceInfo(frames: info.frames, sampleRate: info.sampleRate, channels: info.channels, format: info.formatDescription)
}

/// Reads, probes and plans the rundown, or says why not.
func loadPlan(_ path: String) -> Plan {
    let (read, diagnostics) = RundownReader.read(path: path)
    guard let rundown = read else { fail(diagnostics.map(\.description).joined(separator: "\n")) }
    var audio: [String: AudioSourceInfo] = [:]
    for file in rundown.items.compactMap(\.audioPath) + rundown.items.compactMap(\.bed) where audio[file] == nil {
        do { audio[file] = try probe(file) } catch { fail("\(error)") }
    }
    let result = Planner.plan(rundown, audio: audio)
    guard let plan = result.plan else { fail(result.diagnostics.map(\.description).joined(separator: "\n")) }
    return plan
}

/// The show as the demo pretends it airs.
final class Simulation {
    let plan: Plan
    var snapshot: ConsoleSnapshot
    var cartLengths: [String: Int64] = [:]
    var fadeEnd: Int64?
    var frameRemainder: Int64 = 0
    var silentSince: Int64?
    var quit = false
    let recorderPath: String

    init(plan: Plan, wallClock: Int64) {
        self.plan = plan
        snapshot = .standby(plan: plan, wallClock: wallClock, utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds)
        for cart in plan.rundown.show.carts {
            let info = try? probe(cart.jingle)
            cartLengths[cart.key] = info.map { FrameMath.convert($0.frames, from: $0.sampleRate, to: plan.sampleRate) }
                ?? Int64(plan.sampleRate) * 5
        }
        let date = plan.rundown.air.localDate
        recorderPath = "recordings/\(plan.rundown.show.slug)/\(date.year)-\(date.month < 10 ? "0" : "")\(date.month)-\(date.day < 10 ? "0" : "")\(date.day)/\(plan.rundown.episode).mp3"
        snapshot.overUnder = projectedOverUnder()
    }

    var rate: Int64 { Int64(plan.sampleRate) }

    /// Advances the simulated programme by `nanoseconds` of real time.
    func advance(nanoseconds: Int64, wallClock: Int64) {
        snapshot.wallClock = wallClock
        let scaled = nanoseconds * rate + frameRemainder
        let frames = scaled / 1_000_000_000
        frameRemainder = scaled % 1_000_000_000
        for index in snapshot.carts.indices where snapshot.carts[index].playing {
            snapshot.carts[index].remainingFrames -= frames
            if snapshot.carts[index].remainingFrames <= 0 {
                snapshot.carts[index].playing = false
                snapshot.carts[index].remainingFrames = 0
            }
        }
        guard snapshot.onAir, !snapshot.paused else { updateMeters(); return }
        snapshot.position += frames
        if var recorder = snapshot.recorder {
            recorder.elapsedFrames += frames
            recorder.bytes = recorder.elapsedFrames * 16000 / rate
            snapshot.recorder = recorder
        }
        if let current = snapshot.currentIndex, let began = snapshot.items[current].actualStart {
            let entry = plan.entries[current]
            if entry.item.kind == .live { snapshot.itemElapsed = snapshot.position - began }
            let end = fadeEnd ?? (entry.item.kind == .live ? Int64.max : began + entry.length)
            if snapshot.position >= end {
                let faded = fadeEnd != nil
                finishCurrent(at: end)
                if !faded, let next = snapshot.nextIndex { start(next, at: end) }
            }
        }
        if snapshot.currentIndex == nil {
            if silentSince == nil { silentSince = snapshot.position }
            if let since = silentSince, snapshot.position - since > 10 * rate,
               !snapshot.alarms.contains(where: { $0.text.hasPrefix("Silence") }) {
                snapshot.alarms.append(.init(.alarm, "Silence on the programme for more than 10 s"))
            }
        } else {
            silentSince = nil
            snapshot.alarms.removeAll { $0.text.hasPrefix("Silence") }
        }
        if snapshot.currentIndex == nil && snapshot.nextIndex == nil { snapshot.onAir = false }
        snapshot.overUnder = projectedOverUnder()
        updateMeters()
    }

    func updateMeters() {
        let playing = snapshot.currentIndex != nil && !snapshot.paused || snapshot.carts.contains(where: \.playing)
        guard playing else { snapshot.meters = .init(); return }
        let t = Double(snapshot.wallClock % 60_000_000_000) / 1e9
        snapshot.meters = .init(peakLeft: Float(-10 + 6 * sin(t * 2.1)), peakRight: Float(-11 + 6 * sin(t * 1.7)),
                                shortTerm: Float(-17 + 2 * sin(t / 3)), momentary: Float(-16 + 4 * sin(t)))
    }

    /// Projected end of everything still to air, minus the hard end (or the closer's slot).
    func projectedOverUnder() -> Int64 {
        var cursor = snapshot.position
        if let current = snapshot.currentIndex, let start = snapshot.items[current].actualStart {
            let end = fadeEnd ?? start + plan.entries[current].length
            cursor = max(cursor, end)
        }
        let backtime = plan.backtimeIndex
        for (index, entry) in plan.entries.enumerated() where snapshot.items[index].state == .pending && index != backtime {
            cursor += entry.length - (cursor == 0 ? 0 : entry.overlap)
        }
        if let backtime, snapshot.items[backtime].state == .pending {
            let entry = plan.entries[backtime]
            return cursor - (entry.writtenStart + entry.writtenOverlap)
        }
        return cursor - plan.slot
    }

    func nextPending(after index: Int) -> Int? {
        ((index + 1)..<plan.entries.count).first { snapshot.items[$0].state == .pending }
    }

    func start(_ index: Int, at position: Int64) {
        snapshot.items[index] = .init(state: .onAir, actualStart: position, startedAt: snapshot.wallClock)
        snapshot.currentIndex = index
        snapshot.nextIndex = nextPending(after: index)
        snapshot.itemElapsed = plan.entries[index].item.kind == .live ? 0 : nil
        fadeEnd = nil
        if !snapshot.onAir {
            snapshot.onAir = true
            if snapshot.recorder == nil { snapshot.recorder = .init(path: recorderPath) }
        }
    }

    func finishCurrent(at position: Int64) {
        guard let current = snapshot.currentIndex else { return }
        let start = snapshot.items[current].actualStart ?? position
        snapshot.items[current].state = .done
        snapshot.items[current].actualLength = position - start
        snapshot.currentIndex = nil
        snapshot.itemElapsed = nil
        fadeEnd = nil
    }

    func handle(_ command: ConsoleCommand) {
        switch command {
        case .go:
            finishCurrent(at: snapshot.position)
            if let next = snapshot.nextIndex { start(next, at: snapshot.position) }
        case .fade:
            if let current = snapshot.currentIndex {
                let fade = plan.entries[current].fadeOut
                fadeEnd = snapshot.position + (fade > 0 ? fade : 2 * rate)
            }
        case .pauseResume:
            if snapshot.onAir { snapshot.paused.toggle() }
        case .skip:
            if let next = snapshot.nextIndex {
                snapshot.items[next].state = .skipped
                snapshot.nextIndex = nextPending(after: next)
                snapshot.alarms.append(.init(.info, "Skipped \(next + 1) \(plan.entries[next].item.displayTitle)"))
            }
        case .cart(let key):
            guard let index = snapshot.carts.firstIndex(where: { $0.key == key }) else { return }
            if snapshot.carts[index].playing {
                snapshot.carts[index].playing = false
                snapshot.carts[index].remainingFrames = 0
            } else {
                snapshot.carts[index].playing = true
                snapshot.carts[index].remainingFrames = cartLengths[key] ?? 5 * rate
            }
        case .toggleDuck:
            snapshot.ducking.toggle()
        case .quitRequested:
            if snapshot.onAir { snapshot.quitPending = true } else { quit = true }
        case .confirmQuit:
            quit = true
        case .cancelQuit:
            snapshot.quitPending = false
        case .redraw:
            break
        case .selectUp, .selectDown, .moveUp, .moveDown, .toggleDrop, .makeNext, .insert, .choose, .reload, .fadeBeds,
             .toggleCartWall:
            break   // the demo shows the console, not the running order's editing
        }
        snapshot.overUnder = projectedOverUnder()
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
let airClock = arguments.contains("--air-clock")
arguments.removeAll { $0 == "--air-clock" }
guard arguments.count == 1 else { fail("usage: regie-console-demo RUNDOWN [--air-clock]") }
let plan = loadPlan(arguments[0])

let startMonotonic = nowNanoseconds(CLOCK_MONOTONIC)
func wallClock() -> Int64 {
    airClock ? plan.rundown.air.epochSeconds * 1_000_000_000 + (nowNanoseconds(CLOCK_MONOTONIC) - startMonotonic)
        : nowNanoseconds(CLOCK_REALTIME)
}

let simulation = Simulation(plan: plan, wallClock: wallClock())
let viewModel = ConsoleViewModel(plan: plan)
let screen = TerminalScreen()
var last = nowNanoseconds(CLOCK_MONOTONIC)
var signal: Int32 = 0
while !simulation.quit {
    let (width, height) = screen.size
    screen.draw(viewModel.screen(for: simulation.snapshot, width: width, height: height))
    let key = screen.readKey(timeoutMilliseconds: 100)
    signal = screen.receivedSignal
    if signal != 0 { break }
    let now = nowNanoseconds(CLOCK_MONOTONIC)
    simulation.advance(nanoseconds: now - last, wallClock: wallClock())
    last = now
    if let key, let command = ConsoleKey.command(for: key, quitPending: simulation.snapshot.quitPending) {
        if command == .redraw { screen.invalidate() }
        simulation.handle(command)
    }
}
screen.close()
if signal != 0 {
    print("regie-console-demo: stopped by signal \(signal)")
    exit(128 + signal)
}
print("regie-console-demo: quit cleanly")
