import AudioIO
import Engine
import Foundation
import RegieModel
import RegieYAML
import Support

/// Reads a show or rundown, opens every audio file it names and plans it: what every command
/// does before it touches audio, so that `check`, `plan` and `render` agree on every message.
package struct Workspace {
    /// Everything found, errors and warnings, deduplicated, in file order.
    package var diagnostics: [Diagnostic] = []
    /// The plan of each rundown read without errors.
    package var plans: [Plan] = []
    private var probed: [String: Result<AudioSourceInfo, AudioFileError>] = [:]
    private var seen: Set<Diagnostic> = []
    /// Decode every audio file whole once (through the show's loudness cache, so only a file
    /// not seen before costs a pass): a truncated or damaged file is then an error with the
    /// length really present, not silence on air. Off (`regie render`, whose own loudness pass
    /// decodes every source and refuses a short one, so that it does not decode twice), only
    /// the headers are read and what the cache already knows is used.
    package var verifiesAudio: Bool
    /// The loudness cache of each show folder read, saved at the end of `load`.
    private var caches: [String: LoudnessCache] = [:]

    package init(verifiesAudio: Bool = true) { self.verifiesAudio = verifiesAudio }

    /// Checks `files` (show.yaml files, station.yaml files and rundowns; a rundown's station file
    /// is checked with it).
    package mutating func load(_ files: [String]) {
        for file in files {
            let name = (file as NSString).lastPathComponent
            if name == "station.yaml" {
                checkStation(file)
            } else if name == "show.yaml" {
                let (show, found) = ShowReader.read(path: file, keepingErrors: true)
                add(found)
                if let show { probeCarts(of: show) }
                saveCaches()
            } else {
                checkStation(StationReader.file(forRundown: file))
                let (read, found) = RundownReader.read(path: file, keepingErrors: true)
                add(found)
                guard var rundown = read else { continue }
                fillRightsFromTags(&rundown)
                probeCarts(of: rundown.show)
                var audio: [String: AudioSourceInfo] = [:]
                let show = rundown.show.directory
                for item in rundown.items {
                    if let path = item.audioPath, let info = probe(path, key: item.kind.rawValue, show: show,
                                                                   at: item.location(ofValue: item.kind.rawValue)) {
                        audio[path] = info
                    }
                    if let bed = item.bed, let info = probe(bed, key: "bed", show: show, at: item.location(ofValue: "bed")) {
                        audio[bed] = info
                    }
                }
                saveCaches()
                let result = Planner.plan(rundown, audio: audio)
                add(result.diagnostics)
                if let plan = result.plan, !(found + result.diagnostics).contains(where: { $0.severity == .error }) {
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

    /// The rights fields a music item does not give (`isrc`, `album`, `label`, `composer`, `year`)
    /// taken from its file's own tags, when it has them; an ISRC tag that is not one is said and
    /// left out.
    private mutating func fillRightsFromTags(_ rundown: inout Rundown) {
        for index in rundown.items.indices where rundown.items[index].kind == .music {
            var item = rundown.items[index]
            guard item.rights.textFields.contains(where: { $0.value == nil }) || item.rights.year == nil,
                  let path = item.audioPath, let tags = FileTags.read(path: path) else { continue }
            var fromTags = MusicRights(composer: tags.composer, album: tags.album, label: tags.label, year: tags.year)
            if item.rights.isrc == nil, let written = tags.isrc {
                switch ISRC.parse(written) {
                case .success(let code): fromTags.isrc = code
                case .failure(let reason):
                    add([Diagnostic(.warning, at: item.location(ofValue: "music"),
                                    "the ISRC tag of \((path as NSString).lastPathComponent), '\(written)', is not an ISRC: \(reason); give 'isrc' in the rundown")])
                }
            }
            item.rights = item.rights.filled(from: fromTags)
            rundown.items[index] = item
        }
    }

    private mutating func probeCarts(of show: Show) {
        for cart in show.carts {
            _ = probe(cart.jingle, key: "jingle", show: show.directory, at: cart.location)
        }
        if let sting = show.podcastSting {
            _ = probe(sting, key: "podcast_sting", show: show.directory,
                      at: show.locations["podcast_sting"] ?? SourceLocation(file: show.file, line: 1, column: 1))
        }
    }

    /// Opens `path` with libsndfile and, with `verifiesAudio`, decodes it whole through the show's
    /// loudness cache (without, takes what the cache already knows): the file's header, what the
    /// whole decode found, and what the decoding libraries printed meanwhile.
    private mutating func open(_ path: String, show: String)
        -> (Result<AudioSourceInfo, AudioFileError>, SourceLoudness?, chatter: [String]) {
        let cache = caches[show] ?? LoudnessCache(showDirectory: show)
        caches[show] = cache
        let verifies = verifiesAudio
        let (opened, lines) = StandardErrorCapture.capturing { () -> (Result<AudioSourceInfo, AudioFileError>, SourceLoudness?) in
            do {
                let info = AudioSourceInfo(try AudioFile.probe(path: path))
                return (.success(info), verifies ? try cache.verified(path) : try cache.knownVerification(of: path))
            } catch let error as AudioFileError {
                return (.failure(error), nil)
            } catch {
                return (.failure(.unreadable(path, "\(error)")), nil)
            }
        }
        return (opened.0, opened.1, StandardErrorCapture.passOn(lines))
    }

    private mutating func saveCaches() {
        for cache in caches.values { cache.save() }
    }

    /// Opens a file once (and with `verifiesAudio` decodes it whole), reporting why it cannot be
    /// played at `location`. A file shorter than its header says is returned with the length
    /// really present, so that every later message (a cue past the end) quotes that length.
    private mutating func probe(_ path: String, key: String, show: String, at location: SourceLocation) -> AudioSourceInfo? {
        let firstTime = probed[path] == nil
        if firstTime {
            let (result, whole, chatter) = open(path, show: show)
            probed[path] = result
            if case .success(var info) = result {
                let shown = PathResolver.displayPath(path)
                if let whole, let truncation = whole.truncation(headerFrames: info.frames, sampleRate: info.sampleRate) {
                    let said = chatter.isEmpty ? "" : " (the decoder said: \(chatter.joined(separator: "; ")))"
                    add([Diagnostic(.error, at: location, "'\(key)' file '\(shown)' is \(truncation)\(said); export or copy it again")])
                    info.frames = whole.framesDecoded ?? info.frames
                    probed[path] = .success(info)
                } else if !chatter.isEmpty {
                    add([Diagnostic(.warning, at: location,
                                    "'\(key)' file '\(shown)' decodes whole, but its decoder warns: \(chatter.joined(separator: "; "))")])
                }
            }
        }
        guard let result = probed[path] else { return nil }
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

extension SourceLoudness {
    /// Says "truncated or damaged: its header says 0:47.0, but only 0:04.1 decodes" when the whole
    /// decode found half a second or more fewer frames than the header announces (an MP3's
    /// estimated length is within a few granules); nil when it did not, or was not counted.
    /// `regie check` and `regie render` judge a source by this one rule.
    func truncation(headerFrames: Int64, sampleRate: Int) -> String? {
        guard let decoded = framesDecoded, headerFrames - decoded > Int64(sampleRate) / 2 else { return nil }
        let header = FrameMath.format(frames: headerFrames, sampleRate: sampleRate, fractionDigits: 1)
        let present = FrameMath.format(frames: decoded, sampleRate: sampleRate, fractionDigits: 1)
        return "truncated or damaged: its header says \(header), but only \(present) decodes"
    }
}
