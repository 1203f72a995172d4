import ArgumentParser
import Foundation
import Podcast
import RegieModel
import RegieYAML

/// The web host a show's published folder is mirrored to: `--to ssh://…`, else the station's
/// `remote:`, with the upload limit of `--limit-kbps`, else the station's; nil when neither
/// names a host. Exits with a message when either is not a destination.
func remoteMirror(option: String?, limitKbps: Int?, rundown: String?) throws -> RemoteMirror? {
    let stationFile = rundown.map(StationReader.file(forRundown:)) ?? "station.yaml"
    let (station, diagnostics) = StationReader.read(path: stationFile)
    guard let station else {
        for diagnostic in diagnostics where diagnostic.severity == .error { printError(diagnostic.description) }
        throw ExitCode(1)
    }
    let limit = limitKbps ?? station.remoteLimitKbps
    if let option, option.hasPrefix("ssh://") {
        switch RemoteDestination.parse(option) {
        case .success(let destination): return RemoteMirror(destination: destination, limitKbps: limit)
        case .failure(let error):
            printError("regie: --to \(error)")
            throw ExitCode(2)
        }
    }
    return station.remote.map { RemoteMirror(destination: $0, limitKbps: limit) }
}

/// Mirrors `folder` (show `show`) with `mirror`, trying again for `retryFor` seconds, and says
/// what happened: each failed attempt on standard error, the outcome on standard output. On
/// failure the folder is left marked pending. Returns whether the far side is up to date.
@discardableResult
func mirrorPublishedFolder(_ folder: URL, show: String, with mirror: RemoteMirror, retryFor: Double) -> Bool {
    let destination = mirror.destination
    // Ctrl-C while waiting for the host leaves the mirror pending, said, rather than half-said.
    let cancel = MirrorCancellation()
    let signals = SignalCancellation { cancel.cancel() }
    defer { signals.stop() }
    // On a terminal, the transfer's progress on one line of standard error, rewritten in place.
    let showsProgress = isatty(2) == 1
    let outcome = mirror.publish(folder: folder, show: show, retryFor: retryFor, cancel: cancel) { event in
        switch event {
        case .failed(let error, let next?):
            if showsProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            printError("regie: \(destination) not reached: \(error); trying again in \(Int(next.rounded())) s")
        case .progress(let bytes, let percent, let rate) where showsProgress:
            let line = "\r\u{1B}[K  \(percent) % sent (\(String(format: "%.1f", Double(bytes) / 1e6)) MB at \(rate)) to \(destination)/\(show)/"
            FileHandle.standardError.write(Data(line.utf8))
        default: break
        }
    }
    if showsProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    switch outcome {
    case .mirrored(let report):
        print(RemoteMirrorText.mirrored(report, to: destination, show: show))
        return true
    case .pending(let pending):
        printError("regie: NOT on \(destination) yet: \(pending.reason)")
        print(RemoteMirrorText.pending(pending, folder: folder))
        return false
    }
}

/// Sends every pending mirror under `root` (the show folders of a publish folder, or one show
/// folder itself). Returns whether all went through.
func retryPendingMirrors(under root: URL, retryFor: Double) -> Bool {
    var folders = [root]
    if PendingMirror.read(in: root) == nil {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        folders = names.sorted().map { root.appendingPathComponent($0) }
    }
    var all = true
    var found = 0
    for folder in folders {
        guard let pending = PendingMirror.read(in: folder) else { continue }
        found += 1
        let mirror = RemoteMirror(destination: pending.destination, limitKbps: pending.limitKbps)
        if !mirrorPublishedFolder(folder, show: pending.show, with: mirror, retryFor: retryFor) { all = false }
    }
    if found == 0 { print("Nothing pending under \(root.path)") }
    return all
}
