import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

import RegieModel

/// A mirror not done yet, kept in the show's published folder as `.publish-pending` (a dot-file:
/// never served, never mirrored) until `regie publish --retry` or the next publish sends it.
package struct PendingMirror: Codable, Sendable, Equatable {
    package var destination: RemoteDestination
    package var show: String
    /// Since when (seconds since 1970) and why.
    package var since: Double
    package var reason: String
    /// The upload limit it was to go with (kbit/s), so that a retry keeps it.
    package var limitKbps: Int?

    package static let fileName = ".publish-pending"

    package init(destination: RemoteDestination, show: String, since: Double, reason: String, limitKbps: Int? = nil) {
        self.destination = destination; self.show = show; self.since = since; self.reason = reason; self.limitKbps = limitKbps
    }

    package static func read(in folder: URL) -> PendingMirror? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else { return nil }
        return try? JSONDecoder().decode(PendingMirror.self, from: data)
    }

    package func write(in folder: URL) throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    package static func clear(in folder: URL) {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(fileName))
    }
}

/// How a remote publish ended.
package enum RemotePublishOutcome: Sendable, Equatable {
    /// The far side equals the local folder.
    case mirrored(MirrorReport)
    /// Not sent (or not whole): marked pending in the local folder, which stays complete.
    case pending(PendingMirror)
}

extension RemoteMirror {
    /// Mirrors `folder` and keeps the books: on success a pending mark is cleared; on failure
    /// (after `retryFor` seconds of attempts, or when cancelled) the folder is marked pending
    /// for `regie publish --retry` or the next publish. Never throws: the local folder is the
    /// source of truth and stays as it is either way.
    package func publish(folder: URL, show: String, retryFor: Double, cancel: MirrorCancellation = MirrorCancellation(),
                         onEvent: @escaping @Sendable (MirrorEvent) -> Void = { _ in }) -> RemotePublishOutcome {
        do {
            let report = try mirror(folder: folder, show: show, retryFor: retryFor, cancel: cancel, onEvent: onEvent)
            PendingMirror.clear(in: folder)
            return .mirrored(report)
        } catch {
            let pending = PendingMirror(destination: destination, show: show, since: Date().timeIntervalSince1970,
                                        reason: error.description, limitKbps: limitKbps)
            try? pending.write(in: folder)
            return .pending(pending)
        }
    }
}

/// After a mirror: the feed fetched from its public address names the episode, and the
/// episode's enclosure answers with the published length (HEAD) and its first bytes (a Range
/// request) — what a listener's app will do next.
package enum PublicCopyCheck {
    /// What is wrong; nothing when all holds.
    package static func problems(feedURL: URL, enclosureFile: String, local: URL) -> [String] {
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

    /// The feed's public address from a folder's base URL.
    package static func feedURL(base: String) -> URL? {
        URL(string: base.hasSuffix("/") ? base + "feed.xml" : base + "/feed.xml")
    }

    /// One HTTP request: the body, the status and the `Content-Length` (-1 when absent); nil when
    /// no answer came in 15 s.
    private static func fetch(_ url: URL, method: String, range: String? = nil) -> (body: Data, status: Int, length: Int)? {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 15)
        request.httpMethod = method
        if let range { request.setValue(range, forHTTPHeaderField: "Range") }
        let box = ResultBox()
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

    private final class ResultBox: @unchecked Sendable {
        var value: (body: Data, status: Int, length: Int)?
    }
}

/// The sentences that say how a remote publish went, the same from `regie publish` and at the
/// end of a live show.
package enum RemoteMirrorText {
    package static func mirrored(_ report: MirrorReport, to destination: RemoteDestination, show: String) -> String {
        "mirrored to \(destination)/\(show)/: \(report.bytesSent) bytes sent in \(String(format: "%.1f", report.seconds)) s"
            + (report.attempts > 1 ? " (attempt \(report.attempts))" : "")
    }

    package static func pending(_ pending: PendingMirror, folder: URL) -> String {
        "remote publish PENDING to \(pending.destination)/\(pending.show)/ (\(pending.reason)); the local folder \(folder.path) is complete: 'regie publish --retry' sends it"
    }
}
