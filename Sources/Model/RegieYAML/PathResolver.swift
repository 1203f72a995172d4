import Foundation
import RegieModel
import Support

/// How names in a show resolve to files: relative paths against the file that names them, bare
/// jingle names in the jingles folder with any of the readable extensions.
package enum PathResolver {
    /// Extensions tried, in order, for a bare jingle name.
    package static let jingleExtensions = ["wav", "flac", "ogg", "mp3"]

    /// The folder holding `file`.
    package static func directory(of file: String) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
    }

    /// `path` made absolute against the folder of `file`.
    package static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return URL(fileURLWithPath: directory(of: file)).appendingPathComponent(path).standardizedFileURL.path
    }

    /// `<repository root>/jingles` for a show in `<root>/shows/<show>/`.
    package static func defaultJinglesDirectory(forShowDirectory directory: String) -> String {
        URL(fileURLWithPath: directory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("jingles").standardizedFileURL.path
    }

    /// True when `name` is a bare jingle name rather than a path: no folder and no extension.
    package static func isBareName(_ name: String) -> Bool {
        !name.contains("/") && URL(fileURLWithPath: name).pathExtension.isEmpty
    }

    /// Resolves a jingle (or bed) given as a bare name or a path, reporting when it is missing.
    static func resolveJingle(_ name: String, relativeTo file: String, jinglesDirectory: String, key: String,
                              location: SourceLocation?, diagnostics: inout DiagnosticList) -> String? {
        if isBareName(name) {
            for ext in jingleExtensions {
                let candidate = URL(fileURLWithPath: jinglesDirectory).appendingPathComponent("\(name).\(ext)").path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
            }
            let available = ((try? FileManager.default.contentsOfDirectory(atPath: jinglesDirectory)) ?? [])
                .filter { jingleExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
                .map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
            var message = "'\(key)' '\(name)' not found in \(displayPath(jinglesDirectory)) (looked for \(name).wav, .flac, .ogg, .mp3)"
            if let suggestion = Suggestions.closest(to: name, among: available) { message += "; did you mean '\(suggestion)'?" }
            diagnostics.error(location, message)
            return nil
        }
        return resolveExisting(name, relativeTo: file, key: key, location: location, diagnostics: &diagnostics)
    }

    /// Resolves a path and reports when nothing is there.
    static func resolveExisting(_ path: String, relativeTo file: String, key: String, location: SourceLocation?,
                                diagnostics: inout DiagnosticList) -> String? {
        let resolved = resolve(path, relativeTo: file)
        var isDirectory: ObjCBool = false
        // Something there that is not a file (a FIFO, a device, a link loop): say what, by stat
        // alone (opening a FIFO would block the check).
        if let why = FileStatus.whyNotARegularFile(resolved), why != "does not exist",
           !why.hasPrefix("is a folder") {
            diagnostics.error(location, "'\(key)' file '\(path)' \(why)")
            return nil
        }
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
            var message = "'\(key)' file '\(path)' does not exist"
            let folder = URL(fileURLWithPath: resolved).deletingLastPathComponent().path
            if let names = try? FileManager.default.contentsOfDirectory(atPath: folder),
               let suggestion = Suggestions.closest(to: URL(fileURLWithPath: resolved).lastPathComponent, among: names) {
                let written = URL(fileURLWithPath: path).deletingLastPathComponent().relativePath
                message += "; did you mean '\(written == "." ? "" : written + "/")\(suggestion)'?"
            }
            diagnostics.error(location, message)
            return nil
        }
        if isDirectory.boolValue {
            diagnostics.error(location, "'\(key)' '\(path)' is a folder, not an audio file")
            return nil
        }
        return resolved
    }

    /// A path shown relative to the current folder when it is below it.
    package static func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        if path.hasPrefix(cwd + "/") { return String(path.dropFirst(cwd.count + 1)) }
        return path
    }
}

/// ISO 639-1 two-letter language codes.
enum ISO639 {
    static let codes: Set<String> = Set("""
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split(separator: " ").map(String.init))

    static let names: [String: String] = ["english": "en", "french": "fr", "français": "fr", "german": "de",
        "deutsch": "de", "spanish": "es", "español": "es", "italian": "it", "dutch": "nl", "portuguese": "pt"]

    /// Exactly a two-letter ISO 639-1 code, lower case.
    static func isValid(_ text: String) -> Bool { codes.contains(text) }

    /// The code a producer probably meant: `English` → `en`, `en-US` → `en`, `FR` → `fr`.
    static func code(forName name: String) -> String? {
        if let code = names[name.lowercased()] { return code }
        let prefix = String(name.lowercased().prefix(while: { $0 != "-" && $0 != "_" }))
        return codes.contains(prefix) ? prefix : nil
    }
}
