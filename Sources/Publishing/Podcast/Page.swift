import Foundation
import Support

/// `index.html`: the show's page for a browser. Self-contained (inline CSS and a few lines of
/// script to make chapter links seek the player); every piece of data is escaped.
enum IndexHTML {
    static func render(channel: PodcastChannel, artworkFile: String, episodes: [PublishedEpisode],
                       live: PodcastLiveItem? = nil) -> [UInt8] {
        var h = MarkupBuffer(capacity: 8192 + episodes.count * 1536)
        h.raw("<!DOCTYPE html>\n<html lang=\""); h.text(channel.language); h.raw("\">\n<head>\n")
        h.raw("<meta charset=\"utf-8\">\n")
        h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        // Nothing is loaded from elsewhere; inline style and script are ours.
        h.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; ")
        // The live stream comes from the Icecast server: its origin (only) may play here.
        let streamOrigin = live.flatMap { URL(string: $0.streamURL) }.flatMap { url in
            url.host.map { "\(url.scheme ?? "http")://\($0)" + (url.port.map { ":\($0)" } ?? "") }
        }
        h.raw("style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self'; media-src 'self'")
        if let streamOrigin, live?.status == .live { h.raw(" "); h.text(streamOrigin) }
        h.raw("\">\n")
        h.raw("<title>"); h.text(channel.title); h.raw("</title>\n")
        h.raw("<link rel=\"alternate\" type=\"application/rss+xml\" title=\""); h.text(channel.title)
        h.raw("\" href=\"feed.xml\">\n")
        h.raw(style)
        h.raw("</head>\n<body>\n<header>\n")
        h.raw("<img class=\"art\" src=\""); h.text(artworkFile); h.raw("\" alt=\"\" width=\"160\" height=\"160\">\n")
        h.raw("<div>\n<h1>"); h.text(channel.title); h.raw("</h1>\n")
        h.raw("<p class=\"by\">"); h.text(channel.author); h.raw("</p>\n")
        h.raw("<p>"); h.text(channel.description); h.raw("</p>\n")
        h.raw("<p><a class=\"feed\" href=\"feed.xml\">Subscribe (RSS feed)</a> <span class=\"url\">")
        h.text(channel.feedURL); h.raw("</span></p>\n")
        h.raw("</div>\n</header>\n<main>\n")
        if let live, live.status != .ended {
            h.raw("<section class=\"live\" id=\"live\">\n<h2>")
            if live.status == .live {
                h.raw("On air now: "); h.text(live.title); h.raw("</h2>\n")
                h.raw("<p><audio controls preload=\"none\" src=\""); h.text(live.streamURL); h.raw("\"></audio> ")
                h.raw("<a href=\""); h.text(live.streamURL); h.raw("\">Listen live</a></p>\n")
            } else {
                h.raw("Live on "); h.raw(DateText.human(live.start)); h.raw(": "); h.text(live.title); h.raw("</h2>\n")
                h.raw("<p>Listen live here when the show starts.</p>\n")
            }
            h.raw("</section>\n")
        }
        if episodes.isEmpty { h.raw("<p>No episodes yet.</p>\n") }
        for ep in episodes {
            h.raw("<article id=\""); h.text(ep.slug); h.raw("\">\n")
            if let img = ep.imageFile {
                h.raw("<img class=\"ep-art\" src=\""); h.text(img); h.raw("\" alt=\"\" width=\"96\" height=\"96\">\n")
            }
            h.raw("<h2>"); h.text(ep.title); h.raw("</h2>\n")
            h.raw("<p class=\"meta\">")
            if ep.episodeType != .full { h.text(ep.episodeType.rawValue.capitalized); h.raw(" · ") }
            h.raw("Episode "); h.raw(String(ep.number)); h.raw(" · <time datetime=\"")
            h.raw(DateText.isoDay(ep.pubDate.unixSeconds)); h.raw("\">"); h.raw(DateText.human(ep.pubDate.unixSeconds)); h.raw("</time> · ")
            h.raw(Durations.clock(ep.duration)); h.raw("</p>\n")
            h.raw("<audio controls preload=\"none\" src=\""); h.text(ep.mp3File); h.raw("\"></audio>\n")
            h.raw("<div class=\"desc\">")
            switch ep.description {
            case .plain(let s): h.raw(SafeHTML.fromPlain(s))
            case .html(let s): h.raw(SafeHTML.sanitize(s))
            }
            h.raw("</div>\n")
            if !ep.chapters.isEmpty {
                h.raw("<ol class=\"chapters\">\n")
                for ch in ep.chapters {
                    h.raw("<li><a href=\"#"); h.text(ep.slug); h.raw("\" data-t=\"")
                    h.raw(ChaptersJSON.number(ch.startTime)); h.raw("\">"); h.raw(Durations.clock(ch.startTime, roundingDown: true))
                    h.raw("</a> "); h.text(ch.title); h.raw("</li>\n")
                }
                h.raw("</ol>\n")
            }
            h.raw("<p class=\"dl\"><a href=\""); h.text(ep.mp3File); h.raw("\" download>Download MP3</a> (")
            h.raw(megabytes(ep.length)); h.raw(")</p>\n")
            h.raw("</article>\n")
        }
        h.raw("</main>\n")
        h.raw(script)
        h.raw("</body>\n</html>\n")
        return h.bytes
    }

    private static func megabytes(_ n: Int64) -> String {
        if n < 1_000_000 { return "\(max(1, Int((Double(n) / 1000).rounded()))) kB" }
        let tenths = Int((Double(n) / 100_000).rounded())
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    private static let style = """
        <style>
        :root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fafafa;--mute:#666;--acc:#b3261e}
        @media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#161616;--mute:#aaa;--acc:#ff8a80}}
        *{box-sizing:border-box}
        body{margin:0 auto;max-width:44rem;padding:1rem;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;gap:1rem;align-items:flex-start;flex-wrap:wrap;margin-bottom:1.5rem}
        .art{width:160px;height:160px;border-radius:8px;object-fit:cover}
        .ep-art{float:right;width:96px;height:96px;border-radius:6px;margin:0 0 .5rem .5rem}
        header div{flex:1 1 16rem;min-width:0}
        h1{margin:.2rem 0;font-size:1.6rem;line-height:1.2}
        h2{margin:0 0 .2rem;font-size:1.2rem}
        .by,.meta,.url,.dl{color:var(--mute);font-size:.9rem}
        .url{overflow-wrap:anywhere}
        a{color:var(--acc)}
        .feed{font-weight:600}
        article{border-top:1px solid #8884;padding:1rem 0}
        audio{width:100%;margin:.5rem 0}
        .chapters{padding-left:1.2rem}
        .chapters a{font-variant-numeric:tabular-nums;text-decoration:none}
        .desc{overflow-wrap:anywhere}
        </style>

        """

    // Chapter links: seek the player of the same article and start playing.
    private static let script = """
        <script>
        document.addEventListener('click', function (e) {
          var a = e.target.closest('a[data-t]');
          if (!a) return;
          var audio = a.closest('article').querySelector('audio');
          if (!audio) return;
          e.preventDefault();
          audio.currentTime = parseFloat(a.getAttribute('data-t'));
          audio.play();
        });
        </script>

        """
}
