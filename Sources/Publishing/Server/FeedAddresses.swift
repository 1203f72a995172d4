import Foundation
import Support

/// Whether the feeds of a served folder send listeners' apps to this server.
package enum FeedAddresses {
    /// A feed whose episodes are fetched elsewhere than where the folder is served.
    package struct Elsewhere: Equatable, Sendable {
        /// The feed, relative to the served folder (`campus-magazine/feed.xml`).
        package var feed: String
        /// Where its first enclosure points.
        package var enclosure: String
        /// Where it is served.
        package var served: String
    }

    /// The feeds under `root` (`feed.xml` and `<folder>/feed.xml`) whose first enclosure URL does
    /// not start where this server serves that folder (`servedAt`, e.g. `http://127.0.0.1:8080/`):
    /// its listeners' apps ask the address in the feed (the show's `base_url`), not this server.
    package static func elsewhere(root: URL, servedAt: String) -> [Elsewhere] {
        let base = servedAt.hasSuffix("/") ? servedAt : servedAt + "/"
        var feeds = [""]
        if let folders = try? FileManager.default.contentsOfDirectory(atPath: root.path) {
            feeds += folders.sorted().filter { !$0.hasPrefix(".") }.map { $0 + "/" }
        }
        var found: [Elsewhere] = []
        for folder in feeds {
            let path = root.appendingPathComponent(folder + "feed.xml").path
            guard FileStatus(path: path)?.kind == .regular, let data = FileManager.default.contents(atPath: path),
                  let enclosure = firstEnclosure(in: String(decoding: data, as: UTF8.self)) else { continue }
            let served = base + folder
            if !enclosure.hasPrefix(served) {
                found.append(Elsewhere(feed: folder + "feed.xml", enclosure: enclosure, served: served))
            }
        }
        return found
    }

    /// The `url` of the first `<enclosure>` of a feed.
    static func firstEnclosure(in feed: String) -> String? {
        guard let tag = feed.range(of: "<enclosure "), let url = feed[tag.upperBound...].range(of: "url=\"") else { return nil }
        let rest = feed[url.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&amp;", with: "&")
    }
}
