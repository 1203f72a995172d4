// The producer edits the rundown file during the show: the console notices, shows what differs in
// what is still to come, and applies it on the technician's key (never by itself). A file that no
// longer checks is refused with its first error; the air goes on unchanged.
import Foundation
import Production
import RegieModel

/// Watches the rundown file of a show on air.
///
/// Threading: the control thread (the console's), which polls it at most twice a second.
final class RundownWatch {
    enum State: Equatable {
        /// As when the show started (or the last change applied).
        case unchanged
        /// Checks: the items the file now has after the last one aired, and a one-line summary.
        case changed([Item], summary: String)
        /// Does not check: why (the first error, located).
        case refused(String)

        static func == (a: State, b: State) -> Bool {
            switch (a, b) {
            case (.unchanged, .unchanged): true
            case let (.changed(x, s), .changed(y, t)): s == t && x.count == y.count
            case let (.refused(x), .refused(y)): x == y
            default: false
            }
        }
    }

    private let path: String
    private let rundownItems: Int
    private var lastStamp: (seconds: Int, nanoseconds: Int, size: Int64)?
    private var lastPoll: Int64 = 0
    private(set) var state: State = .unchanged

    init(plan: Plan) {
        path = plan.rundown.file
        rundownItems = plan.entries.count
        lastStamp = Self.stamp(path)
    }

    private static func stamp(_ path: String) -> (Int, Int, Int64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_mtim.tv_sec, info.st_mtim.tv_nsec, Int64(info.st_size))
    }

    /// Looks at the file (twice a second at most); when it changed, reads and checks it again.
    /// `aired` are the ids that aired or are on air; `order` the running order as it stands.
    func poll(aired: Set<Int>, order: RunningOrder, now: Int64 = Int64(Date().timeIntervalSince1970 * 1e9)) {
        guard now - lastPoll >= 500_000_000 else { return }
        lastPoll = now
        let stamp = Self.stamp(path)
        guard stamp.map({ s in lastStamp.map { $0 != s } ?? true }) ?? false else { return }
        lastStamp = stamp
        var workspace = Workspace()
        workspace.load([path])
        if let error = workspace.diagnostics.first(where: { $0.severity == .error }) {
            state = .refused(error.description)
            return
        }
        guard let plan = workspace.plans.first else {
            state = .refused("\(path) cannot be planned")
            return
        }
        // The file's items after the last of its items that aired (items are numbered as written).
        let lastAired = aired.filter { $0 < rundownItems }.max() ?? -1
        let toCome = plan.rundown.items.filter { $0.index > lastAired }
        let before = order.upcoming.filter { !order.excluded.contains($0) }.map { order.items[$0].displayTitle }
        let after = toCome.map(\.displayTitle)
        if before == after && toCome.map(\.planned) == order.upcoming.filter({ !order.excluded.contains($0) }).map({ order.items[$0].planned }) {
            state = .unchanged
            return
        }
        let added = after.filter { !before.contains($0) }, removed = before.filter { !after.contains($0) }
        var parts = ["\(toCome.count) items to come (now \(before.count))"]
        if !added.isEmpty { parts.append("+ " + added.joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("− " + removed.joined(separator: ", ")) }
        if added.isEmpty && removed.isEmpty { parts.append("order or lengths changed") }
        state = .changed(toCome, summary: parts.joined(separator: "; "))
    }

    /// The change was applied: the file is what is on air now.
    func applied() { state = .unchanged }
}

/// What the technician can insert after the item on air: the show's audio files, its carts, a
/// live item of a few lengths.
enum InsertChoices {
    static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "mp3", "aif", "aiff", "opus"]

    static func list(show: Show) -> [(label: String, item: Item)] {
        var choices: [(String, Item)] = []
        let here = SourceLocation(file: "console", line: 0, column: 0)
        let audio = URL(fileURLWithPath: show.directory).appendingPathComponent("audio")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: audio.path)) ?? [])
            .filter { audioExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }.sorted()
        for file in files {
            var item = Item(index: 0, kind: .segment, value: "audio/" + file, location: here)
            item.audioPath = audio.appendingPathComponent(file).path
            item.title = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            choices.append(("file   audio/\(file)", item))
        }
        for cart in show.carts {
            guard let path = InsertChoices.jingle(cart.jingle, in: show) else { continue }
            var item = Item(index: 0, kind: .jingle, value: cart.jingle, location: here)
            item.audioPath = path
            item.title = cart.title
            choices.append(("cart   \(cart.key)  \(cart.title)", item))
        }
        for minutes in [1, 2, 5] {
            var item = Item(index: 0, kind: .live, value: "Live", location: here)
            item.title = "Live"
            item.planned = Timecode(seconds: Int64(minutes * 60))
            choices.append(("live   \(minutes):00", item))
        }
        return choices
    }

    /// A cart's jingle file (a bare name in the show's jingles folder, or a path).
    static func jingle(_ name: String, in show: Show) -> String? {
        if name.contains("/") {
            let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: show.directory).appendingPathComponent(name).path
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        for ext in ["wav", "flac", "ogg", "mp3"] {
            let path = URL(fileURLWithPath: show.jinglesDirectory).appendingPathComponent("\(name).\(ext)").path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}
