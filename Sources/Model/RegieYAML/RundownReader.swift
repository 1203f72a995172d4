import Foundation
package import RegieModel
import Yams

/// Reads an episode rundown and the `show.yaml` beside it.
package enum RundownReader {
    /// Keys at the top of a rundown.
    package static let keys = ["episode", "title", "description", "air", "slot", "crossfade", "items"]
    /// The keys that say what an item is.
    package static let kindKeys = Item.Kind.allCases.map(\.rawValue)
    /// Keys any item may carry besides its kind.
    package static let commonItemKeys = ["title", "optional", "notes", "at", "post"]
    /// Keys for items that play a file.
    package static let audioItemKeys = ["in", "out", "fade_in", "fade_out", "crossfade", "backtime"]
    /// Keys for music only.
    package static let musicKeys = ["artist", "composer", "album", "label", "isrc", "year", "podcast"]
    /// Keys for live items only.
    package static let liveKeys = ["planned", "min", "max", "bed"]

    /// Every key an item may carry, for suggestions.
    static var allItemKeys: [String] { kindKeys + commonItemKeys + audioItemKeys + musicKeys + liveKeys }

    /// Reads a rundown; the show is read from `show.yaml` in the same folder. The rundown is nil
    /// when an error makes it unusable; diagnostics hold every problem of both files. With
    /// `keepingErrors` (checking, so that one run says every problem: its audio files and cue
    /// points too), a rundown in error is returned as far as it could be read, marked
    /// `readWithErrors` (its timing is not worked out).
    package static func read(path: String, keepingErrors: Bool = false) -> (rundown: Rundown?, diagnostics: [Diagnostic]) {
        var diagnostics = DiagnosticList()
        let showPath = showFile(forRundown: path)
        let (show, showDiagnostics) = ShowReader.read(path: showPath, keepingErrors: keepingErrors)
        diagnostics.append(contentsOf: showDiagnostics)
        guard let text = FileText.read(path, diagnostics: &diagnostics),
              let root = YAMLDocument.compose(text, file: path, diagnostics: &diagnostics),
              let reader = MappingReader(root, file: path, context: "the rundown", diagnostics: &diagnostics)
        else { return (nil, diagnostics.all) }
        let jingles = show?.jinglesDirectory
            ?? PathResolver.defaultJinglesDirectory(forShowDirectory: PathResolver.directory(of: path))
        let rundown = read(reader, path: path, show: show, jinglesDirectory: jingles, diagnostics: &diagnostics)
        return (diagnostics.hasErrors && !keepingErrors ? nil : rundown, diagnostics.all)
    }

    /// `show.yaml` next to a rundown.
    package static func showFile(forRundown path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "show.yaml" : folder + "/show.yaml"
    }

    static func read(_ r: MappingReader, path: String, show: Show?, jinglesDirectory: String,
                     diagnostics d: inout DiagnosticList) -> Rundown? {
        r.reportUnknownKeys(known: keys, diagnostics: &d)
        let episode = r.integer("episode", in: 1...99_999, what: "a positive whole number", diagnostics: &d)
        let title = r.string("title", required: true, diagnostics: &d)
        let description = r.string("description", diagnostics: &d)
        // The podcast's keys are warnings here: checking, timing, playing and rendering need none.
        let missing = ["episode", "description"].filter { !r.has($0) }
        if !missing.isEmpty {
            let names = missing.map { "'\($0)'" }.joined(separator: " and ")
            d.warning(r.location, "the rundown has no \(names): the podcast episode needs \(missing.count == 1 ? "it" : "them") before 'regie publish'")
        }
        var air: AirTime?
        if let text = r.string("air", required: true, diagnostics: &d) {
            air = AirTime(iso8601: text)
            if air == nil {
                d.error(r.valueLocations["air"], "'air' must be a date and time with its UTC offset, like 2026-12-03T18:00:00+01:00, found '\(text)'")
            }
        }
        let slot = r.timecode("slot", required: true, positive: true, diagnostics: &d)
        let crossfade = r.timecode("crossfade", diagnostics: &d)
        var items: [Item] = []
        if let node = r.node("items") {
            if let list = node.sequence {
                if list.count == 0 { d.error(r.valueLocations["items"], "'items' is empty: a rundown needs at least one item") }
                items.reserveCapacity(list.count)
                for (index, element) in list.enumerated() {
                    if let item = readItem(element, index: index, path: path, jinglesDirectory: jinglesDirectory, diagnostics: &d) {
                        items.append(item)
                    }
                }
            } else if node.scalar?.string.isEmpty == true {
                d.error(r.valueLocations["items"] ?? r.keyLocations["items"], "'items' is empty: a rundown needs at least one item")
            } else {
                d.error(r.valueLocations["items"], "'items' must be a list, found \(MappingReader.describe(node))")
            }
        } else {
            d.error(r.location, "missing required key 'items' in the rundown")
        }
        checkBacktime(items, count: r.node("items")?.sequence?.count ?? 0, diagnostics: &d)

        var locations = r.keyLocations
        for (key, location) in r.valueLocations { locations[key] = location }
        guard let show, let title, let air, let slot else { return nil }
        var rundown = Rundown(file: path, show: show, episode: episode, title: title, description: description,
                              air: air, slot: slot, crossfade: crossfade, items: items, locations: locations)
        rundown.readWithErrors = d.hasErrors
        return rundown
    }

    static func readItem(_ node: Node, index: Int, path: String, jinglesDirectory: String,
                         diagnostics d: inout DiagnosticList) -> Item? {
        let number = index + 1
        guard let probe = MappingReader(node, file: path, context: "item \(number)", diagnostics: &d) else { return nil }
        let kinds = probe.keys.filter { kindKeys.contains($0) }
        guard let kindName = kinds.first, let kind = Item.Kind(rawValue: kindName) else {
            var message = "item \(number) has no kind: give exactly one of 'jingle', 'segment', 'music' or 'live'"
            if let misspelt = probe.keys.compactMap({ Suggestions.closest(to: $0, among: kindKeys) }).first,
               let key = probe.keys.first(where: { Suggestions.closest(to: $0, among: kindKeys) == misspelt }) {
                d.error(probe.keyLocations[key], "unknown key '\(key)' in item \(number); did you mean '\(misspelt)'?")
                return nil
            }
            message += " (keys found: \(probe.keys.map { "'\($0)'" }.joined(separator: ", ")))"
            d.error(probe.location, message)
            return nil
        }
        if kinds.count > 1 {
            d.error(probe.keyLocations[kinds[1]], "item \(number) has both '\(kinds[0])' and '\(kinds[1])': an item is exactly one of 'jingle', 'segment', 'music' or 'live'")
            return nil
        }
        let r = MappingReader(node, file: path, context: "item \(number) (\(kindName))", diagnostics: &d)!
        var allowed = [kindName] + commonItemKeys
        if kind.hasAudio { allowed += audioItemKeys }
        if kind == .music { allowed += musicKeys }
        if kind == .live { allowed += liveKeys }
        var elsewhere: [String: String] = [:]
        for key in liveKeys where kind != .live { elsewhere[key] = "it applies only to live items" }
        for key in musicKeys where kind != .music { elsewhere[key] = "it applies only to music items" }
        for key in audioItemKeys where !kind.hasAudio {
            elsewhere[key] = key == "backtime" ? "a back-timed item must be an audio item (jingle, segment or music)"
                : "it applies only to items that play a file (jingle, segment, music)"
        }
        r.reportUnknownKeys(known: allowed, elsewhere: elsewhere, diagnostics: &d)

        guard let value = r.string(kindName, diagnostics: &d) else {
            if r.has(kindName) == false { return nil }
            return nil
        }
        var item = Item(index: index, kind: kind, value: value, location: r.location)
        item.keyLocations = SourceLocations(r.keyLocations)
        item.valueLocations = SourceLocations(r.valueLocations)
        item.title = r.string("title", required: kind == .segment || kind == .music, diagnostics: &d)
        item.notes = r.string("notes", diagnostics: &d)
        item.optional = r.bool("optional", diagnostics: &d) ?? false
        if let text = r.string("at", diagnostics: &d) {
            item.at = TimeOfDay(parsing: text)
            if item.at == nil {
                d.error(r.valueLocations["at"], "'at' must be a time of day like 18:30:00 or 18:30, found '\(text)'")
            }
        }
        if let text = r.string("post", diagnostics: &d) {
            if let mode = PostMode(rawValue: text) {
                item.post = mode
            } else {
                var message = "'post' must be hard or soft, found '\(text)'"
                if let suggestion = Suggestions.closest(to: text, among: PostMode.allCases.map(\.rawValue)) {
                    message += "; did you mean '\(suggestion)'?"
                }
                d.error(r.valueLocations["post"], message)
            }
            if !r.has("at") {
                d.error(r.keyLocations["post"], "'post' says how a fixed time is kept: it needs 'at' (the time of day)")
            }
        }
        if item.at != nil && item.optional {
            d.error(r.keyLocations["optional"], "a fixed-time item ('at') cannot be optional: it is a post the show must meet")
        }
        let location = r.valueLocations[kindName]
        switch kind {
        case .jingle:
            item.audioPath = PathResolver.resolveJingle(value, relativeTo: path, jinglesDirectory: jinglesDirectory,
                                                        key: "jingle", location: location, diagnostics: &d)
        case .segment, .music:
            item.audioPath = PathResolver.resolveExisting(value, relativeTo: path, key: kindName, location: location, diagnostics: &d)
            if kind == .music {
                item.artist = r.string("artist", required: true, diagnostics: &d)
                readRights(r, into: &item, diagnostics: &d)
            }
        case .live:
            item.planned = r.timecode("planned", required: true, positive: true, diagnostics: &d)
            item.min = r.timecode("min", diagnostics: &d)
            item.max = r.timecode("max", diagnostics: &d)
            if let planned = item.planned {
                if let min = item.min, min > planned {
                    d.error(r.valueLocations["min"], "'min' (\(min)) must not be longer than 'planned' (\(planned))")
                }
                if let max = item.max, max < planned {
                    d.error(r.valueLocations["max"], "'max' (\(max)) must not be shorter than 'planned' (\(planned))")
                }
            }
            if let bed = r.string("bed", diagnostics: &d) {
                item.bed = PathResolver.resolveJingle(bed, relativeTo: path, jinglesDirectory: jinglesDirectory,
                                                      key: "bed", location: r.valueLocations["bed"], diagnostics: &d)
            }
        }
        if kind.hasAudio {
            item.cueIn = r.timecode("in", diagnostics: &d)
            item.cueOut = r.timecode("out", diagnostics: &d)
            if let cueIn = item.cueIn, let cueOut = item.cueOut, cueIn >= cueOut {
                d.error(r.valueLocations["out"], "cue point 'in' (\(cueIn)) must come before 'out' (\(cueOut))")
                item.cueOut = nil
            }
            item.fadeIn = r.timecode("fade_in", diagnostics: &d)
            item.fadeOut = r.timecode("fade_out", diagnostics: &d)
            item.crossfade = r.timecode("crossfade", diagnostics: &d)
            item.backtime = r.bool("backtime", diagnostics: &d) ?? false
            if item.backtime && item.at != nil {
                d.error(r.keyLocations["at"], "a back-timed item already has its time (the hard end minus its length): give 'at' or 'backtime', not both")
            }
        }
        return item
    }

    /// A music item's rights metadata: composer, album, label, ISRC (checked), year, and whether
    /// it may go in the podcast.
    static func readRights(_ r: MappingReader, into item: inout Item, diagnostics d: inout DiagnosticList) {
        item.rights.composer = r.string("composer", diagnostics: &d)
        item.rights.album = r.string("album", diagnostics: &d)
        item.rights.label = r.string("label", diagnostics: &d)
        if let written = r.string("isrc", diagnostics: &d) {
            switch ISRC.parse(written) {
            case .success(let code): item.rights.isrc = code
            case .failure(let reason): d.error(r.valueLocations["isrc"], "'isrc' \(written) is not an ISRC: \(reason)")
            }
        }
        item.rights.year = r.integer("year", in: 1000...2100, what: "a year", diagnostics: &d)
        item.podcast = r.bool("podcast", diagnostics: &d)
    }

    /// One back-timed item at most, and it must be the last.
    static func checkBacktime(_ items: [Item], count: Int, diagnostics d: inout DiagnosticList) {
        let backtimed = items.filter(\.backtime)
        if let first = backtimed.first {
            for other in backtimed.dropFirst() {
                d.error(other.keyLocations["backtime"], "only one item may be back-timed; item \(first.index + 1) already is")
            }
            if first.index != count - 1 {
                d.error(first.keyLocations["backtime"], "'backtime' is only allowed on the last item (item \(first.index + 1) of \(count)): it ends exactly at the hard end of the slot")
            }
            if first.optional {
                d.error(first.keyLocations["optional"], "a back-timed item cannot be optional")
            }
        }
    }
}
