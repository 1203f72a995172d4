// swift-tools-version: 6.1
// Régie — radio show production and broadcast automation, for Linux (ALSA). The folders under
// Sources/ follow the data flow: model → realtime and DSP → audio files, devices and MP3 → engine →
// production (offline) and playout (live) → publishing → the command line. docs/architecture.md
// says what each target holds and may import.
import PackageDescription

/// A system library reached through pkg-config, with a tiny C shim header where macros or
/// variadic functions need one.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/Audio/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// The signal path is compiled optimised even in debug builds: unoptimised Swift is ten times too
/// slow to mix and limit in real time, and the tests render whole episodes. (Not `-wmo`: SwiftPM's
/// debug builds index file by file, which whole-module compilation breaks; release builds and the
/// benchmarks are whole-module anyway.)
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Regie",
    products: [
        .executable(name: "regie", targets: ["regie"]),
        // The engine and its real-time building blocks, for the benchmark package (Benchmarks/).
        .library(name: "RegieEngine", targets: ["Engine", "DSP", "Realtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The HTTP server of `regie serve`: sendfile(2), back-pressure and timeouts at the socket.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: Model — the producer's world, no audio.
        // Shows, rundowns, time values in frames, validation, the planner. Imports nothing.
        .target(name: "RegieModel", path: "Sources/Model/RegieModel"),
        // Rundown and show files: YAML with a line and column for every diagnostic.
        .target(name: "RegieYAML", dependencies: ["RegieModel", "Support", .product(name: "Yams", package: "Yams")],
                path: "Sources/Model/RegieYAML"),

        // MARK: Support — one of each: atomic file, folder lock, EINTR-safe calls, clocks, dates.
        // Glibc and the model's calendar only (no Foundation): the render thread may read its clocks.
        .target(name: "Support", dependencies: ["RegieModel", "CLinux"], path: "Sources/Support/Support"),
        // The GNU extensions Swift's Glibc module does not declare: sched_setaffinity, fallocate.
        .target(name: "CLinux", path: "Sources/Support/CLinux"),

        // MARK: Realtime and DSP — what the render thread runs besides the mixer. No Foundation.
        // Rings (touched and locked before use), queues, latest-value slots, thread scheduling.
        .target(name: "Realtime", dependencies: ["CLinux", "Support"], path: "Sources/Realtime/Realtime",
                swiftSettings: optimisedInDebug),
        // Fades, ducking, true-peak limiter and meters, loudness windows.
        .target(name: "DSP", path: "Sources/Realtime/DSP", swiftSettings: optimisedInDebug),

        // MARK: Audio — files, devices and the MP3 codec.
        systemLibrary("CSndFile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        systemLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
        systemLibrary("CLame", pkgConfig: "lame", apt: "libmp3lame-dev"),
        systemLibrary("CEbur128", pkgConfig: "libebur128", apt: "libebur128-dev"),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: "libsoxr-dev"),
        // File tags (ISRC, album, label…) through TagLib's C++ property map (libtag1-dev).
        .target(name: "CTagReader", path: "Sources/Audio/CTagReader", linkerSettings: [.linkedLibrary("tag")]),
        // Decoding (libsndfile), resampling (soxr), loudness (libebur128), ALSA devices, file tags.
        .target(name: "AudioIO", dependencies: ["CSndFile", "CALSA", "CEbur128", "CSoxr", "CTagReader", "DSP", "Support"],
                path: "Sources/Audio/AudioIO", swiftSettings: optimisedInDebug),
        // MP3 files: LAME encoder, atomic or crash-safe writer, ID3v2.3 with chapters, lossless gain.
        .target(name: "MP3", dependencies: ["CLame", "Support"], path: "Sources/Audio/MP3",
                swiftSettings: optimisedInDebug),

        // MARK: Engine — the mixer (Render/, render thread) and what drives it (Control/).
        .target(name: "Engine", dependencies: ["DSP", "Realtime", "AudioIO", "RegieModel", "Support"],
                swiftSettings: optimisedInDebug),

        // MARK: Production — the episode made offline: render, finishing, chapters, feed mapping.
        .target(name: "Production",
                dependencies: ["Engine", "AudioIO", "MP3", "DSP", "Realtime", "RegieModel", "RegieYAML", "Podcast", "Support"],
                swiftSettings: optimisedInDebug),

        // MARK: Playout — the live show as a library: session, capture, tracker, console, recorders.
        .target(name: "Playout",
                dependencies: ["Engine", "AudioIO", "MP3", "Production", "Console", "Realtime", "RegieModel",
                               "Podcast", "Stream", "Support", .product(name: "Logging", package: "swift-log")],
                swiftSettings: optimisedInDebug),

        // MARK: Publishing — the podcast folder and its HTTP server.
        // feed.xml, chapters JSON, index.html, atomic publishing. Foundation only.
        .target(name: "Podcast", dependencies: ["RegieModel", "Support"], path: "Sources/Publishing/Podcast"),
        // The live show to Icecast: its own ring, LAME instance and thread; libshout connections.
        .systemLibrary(name: "CShout", path: "Sources/Publishing/CShout", pkgConfig: "shout", providers: [.apt(["libshout-dev"])]),
        .target(name: "Stream", dependencies: ["CShout", "MP3", "Realtime", "RegieModel"], path: "Sources/Publishing/Stream"),
        // Read-only HTTP serving of a published folder.
        .target(name: "Server",
                dependencies: ["RegieModel", "Support", "CLinux",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "Logging", package: "swift-log")],
                path: "Sources/Publishing/Server"),

        // MARK: Console — the technician's screen: snapshot → view model (pure), keys, ncurses.
        // ncursesw without pkg-config: its .pc file adds -D_XOPEN_SOURCE=600, which SwiftPM refuses
        // (a warning on every build). The module map links ncursesw and tinfo, as `pkg-config --libs` says.
        .systemLibrary(name: "CCurses", path: "Sources/Console/CCurses", providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "Console", dependencies: ["RegieModel", "CCurses"], path: "Sources/Console/Console"),

        // MARK: Command line — parse options, call a library, print.
        .executableTarget(
            name: "regie",
            dependencies: [
                "RegieModel", "RegieYAML", "AudioIO", "Engine", "Production", "Playout", "Podcast", "Server",
                "Console", "Stream", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/CLI/regie"
        ),

        // MARK: Tools the tests run.
        // Records a tone in real time until killed (the crash-safety test kills it).
        .executableTarget(name: "recorder-crash-probe", dependencies: ["Playout", "MP3", "Production", "Realtime", "Support"],
                          path: "Sources/Tools/recorder-crash-probe"),
        // The console on a simulated show (no audio): for trying the screen and for the tmux test.
        .executableTarget(name: "regie-console-demo", dependencies: ["Console", "RegieModel", "RegieYAML", "AudioIO"],
                          path: "Sources/Tools/regie-console-demo"),
        // Fuzz targets (rundown reader, times, byte ranges, request paths, whole requests through
        // the server's pipeline): libFuzzer through `scripts/fuzz`, a replayer of saved inputs otherwise.
        .executableTarget(name: "regie-fuzz",
                          dependencies: ["RegieModel", "RegieYAML", "Server", .product(name: "Logging", package: "swift-log"),
                                         .product(name: "NIOCore", package: "swift-nio"),
                                         .product(name: "NIOEmbedded", package: "swift-nio"),
                                         .product(name: "NIOHTTP1", package: "swift-nio")],
                          path: "Sources/Tools/RegieFuzz"),

        // MARK: Tests.
        // Shared by the tests: running real programs, the built `regie`, scratch folders, decoding.
        .target(name: "TestSupport", dependencies: ["Podcast", "RegieModel", "MP3", "CAllocationCounter"], path: "Sources/TestSupport"),
        // Per-thread heap allocation counting (interposes malloc in the test process).
        .target(name: "CAllocationCounter", path: "Tests/Support/CAllocationCounter"),

        .testTarget(name: "RegieModelTests", dependencies: ["RegieModel"]),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestSupport"]),
        .testTarget(name: "RealtimeTests", dependencies: ["Realtime", "TestSupport"]),
        .testTarget(name: "DSPTests", dependencies: ["DSP", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "AudioIOTests",
                    dependencies: ["AudioIO", "DSP", "Realtime", "TestSupport", "CSndFile", "CALSA",
                                   "CLame", "CEbur128", "CSoxr"]),
        .testTarget(name: "MP3Tests", dependencies: ["MP3", "AudioIO", "TestSupport"]),
        .testTarget(name: "EngineTests",
                    dependencies: ["Engine", "AudioIO", "DSP", "Realtime", "RegieModel", "RegieYAML", "Support",
                                   "TestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "ProductionTests",
                    dependencies: ["Production", "Engine", "MP3", "AudioIO", "RegieModel", "Podcast", "TestSupport"]),
        .testTarget(name: "PlayoutTests",
                    dependencies: ["Playout", "recorder-crash-probe", "Production", "Engine", "MP3", "AudioIO", "Console", "DSP",
                                   "RegieModel", "RegieYAML", "Realtime", "Podcast", "Stream", "Support", "TestSupport",
                                   .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PodcastTests", dependencies: ["Podcast", "TestSupport"]),
        .testTarget(name: "StreamTests", dependencies: ["Stream", "Realtime", "RegieModel", "TestSupport"]),
        .testTarget(name: "ServerTests",
                    dependencies: ["Server", "Podcast", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "RegieModel", "RegieYAML", "TestSupport", "regie-console-demo"]),
        .testTarget(name: "RegieCLITests", dependencies: ["RegieModel", "Production", "Playout", "MP3", "TestSupport"],
                    exclude: ["Corpus"]),
    ],
    swiftLanguageModes: [.v6]
)

/// The lower layers, whose imports are internal unless a declaration's signature shows them: a
/// module that uses Glibc or Yams inside does not hand them to every module above it.
let importsAreInternal: Set = ["RegieModel", "RegieYAML", "Support", "Realtime", "DSP", "AudioIO", "MP3"]

// Every target: a file sees only the members of the modules it imports itself (so a render-path
// file cannot reach Foundation's members through another module), and imports are internal unless
// a declaration's signature needs them (`package import`, `public import`).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    if importsAreInternal.contains(target.name) { settings.append(.enableUpcomingFeature("InternalImportsByDefault")) }
    target.swiftSettings = settings
}
