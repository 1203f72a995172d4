import Foundation
package import RegieModel
import Yams

/// Reads `station.yaml`: the studio's devices and folders.
package enum StationReader {
    /// Every key `station.yaml` accepts.
    package static let keys = ["name", "playback", "capture", "period_ms", "periods", "record", "recordings", "publish", "remote",
                                      "remote_limit_kbps", "streams"]

    /// `station.yaml` for a rundown: beside the `shows/` folder that holds it
    /// (`shows/<show>/<date>.yaml` → `station.yaml`), else in the current folder.
    package static func file(forRundown path: String) -> String {
        let show = (path as NSString).deletingLastPathComponent
        let shows = (show as NSString).deletingLastPathComponent
        if (shows as NSString).lastPathComponent == "shows" {
            let root = (shows as NSString).deletingLastPathComponent
            return root.isEmpty ? "station.yaml" : root + "/station.yaml"
        }
        return "station.yaml"
    }

    /// Reads the station file at `path`; no file there is no error (every value has a default).
    /// The station is nil when an error makes it unusable.
    package static func read(path: String) -> (station: Station?, diagnostics: [Diagnostic]) {
        guard FileManager.default.fileExists(atPath: path) else { return (Station(), []) }
        var diagnostics = DiagnosticList()
        guard let text = FileText.read(path, diagnostics: &diagnostics),
              let root = YAMLDocument.compose(text, file: path, diagnostics: &diagnostics),
              let r = MappingReader(root, file: path, context: "the station", diagnostics: &diagnostics)
        else { return (nil, diagnostics.all) }
        r.reportUnknownKeys(known: keys, diagnostics: &diagnostics)
        var station = Station(file: path)
        station.name = r.string("name", diagnostics: &diagnostics)
        station.playback = r.string("playback", diagnostics: &diagnostics)
        station.capture = r.string("capture", diagnostics: &diagnostics)
        station.periodMilliseconds = r.integer("period_ms", in: 5...100, what: "a number of milliseconds", diagnostics: &diagnostics)
        station.periods = r.integer("periods", in: 2...16, diagnostics: &diagnostics)
        if let text = r.string("record", diagnostics: &diagnostics) {
            if let record = Station.Record(rawValue: text) {
                station.record = record
                if (record == .capture || record == .both) && station.capture == nil {
                    diagnostics.error(r.valueLocations["record"],
                                      "'record: \(text)' needs a 'capture' device (the desk's programme return)")
                }
            } else {
                var message = "'record' must be program, capture, both or none, found '\(text)'"
                if let suggestion = Suggestions.closest(to: text, among: Station.Record.allCases.map(\.rawValue)) {
                    message += "; did you mean '\(suggestion)'?"
                }
                diagnostics.error(r.valueLocations["record"], message)
            }
        }
        for key in ["recordings", "publish"] {
            guard let written = r.string(key, diagnostics: &diagnostics) else { continue }
            let folder = PathResolver.resolve(written, relativeTo: path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
                diagnostics.error(r.valueLocations[key], "'\(key)' must name a folder; '\(written)' is a file")
            }
            if key == "recordings" { station.recordings = folder } else { station.publish = folder }
        }
        if let written = r.string("remote", diagnostics: &diagnostics) {
            switch RemoteDestination.parse(written) {
            case .success(let destination): station.remote = destination
            case .failure(let error): diagnostics.error(r.valueLocations["remote"], "'remote' \(error.reason), found '\(error.text)'")
            }
        }
        station.remoteLimitKbps = r.integer("remote_limit_kbps", in: 8...10_000_000, what: "a number of kilobits per second",
                                            diagnostics: &diagnostics)
        station.streams = readStreams(r, path: path, diagnostics: &diagnostics)
        var locations = r.keyLocations
        for (key, location) in r.valueLocations { locations[key] = location }
        station.locations = locations
        return (diagnostics.hasErrors ? nil : station, diagnostics.all)
    }

    /// Every key of one entry of `streams:`.
    package static let streamKeys = ["url", "password_file", "name", "description", "genre", "public", "listen_url"]

    /// `streams:`: a list of Icecast mounts, each `{url: icecast://…, password_file, name, …}`.
    static func readStreams(_ r: MappingReader, path: String, diagnostics d: inout DiagnosticList) -> [StreamDestination] {
        guard let node = r.node("streams") else { return [] }
        guard let list = node.sequence else {
            d.error(r.valueLocations["streams"], "'streams' must be a list of {url: icecast://source@host:8000/live.mp3, …}, found \(MappingReader.describe(node))")
            return []
        }
        var streams: [StreamDestination] = []
        for (index, element) in list.enumerated() {
            guard let s = MappingReader(element, file: path, context: "stream \(index + 1)", diagnostics: &d) else { continue }
            s.reportUnknownKeys(known: streamKeys, diagnostics: &d)
            guard let url = s.string("url", required: true, diagnostics: &d) else { continue }
            var stream: StreamDestination
            switch StreamDestination.parse(url) {
            case .success(let parsed): stream = parsed
            case .failure(let error):
                d.error(s.valueLocations["url"], "stream 'url' \(error.reason), found '\(error.text)'")
                continue
            }
            if let file = s.string("password_file", diagnostics: &d) {
                let resolved = PathResolver.resolve(file, relativeTo: path)
                if !FileManager.default.isReadableFile(atPath: resolved) {
                    d.error(s.valueLocations["password_file"], "stream 'password_file' \(file) cannot be read")
                }
                stream.passwordFile = resolved
            }
            stream.name = s.string("name", diagnostics: &d)
            stream.streamDescription = s.string("description", diagnostics: &d)
            stream.genre = s.string("genre", diagnostics: &d)
            stream.isPublic = s.bool("public", diagnostics: &d) ?? false
            if let listen = s.string("listen_url", diagnostics: &d) {
                if listen.hasPrefix("http://") || listen.hasPrefix("https://") { stream.listenURL = listen }
                else { d.error(s.valueLocations["listen_url"], "stream 'listen_url' must be an http:// or https:// URL, found '\(listen)'") }
            }
            streams.append(stream)
        }
        return streams
    }
}
