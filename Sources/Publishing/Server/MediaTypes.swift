/// Content types and caching for the files a published folder holds.
enum MediaTypes {
    /// The `Content-Type` for a file name; text types carry `charset=utf-8`.
    static func forFile(_ name: String) -> String {
        let lower = name.lowercased()
        if lower.hasSuffix(".chapters.json") { return "application/json+chapters" }
        switch lower.split(separator: ".").last.map(String.init) ?? "" {
        case "xml", "rss": return lower.hasSuffix("feed.xml") || lower.hasSuffix(".rss")
            ? "application/rss+xml; charset=utf-8" : "application/xml; charset=utf-8"
        case "mp3": return "audio/mpeg"
        case "m4a": return "audio/mp4"
        case "ogg", "oga": return "audio/ogg"
        case "json": return "application/json"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "webp": return "image/webp"
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "txt": return "text/plain; charset=utf-8"
        case "vtt": return "text/vtt; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    /// Feed, page and JSON change on every publish: revalidate each time (cheap with ETag/304).
    /// Audio and images are replaced only on re-publish: let caches keep them an hour.
    static func cacheControl(_ name: String) -> String {
        let lower = name.lowercased()
        if lower.hasSuffix(".mp3") || lower.hasSuffix(".png") || lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
            return "public, max-age=3600"
        }
        return "no-cache"
    }
}
