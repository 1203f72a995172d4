import Foundation
import Support

/// RSS 2.0 feed with the iTunes, content, Podcast Index and Atom namespaces.
enum FeedXML {
    /// The whole `feed.xml` for a channel and its episodes (in the order given; newest first).
    static func render(channel: PodcastChannel, podcastGUID: String, artworkFile: String, episodes: [PublishedEpisode],
                       live: PodcastLiveItem? = nil, lastBuildDate: Date) -> [UInt8] {
        let base = channel.normalizedBaseURL
        var x = MarkupBuffer(capacity: 4096 + episodes.count * 2048)
        x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        x.raw("<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"")
        x.raw(" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"")
        x.raw(" xmlns:podcast=\"https://podcastindex.org/namespace/1.0\"")
        x.raw(" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n")
        element(&x, "title", channel.title)
        element(&x, "link", channel.link)
        x.raw("<atom:link href=\""); x.text(channel.feedURL); x.raw("\" rel=\"self\" type=\"application/rss+xml\"/>\n")
        element(&x, "description", channel.description)
        element(&x, "language", channel.language)
        element(&x, "copyright", channel.copyright ?? "© \(channel.author)")
        element(&x, "lastBuildDate", DateText.rfc2822(lastBuildDate.unixSeconds))
        element(&x, "generator", "Régie")
        element(&x, "itunes:author", channel.author)
        element(&x, "itunes:summary", channel.description)
        x.raw("<itunes:owner>\n")
        element(&x, "itunes:name", channel.ownerName)
        element(&x, "itunes:email", channel.ownerEmail)
        x.raw("</itunes:owner>\n")
        x.raw("<itunes:image href=\""); x.text(base + artworkFile); x.raw("\"/>\n")
        x.raw("<image>\n")
        element(&x, "url", base + artworkFile)
        element(&x, "title", channel.title)
        element(&x, "link", channel.link)
        x.raw("</image>\n")
        if let (parent, child) = ApplePodcastCategories.parse(channel.category) {
            x.raw("<itunes:category text=\""); x.text(parent)
            if let child {
                x.raw("\">\n  <itunes:category text=\""); x.text(child); x.raw("\"/>\n</itunes:category>\n")
            } else {
                x.raw("\"/>\n")
            }
        }
        element(&x, "itunes:explicit", channel.explicit ? "true" : "false")
        element(&x, "itunes:type", "episodic")
        element(&x, "podcast:guid", podcastGUID)
        x.raw("<podcast:locked owner=\""); x.text(channel.ownerEmail); x.raw("\">no</podcast:locked>\n")
        if let live {
            // Podcasting 2.0: the show on air (or coming, or just over), its stream as the
            // enclosure; readers that do not know the tag skip it whole.
            x.raw("<podcast:liveItem status=\""); x.text(live.status.rawValue)
            x.raw("\" start=\""); x.text(DateText.iso8601(seconds: live.start, utcOffsetSeconds: live.utcOffsetSeconds))
            x.raw("\" end=\""); x.text(DateText.iso8601(seconds: live.end, utcOffsetSeconds: live.utcOffsetSeconds))
            x.raw("\">\n")
            element(&x, "title", live.title)
            x.raw("<guid isPermaLink=\"false\">"); x.text(live.guid); x.raw("</guid>\n")
            x.raw("<enclosure url=\""); x.text(live.streamURL); x.raw("\" type=\"audio/mpeg\" length=\"0\"/>\n")
            x.raw("<podcast:contentLink href=\""); x.text(base); x.raw("\">Listen live on the show's page</podcast:contentLink>\n")
            x.raw("</podcast:liveItem>\n")
        }

        for ep in episodes {
            x.raw("<item>\n")
            element(&x, "title", ep.title)
            element(&x, "itunes:title", ep.title)
            let html: String
            switch ep.description {
            case .plain(let s):
                // RSS readers treat <description> as HTML: hand them the escaped paragraphs, so
                // text that looks like markup stays text.
                html = SafeHTML.fromPlain(s)
                x.raw("<description>"); x.cdata(html); x.raw("</description>\n")
            case .html(let s):
                // Apps render this HTML; give them only the harmless subset the page uses too.
                html = SafeHTML.sanitize(s)
                x.raw("<description>"); x.cdata(html); x.raw("</description>\n")
            }
            x.raw("<content:encoded>"); x.cdata(html); x.raw("</content:encoded>\n")
            element(&x, "pubDate", DateText.rfc2822(ep.pubDate.unixSeconds))
            x.raw("<guid isPermaLink=\"false\">"); x.text(ep.guid); x.raw("</guid>\n")
            x.raw("<link>"); x.text(base + "#" + ep.slug); x.raw("</link>\n")
            x.raw("<enclosure url=\""); x.text(base + ep.mp3File)
            x.raw("\" length=\""); x.raw(String(ep.length)); x.raw("\" type=\"audio/mpeg\"/>\n")
            element(&x, "itunes:duration", String(Int(max(0, ep.duration).rounded())))
            element(&x, "itunes:episode", String(ep.number))
            element(&x, "itunes:episodeType", ep.episodeType.rawValue)
            element(&x, "itunes:explicit", channel.explicit ? "true" : "false")
            x.raw("<itunes:image href=\""); x.text(base + (ep.imageFile ?? artworkFile)); x.raw("\"/>\n")
            if let chaptersFile = ep.chaptersFile {
                x.raw("<podcast:chapters url=\""); x.text(base + chaptersFile)
                x.raw("\" type=\"application/json+chapters\"/>\n")
            }
            x.raw("</item>\n")
        }
        x.raw("</channel>\n</rss>\n")
        return x.bytes
    }

    @inline(__always)
    private static func element(_ x: inout MarkupBuffer, _ name: String, _ value: String) {
        x.raw("<"); x.raw(name); x.raw(">"); x.text(value); x.raw("</"); x.raw(name); x.raw(">\n")
    }
}
