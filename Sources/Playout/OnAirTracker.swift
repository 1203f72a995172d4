import Console
import Engine
import Foundation
import Production
import Support
import RegieModel
import Realtime
import Synchronization

/// The control thread's view of the show as it airs: drains the mixer's events into the as-run
/// log (stamped with the wall clock), keeps each item's state for the console, watches for
/// silence, late audio, device xruns and the recorders, and measures how long commands took to
/// reach the programme. Every alarm goes to the console, to `onAlarm` (standard error when
/// headless) and, when it has a kind, to the as-run log.
final class OnAirTracker {
    private let plan: Plan
    private let asRun: AsRunLogWriter?
    private let mixer: ProgrammeMixer
    /// Each rundown item's state (by rundown index).
    private(set) var items: [ConsoleSnapshot.ItemStatus]
    /// Programme frame each cart was last fired at (by cart index), while it plays.
    private(set) var cartFiredAt: [Int: Int64] = [:]
    /// Alarms raised so far (the console shows the latest ones).
    private(set) var alarms: [ConsoleSnapshot.Alarm] = []
    /// Key-to-programme delays of the commands that carried a request time, nanoseconds: from
    /// the key press until the render thread applied it at the start of a block.
    private(set) var commandDelays: [Int64] = []
    /// The kinds of alarm raised during the show (what keeps the episode from publishing itself).
    private(set) var alarmKinds: Set<AsRunAlarm> = []
    /// Called with every alarm as it is raised.
    var onAlarm: ((ConsoleSnapshot.Alarm.Severity, String) -> Void)?

    /// Seconds of programme silence (peak under `silenceThreshold`) before the alarm.
    static let silenceSeconds: Int64 = 10
    /// Peak level under which the programme counts as silent, dBFS.
    static let silenceThreshold: Float = -60
    private var silentSince: Int64?
    private var silenceAlarmRaised = false

    /// Programme frame where the show started (the first item's first frame), once it has.
    private(set) var showStart: Int64?
    /// Wall-clock time of that frame, nanoseconds since 1970.
    private(set) var showStartWall: Int64?
    private let onShowStart: (Int64) -> Void
    /// The wall clock, nanoseconds since 1970 (the as-run log's times).
    private let wallClock: () -> Int64

    /// `onShowStart` is called with the show's first frame before anything of it is logged (the
    /// recorders start there).
    init(plan: Plan, asRun: AsRunLogWriter?, mixer: ProgrammeMixer, wallClock: @escaping () -> Int64 = WallClock.nanoseconds,
         onShowStart: @escaping (Int64) -> Void = { _ in }) {
        self.plan = plan
        self.asRun = asRun
        self.mixer = mixer
        self.wallClock = wallClock
        self.onShowStart = onShowStart
        items = plan.entries.map { .init(state: $0.dropped ? .dropped : .pending) }
        catalogItems = plan.entries.map(\.item)
    }

    private func startShow(at position: Int64) {
        guard showStart == nil else { return }
        showStart = position
        showStartWall = wallClock(at: position)
        onShowStart(position)
        asRun?.log(stamped(AsRunEvent(.showStarted, position: position)))
        for entry in plan.entries where entry.dropped {
            asRun?.log(stamped(AsRunEvent(.itemDropped, position: position, item: Int32(entry.item.index))))
        }
    }

    /// Drains the events the render thread queued, and checks the programme for silence.
    func poll(position: Int64) {
        markPoll(position: position)
        while let event = mixer.events.pop() { handle(event) }
        watchSilence(position: position)
    }

    private var xrunsLogged = 0

    /// Raises an `xrun` alarm for each new output under- or overrun the device counted (the
    /// position is where the programme was when it was noticed, within one refresh).
    func noteXruns(_ count: Int, position: Int64) {
        while xrunsLogged < count {
            xrunsLogged += 1
            raise(.alarm, "output xrun \(xrunsLogged), recovered", logging: .xrun, position: position)
        }
    }

    private var lateFramesReported = 0

    /// Raises a `late_prefetch` alarm when more voice audio came too late (played as silence)
    /// since the last report.
    func noteLateFrames(_ frames: Int, position: Int64) {
        guard frames > lateFramesReported else { return }
        lateFramesReported = frames
        let seconds = String(format: "%.2f", Double(frames) / Double(max(1, plan.sampleRate)))
        raise(.alarm, "late audio played as silence: \(seconds) s so far (the disk or the CPU could not keep up)",
              logging: .latePrefetch, position: position)
    }

    private var recorderFailuresReported: Set<String> = []
    private var overrunsReported: [String: Int64] = [:]

    /// Raises an alarm when a recorder's file failed (the session's recorder has logged it in the
    /// as-run log at the frame it happened) or when the render thread found its ring full.
    func noteRecorders(_ recorders: [LiveRecorder], position: Int64) {
        for recorder in recorders {
            let name = recorder.source.name
            let status = recorder.status.load()
            if status.state == .failed && recorderFailuresReported.insert(name).inserted {
                alarmKinds.insert(.recorderDiskError)
                let reason = recorder.failure.map { "\($0)" } ?? String(cString: strerror(status.errorCode))
                raise(.alarm, "the \(name) recording stopped: \(reason); the air goes on")
            }
            let overruns = recorder.feed.overruns.load(ordering: .relaxed)
            if overruns > overrunsReported[name, default: 0] {
                overrunsReported[name] = overruns
                let lost = Double(recorder.feed.overrunFrames.load(ordering: .relaxed)) / Double(max(1, plan.sampleRate))
                raise(.alarm, "the \(name) recorder fell behind: \(String(format: "%.2f", lost)) s of audio dropped so far",
                      logging: .recorderOverrun, position: position)
            }
        }
    }

    /// Logs the end of the show (or where it was stopped).
    func finish(at position: Int64) {
        markPoll(position: position)
        while let event = mixer.events.pop() { handle(event) }
        startShow(at: position)   // a show stopped before its first GO still gets its log
        asRun?.log(stamped(AsRunEvent(.showEnded, position: position)))
    }

    /// Raises an alarm on the console and through `onAlarm` (and in the as-run log when it has a
    /// kind there).
    func raise(_ severity: ConsoleSnapshot.Alarm.Severity, _ text: String, logging alarm: AsRunAlarm? = nil, position: Int64 = 0) {
        alarms.append(.init(severity, text))
        if alarms.count > 20 { alarms.removeFirst(alarms.count - 20) }
        if let alarm {
            alarmKinds.insert(alarm)
            asRun?.log(stamped(.alarm(alarm, position: position)), message: text)
        }
        onAlarm?(severity, text)
    }

    /// When the last poll ran and how far the output had got then: events are stamped with the
    /// wall-clock time their frame went out, however long ago the poll before was.
    private var pollWall: Int64 = 0
    private var pollPosition: Int64 = 0

    private func markPoll(position: Int64) {
        pollWall = wallClock()
        pollPosition = position
    }

    /// The wall-clock time at which programme frame `position` was handed to the device (events
    /// are only handled by `poll` and `finish`, which mark the poll first).
    private func wallClock(at position: Int64) -> Int64 {
        let behind = max(0, pollPosition - position)
        return pollWall - behind * 1_000_000_000 / Int64(max(1, plan.sampleRate))
    }

    private func handle(_ event: MixerEvent) {
        let item = Int(event.item)
        let now = wallClock(at: event.position)
        if event.requestedAt > 0 && event.appliedAt >= event.requestedAt {
            commandDelays.append(event.appliedAt - event.requestedAt)
        }
        switch event.kind {
        case .itemStarted:
            guard item >= 0 && item < items.count else { return }
            startShow(at: event.position)
            items[item] = .init(state: .onAir, actualStart: event.position, startedAt: now)
            asRun?.log(AsRunEvent(.itemStarted, position: event.position, item: event.item, wallNanoseconds: now))
            if item < catalogItems.count { onItemStarted?(catalogItems[item]) }
        case .itemEnded:
            guard item >= 0 && item < items.count else { return }
            if items[item].state != .skipped { items[item].state = .done }
            if let start = items[item].actualStart { items[item].actualLength = event.position - start }
            asRun?.log(AsRunEvent(.itemEnded, position: event.position, item: event.item, wallNanoseconds: now))
        case .itemSkipped:
            guard item >= 0 && item < items.count else { return }
            if items[item].state == .pending { onItemGone?(item) }
            items[item].state = .skipped
            if let start = items[item].actualStart { items[item].actualLength = event.position - start }
            asRun?.log(AsRunEvent(.itemSkipped, position: event.position, item: event.item, wallNanoseconds: now))
        case .itemFaded:
            asRun?.log(AsRunEvent(.itemFaded, position: event.position, item: event.item, detail: event.detail,
                                  wallNanoseconds: now))
        case .cartFired:
            cartFiredAt[Int(event.cart)] = event.position
            let delay = event.requestedPosition >= 0 ? event.position - event.requestedPosition : -1
            asRun?.log(AsRunEvent(.cartFired, position: event.position, cart: event.cart, detail: delay, wallNanoseconds: now))
        case .cartStopped:
            cartFiredAt[Int(event.cart)] = nil
            asRun?.log(AsRunEvent(.cartStopped, position: event.position, cart: event.cart, wallNanoseconds: now))
        case .paused:
            asRun?.log(AsRunEvent(.paused, position: event.position, wallNanoseconds: now))
        case .resumed:
            asRun?.log(AsRunEvent(.resumed, position: event.position, wallNanoseconds: now))
        case .holding:
            break
        case .itemDropped:
            guard item >= 0 && item < items.count else { return }
            items[item].state = .dropped
            onItemGone?(item)
            asRun?.log(AsRunEvent(.itemDropped, position: event.position, item: event.item, wallNanoseconds: now),
                       message: "not aired: the post after it came first")
        case .postForced:
            asRun?.log(AsRunEvent(.postStarted, position: event.position, item: event.item, detail: event.detail,
                                  wallNanoseconds: now))
        case .postMadeNext:
            asRun?.log(AsRunEvent(.postMadeNext, position: event.position, item: event.item, wallNanoseconds: now))
        case .bedFaded:
            asRun?.log(AsRunEvent(.bedFaded, position: event.position, item: event.item, wallNanoseconds: now))
        case .editApplied, .editRejected:
            onEditAnswer?(event.detail, event.kind == .editApplied, event.position)
        }
    }

    /// Called when the render thread answers a running-order change: its id, whether it was
    /// applied, and the programme frame.
    var onEditAnswer: ((Int64, Bool, Int64) -> Void)?
    /// Called when an item will not air after all (skipped while waiting, dropped at a post).
    var onItemGone: ((Int) -> Void)?
    /// An item started on air (the stream's title follows it).
    var onItemStarted: ((Item) -> Void)?

    /// A change of the running order took effect: in the as-run log, and said on the console.
    func noteRunningOrderChange(_ text: String, position: Int64) {
        asRun?.log(stamped(AsRunEvent(.runningOrderChanged, position: position)), message: text)
        raise(.info, "running order: \(text)")
    }

    /// An item inserted on air: its id is the next one.
    func addItem(_ item: Item) {
        items.append(.init(state: .pending))
        catalogItems.append(item)
        asRun?.addItem(AsRunCatalog.Item(item, show: plan.rundown.show))
    }

    /// Every item by id: the rundown's, then those inserted on air.
    private(set) var catalogItems: [Item] = []

    /// Silence on the programme for more than ten seconds while something should sound (an
    /// audio item or a bed; not a bare live item, a pause or the wait for GO) raises an alarm once.
    private func watchSilence(position: Int64) {
        let state = mixer.state.load()
        let meters = mixer.meters.load()
        let rate = Int64(plan.sampleRate)
        let current = Int(state.current)
        let shouldSound = !state.paused && state.holding < 0 && current >= 0 && current < catalogItems.count
            && (catalogItems[current].kind != .live || catalogItems[current].bed != nil)
        let silent = max(meters.peakLeft, meters.peakRight) < Self.silenceThreshold
        guard shouldSound && silent else {
            silentSince = nil
            silenceAlarmRaised = false
            return
        }
        let since = silentSince ?? position
        silentSince = since
        if !silenceAlarmRaised && position - since > Self.silenceSeconds * rate {
            silenceAlarmRaised = true
            raise(.alarm, "silence on the programme for more than \(Self.silenceSeconds) s", logging: .silence, position: position)
        }
    }

    private func stamped(_ event: AsRunEvent) -> AsRunEvent {
        var event = event
        event.wallNanoseconds = wallClock()
        return event
    }
}
