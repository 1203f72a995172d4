import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Podcast
import RegieModel
import RegieYAML

/// The web host a show's published folder is mirrored to: `--to ssh://…`, else the station's
/// `remote:`; nil when neither names one. Exits with a message when either is not a destination.
func remoteDestination(option: String?, rundown: String?) throws -> RemoteDestination? {
    if let option, option.hasPrefix("ssh://") {
        switch RemoteDestination.parse(option) {
        case .success(let destination): return destination
        case .failure(let error):
            printError("regie: --to \(error)")
            throw ExitCode(2)
        }
    }
    let stationFile = rundown.map(StationReader.file(forRundown:)) ?? "station.yaml"
    let (station, diagnostics) = StationReader.read(path: stationFile)
    guard let station else {
        for diagnostic in diagnostics where diagnostic.severity == .error { printError(diagnostic.description) }
        throw ExitCode(1)
    }
    return station.remote
}

/// Mirrors `folder` (show `show`) to `destination`, trying again for `retryFor` seconds; says
/// what happened. On failure the mirror is left pending in the folder (`regie publish --retry`
/// sends it); on success a pending mark is cleared. Returns whether the far side is up to date.
@discardableResult
func mirrorPublishedFolder(_ folder: URL, show: String, to destination: RemoteDestination, retryFor: Double,
                           indent: String = "") -> Bool {
    let mirror = RemoteMirror(destination: destination)
    do {
        let report = try mirror.mirror(folder: folder, show: show, retryFor: retryFor) { error, next in
            if let next {
                printError("regie: \(destination) not reached: \(error); trying again in \(Int(next.rounded())) s")
            }
        }
        PendingMirror.clear(in: folder)
        print("\(indent)mirrored to \(destination)/\(show)/: \(report.bytesSent) bytes sent in \(String(format: "%.1f", report.seconds)) s"
              + (report.attempts > 1 ? " (attempt \(report.attempts))" : ""))
        return true
    } catch {
        let pending = PendingMirror(destination: destination, show: show, since: Date().timeIntervalSince1970,
                                    reason: error.description)
        try? pending.write(in: folder)
        printError("regie: NOT on \(destination) yet: \(error)")
        print("\(indent)remote publish PENDING to \(destination)/\(show)/ (\(error)); the local folder \(folder.path) is complete: 'regie publish --retry' sends it")
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
        if !mirrorPublishedFolder(folder, show: pending.show, to: pending.destination, retryFor: retryFor) { all = false }
    }
    if found == 0 { print("Nothing pending under \(root.path)") }
    return all
}

/// After a mirror: the feed fetched from its public address names the episode, and the
/// episode's enclosure answers with the published length (HEAD) and its first bytes (a Range
/// request). Returns what is wrong, nothing when all holds.
func checkPublicCopy(feedURL: URL, enclosureFile: String, local: URL) -> [String] {
    guard let (feed, status, _) = fetch(feedURL, method: "GET"), status == 200 else {
        return ["the feed \(feedURL) could not be fetched"]
    }
    let text = String(decoding: feed, as: UTF8.self)
    guard let range = text.range(of: "url=\"[^\"]*/\(NSRegularExpression.escapedPattern(for: enclosureFile))\"", options: .regularExpression) else {
        return ["the feed at \(feedURL) does not name \(enclosureFile) (not mirrored, or base_url points elsewhere)"]
    }
    let enclosure = String(text[range].dropFirst(5).dropLast()).replacingOccurrences(of: "&amp;", with: "&")
    guard let url = URL(string: enclosure) else { return ["the enclosure \(enclosure) is not a URL"] }
    let size = (try? FileManager.default.attributesOfItem(atPath: local.path)[.size] as? Int) ?? -1
    var problems: [String] = []
    if let (_, status, length) = fetch(url, method: "HEAD") {
        if status != 200 { problems.append("HEAD \(url) answered \(status)") }
        else if length != size { problems.append("\(url) is \(length) bytes, the episode \(size)") }
    } else {
        problems.append("HEAD \(url) got no answer")
    }
    let expected = (try? FileHandle(forReadingFrom: local)).flatMap { handle in
        defer { try? handle.close() }
        return try? handle.read(upToCount: 1024)
    } ?? Data()
    if let (bytes, status, _) = fetch(url, method: "GET", range: "bytes=0-1023") {
        if status != 206 { problems.append("a Range request for \(url) answered \(status), not 206") }
        else if bytes != expected { problems.append("the first bytes of \(url) are not the episode's") }
    } else {
        problems.append("a Range request for \(url) got no answer")
    }
    return problems
}

/// One HTTP request: the body, the status and the `Content-Length` (-1 when absent); nil when
/// no answer came.
private func fetch(_ url: URL, method: String, range: String? = nil) -> (body: Data, status: Int, length: Int)? {
    var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 15)
    request.httpMethod = method
    if let range { request.setValue(range, forHTTPHeaderField: "Range") }
    let box = ResultBox<(body: Data, status: Int, length: Int)?>(nil)
    let done = DispatchSemaphore(value: 0)
    URLSession.shared.dataTask(with: request) { data, response, _ in
        if let http = response as? HTTPURLResponse {
            let length = http.value(forHTTPHeaderField: "Content-Length").flatMap { Int($0) } ?? -1
            box.value = (data ?? Data(), http.statusCode, length)
        }
        done.signal()
    }.resume()
    done.wait()
    return box.value
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
