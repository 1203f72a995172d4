import AudioIO
import Engine
import Foundation
import RegieModel
import RegieYAML

/// Reads a show or rundown, opens every audio file it names and plans it: what every command
/// does before it touches audio, so that `check`, `plan` and `render` agree on every message.
package struct Workspace {
    /// Everything found, errors and warnings, deduplicated, in file order.
    package var diagnostics: [Diagnostic] = []
    /// The plan of each rundown read without errors.
    package var plans: [Plan] = []
    private var probed: [String: Result<AudioSourceInfo, AudioFileError>] = [:]
    private var seen: Set<Diagnostic> = []

    package init() {}

    /// Checks `files` (show.yaml files, station.yaml files and rundowns; a rundown's station file
    /// is checked with it).
    package mutating func load(_ files: [String]) {
        for file in files {
            let name = (file as NSString).lastPathComponent
            if name == "station.yaml" {
                checkStation(file)
            } else if name == "show.yaml" {
                let (show, found) = ShowReader.read(path: file)
                add(found)
                if let show { probeCarts(of: show) }
            } else {
                checkStation(StationReader.file(forRundown: file))
                let (rundown, found) = RundownReader.read(path: file)
                add(found)
                guard let rundown else { continue }
                probeCarts(of: rundown.show)
                var audio: [String: AudioSourceInfo] = [:]
                for item in rundown.items {
                    if let path = item.audioPath, let info = probe(path, key: item.kind.rawValue, value: item.value,
                                                                   at: item.location(ofValue: item.kind.rawValue)) {
                        audio[path] = info
                    }
                    if let bed = item.bed, let info = probe(bed, key: "bed", value: bed, at: item.location(ofValue: "bed")) {
                        audio[bed] = info
                    }
                }
                let result = Planner.plan(rundown, audio: audio)
                add(result.diagnostics)
                if let plan = result.plan, !result.diagnostics.contains(where: { $0.severity == .error }) {
                    plans.append(plan)
                }
            }
        }
        var list = DiagnosticList()
        list.append(contentsOf: diagnostics)
        diagnostics = list.sorted
    }

    /// Station files checked so far (each once).
    private var stations: Set<String> = []

    /// Checks a station file once (none there is no problem: every value has its default).
    private mutating func checkStation(_ path: String) {
        guard stations.insert(path).inserted else { return }
        add(StationReader.read(path: path).diagnostics)
    }

    /// True when an error was found.
    package var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    private mutating func add(_ found: [Diagnostic]) {
        for diagnostic in found where seen.insert(diagnostic).inserted { diagnostics.append(diagnostic) }
    }

    private mutating func probeCarts(of show: Show) {
        for cart in show.carts {
            _ = probe(cart.jingle, key: "jingle", value: cart.jingle, at: cart.location)
        }
    }

    /// Opens a file once, reporting why it cannot be played at `location`.
    private mutating func probe(_ path: String, key: String, value: String, at location: SourceLocation) -> AudioSourceInfo? {
        let result = probed[path] ?? Result { () throws(AudioFileError) in
            AudioSourceInfo(try AudioFile.probe(path: path))
        }
        let firstTime = probed[path] == nil
        probed[path] = result
        switch result {
        case .success(let info): return info
        case .failure(let failure):
            guard firstTime else { return nil }
            let shown = PathResolver.displayPath(path)
            let message: String
            switch failure {
            case .notFound: message = "'\(key)' file '\(shown)' does not exist"
            case .unreadable(_, let reason): message = "'\(key)' file '\(shown)' cannot be decoded: \(reason)"
            case .empty: message = "'\(key)' file '\(shown)' is empty: it holds no audio"
            case .unwritable(_, let reason): message = "'\(key)' file '\(shown)' cannot be read: \(reason)"
            }
            add([Diagnostic(.error, at: location, message)])
            return nil
        }
    }
}
