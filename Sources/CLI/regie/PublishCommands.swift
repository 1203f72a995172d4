import ArgumentParser
import AudioIO
import Foundation
import Logging
import Podcast
import Production
import RegieModel
import RegieYAML
import Server

/// `regie publish RUNDOWN EPISODE.mp3`
struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish an episode's MP3 to the show's podcast folder: feed.xml, index.html and chapters, atomically.",
        discussion: """
        Copies the MP3 in under an ASCII name, writes its chapters (from EPISODE.chapters.json beside it when present, else from the plan) and rewrites feed.xml and index.html so that a reader never sees a half-written file. Publishing the same episode again keeps its GUID.

        Example:
          regie render shows/campus-magazine/2026-11-05.yaml
          regie publish shows/campus-magazine/2026-11-05.yaml renders/campus-magazine/2026-11-05.mp3
          regie serve
        """
    )

    @Argument(help: "The episode rundown (shows/<show>/<yyyy-mm-dd>.yaml).")
    var rundown: String?

    @Argument(help: "The episode's MP3 (from 'regie render' or a live recording).")
    var mp3: String?

    @Option(help: "The show's published folder (default: public/<show>/), or ssh://[user@]host[:port]/path to mirror the folder to a web host (default: the station's 'remote:').")
    var to: String?

    @Option(help: "Public URL of the published folder, instead of the show's base_url (for a staging server).")
    var baseURL: String?

    @Flag(help: "Send the mirrors left pending when the web host was unreachable (under public/, or the folder --to names), then exit.")
    var retry = false

    @Option(help: "Seconds to keep trying an unreachable web host (1 s, 2 s, 4 s … apart) before leaving the mirror pending.")
    var retryFor: Double = 60

    @Option(help: "Upload limit to the web host in kilobits per second (default: the station's 'remote_limit_kbps', else none).")
    var limitKbps: Int?

    func validate() throws {
        if !retry && rundown == nil {
            throw ValidationError("name the episode's rundown and MP3 (or the rundown alone to announce the live show, or --retry to send pending mirrors)")
        }
        guard retryFor >= 0, retryFor <= 86_400 else { throw ValidationError("--retry-for must be from 0 to 86400 seconds") }
        if let limitKbps, !(8...10_000_000).contains(limitKbps) { throw ValidationError("--limit-kbps must be from 8 to 10000000") }
    }

    func run() throws {
        let local = to.flatMap { $0.hasPrefix("ssh://") ? nil : $0 }
        if retry {
            let root = URL(fileURLWithPath: local ?? "public")
            if !retryPendingMirrors(under: root, retryFor: retryFor) { throw ExitCode(1) }
            return
        }
        let rundown = rundown!, plan = try loadPlan(rundown)
        let remote = try remoteMirror(option: to, limitKbps: limitKbps, rundown: rundown)
        guard let mp3 else {
            // The rundown alone: the show announced as coming live (podcast:liveItem, pending).
            let folder = try announcePendingLive(plan: plan, rundown: rundown, to: local)
            if let remote, !mirrorPublishedFolder(folder, show: plan.rundown.show.slug, with: remote, retryFor: retryFor) {
                throw ExitCode(1)
            }
            return
        }
        let (folder, episode) = try regiePublishEpisode(plan: plan, mp3: URL(fileURLWithPath: mp3), to: local, baseURL: baseURL)
        print("Published episode \(plan.rundown.episode.map(String.init) ?? "") to \(folder.path)/feed.xml")
        guard let remote else { return }
        guard mirrorPublishedFolder(folder, show: plan.rundown.show.slug, with: remote, retryFor: retryFor) else {
            throw ExitCode(1)
        }
        // Fetched back from where listeners fetch it, when the show says where that is.
        guard let base = baseURL ?? plan.rundown.show.baseURL, let feedURL = PublicCopyCheck.feedURL(base: base) else { return }
        let problems = PublicCopyCheck.problems(feedURL: feedURL, enclosureFile: episode.mp3File,
                                                local: folder.appendingPathComponent(episode.mp3File))
        if problems.isEmpty {
            print("checked at \(feedURL): the feed names \(episode.mp3File), which answers with its whole length and its first bytes")
        } else {
            for problem in problems { printError("regie: after the mirror, \(problem)") }
            throw ExitCode(1)
        }
    }
}

/// The show of `plan` announced in its feed and page as coming live on the station's first
/// stream (`podcast:liveItem status="pending"`, its slot as start and end). Returns the folder.
func announcePendingLive(plan: Plan, rundown: String, to local: String?) throws -> URL {
    let (station, diagnostics) = StationReader.read(path: StationReader.file(forRundown: rundown))
    guard let station else {
        for diagnostic in diagnostics where diagnostic.severity == .error { printError(diagnostic.description) }
        throw ExitCode(1)
    }
    guard let stream = station.streams.first else {
        printError("regie: the station streams nowhere ('streams:' in station.yaml): there is no live show to announce; publish the episode with its MP3")
        throw ExitCode(2)
    }
    guard let number = plan.rundown.episode else {
        printError("\(plan.rundown.file):1:1: error: the rundown has no 'episode': the live show cannot be announced")
        throw ExitCode(1)
    }
    // The same folder as the episode's publish.
    let folder = URL(fileURLWithPath: local ?? "public/\(plan.rundown.show.slug)")
    let air = plan.rundown.air.epochSeconds
    do {
        let channel = try PodcastMapping.channel(for: plan.rundown.show)
        let item = PodcastLiveItem(status: .pending, number: number, title: plan.rundown.title, start: air,
                                   end: air + Int64(FrameMath.seconds(plan.slot, sampleRate: plan.sampleRate)),
                                   utcOffsetSeconds: plan.rundown.air.utcOffsetSeconds, streamURL: stream.publicURL,
                                   guid: Publisher.liveGUID(channel: channel, number: number))
        try Publisher().announceLive(item, channel: channel, in: folder)
    } catch {
        printError("regie: \(error)")
        throw ExitCode(1)
    }
    print("Announced episode \(number) as coming live on \(stream.publicURL) in \(folder.path)/feed.xml")
    return folder
}

/// `regie unpublish RUNDOWN`
struct Unpublish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove an episode from the show's podcast folder; the feed stays valid and other GUIDs unchanged.",
        discussion: """
        Example:
          regie unpublish shows/campus-magazine/2026-11-05.yaml
        """
    )

    @Argument(help: "The episode rundown whose episode number to remove.")
    var rundown: String

    @Option(help: "The show's published folder (default: public/<show>/).")
    var from: String?

    @Option(help: "ssh://[user@]host[:port]/path: remove it on this web host too (default: the station's 'remote:').")
    var to: String?

    @Option(help: "Seconds to keep trying an unreachable web host before leaving the removal pending.")
    var retryFor: Double = 60

    @Option(help: "Upload limit to the web host in kilobits per second (default: the station's 'remote_limit_kbps').")
    var limitKbps: Int?

    func run() throws {
        let plan = try loadPlan(rundown)
        let remote = try remoteMirror(option: to, limitKbps: limitKbps, rundown: rundown)
        let folder = URL(fileURLWithPath: from ?? "public/\(plan.rundown.show.slug)")
        guard let number = plan.rundown.episode else {
            printError("\(plan.rundown.file):1:1: error: the rundown has no 'episode': nothing to remove")
            throw ExitCode(1)
        }
        do {
            try Publisher().unpublish(number: number, from: folder)
        } catch let error as PodcastError {
            printError("regie: \(error)")
            throw ExitCode(1)
        }
        print("Removed episode \(number) from \(folder.path)/feed.xml")
        // The far side follows: the feed first, then the files it no longer names.
        if let remote, !mirrorPublishedFolder(folder, show: plan.rundown.show.slug, with: remote, retryFor: retryFor) {
            throw ExitCode(1)
        }
    }
}

/// `regie serve [DIR]`
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve published podcast folders over HTTP for listeners' podcast apps.",
        discussion: """
        Serves DIR read-only: feeds, episodes (with byte ranges, ETag, Last-Modified), chapters and pages; no directory listings and nothing outside DIR. One access-log line per request on standard error. Stops cleanly on Ctrl-C or SIGTERM.

        Example:
          regie serve                      # http://127.0.0.1:8080/campus-magazine/feed.xml
          regie serve public --host 0.0.0.0 --port 8000
        """
    )

    @Argument(help: "The folder to serve.")
    var directory: String = "public"

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port: Int = 8080

    @Option(help: "Seconds a connection may wait for a whole request, or a client may take nothing of an answer, before it is closed (nginx's client_header_timeout and send_timeout).")
    var timeout: Int = 60

    @Option(help: "Connections kept open at most (fewer if the descriptor limit is lower); at the limit a new one replaces the longest-idle.")
    var maxConnections: Int = 16_384

    func validate() throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout must be from 1 to 3600 seconds, found \(timeout)") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1, found \(maxConnections)") }
    }

    func run() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            printError("regie: '\(directory)' is not a folder: publish an episode first ('regie publish') or name the folder")
            throw ExitCode(1)
        }
        var logger = Logger(label: "regie.serve")
        logger.logLevel = .info
        let host = self.host
        let root = URL(fileURLWithPath: directory)
        let server = PublishedFolderServer(root: root, host: host, port: port, logger: logger, timeout: .seconds(timeout),
                                           maxConnections: maxConnections) { port in
            printError("Serving \(directory) at http://\(host):\(port)/ (Ctrl-C to stop)")
            for feed in FeedAddresses.elsewhere(root: root, servedAt: "http://\(host):\(port)/") {
                printError("regie: warning: \(feed.feed) sends podcast apps to \(feed.enclosure), not to this server (\(feed.served)): set the show's base_url to the address listeners reach, and publish again")
            }
        }
        try await server.run()
    }
}

/// Reads, checks and plans a rundown; prints diagnostics and fails on errors.
func loadPlan(_ rundown: String) throws -> Plan {
    var workspace = Workspace()
    workspace.load([rundown])
    for diagnostic in workspace.diagnostics where diagnostic.severity == .error { printError(diagnostic.description) }
    guard !workspace.hasErrors, let plan = workspace.plans.first else { throw ExitCode(1) }
    return plan
}

/// Publishes `mp3` as the episode of `plan`; returns the published folder.
@discardableResult
func regiePublish(plan: Plan, mp3: URL, to: String?, baseURL: String? = nil) throws -> URL {
    try regiePublishEpisode(plan: plan, mp3: mp3, to: to, baseURL: baseURL).folder
}

/// Publishes `mp3` as the episode of `plan`; returns the published folder and the episode.
func regiePublishEpisode(plan: Plan, mp3: URL, to: String?, baseURL: String? = nil) throws -> (folder: URL, episode: PublishedEpisode) {
    let folder = URL(fileURLWithPath: to ?? "public/\(plan.rundown.show.slug)")
    do {
        let episode = try EpisodePublishing.publish(plan: plan, mp3: mp3, to: folder, baseURL: baseURL)
        return (folder, episode)
    } catch .metadata(let missing) {
        for diagnostic in missing.diagnostics { printError(diagnostic.description) }
        printError("regie: nothing published: the podcast needs the keys above")
        throw ExitCode(1)
    } catch {
        printError("regie: \(error)")
        throw ExitCode(1)
    }
}
