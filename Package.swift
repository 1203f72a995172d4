// swift-tools-version: 6.1
// Régie — radio show production and broadcast automation. See docs/architecture.md for the layout.
import PackageDescription

/// A system library reached through pkg-config, with a tiny C shim header where macros or
/// variadic functions need one.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// The signal path is compiled optimised even in debug builds: unoptimised Swift is ten times too
/// slow to mix and limit in real time, and the tests render whole episodes.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Regie",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "regie", targets: ["regie"]),
        // The engine and its real-time building blocks, for the benchmark package (Benchmarks/).
        .library(name: "RegieEngine", targets: ["Engine", "DSP", "Realtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // The producer's world: shows, rundowns, time values in frames, validation, the planner.
        .target(name: "RegieModel"),
        // Rundown and show files: YAML with a line and column for every diagnostic.
        .target(name: "RegieYAML", dependencies: ["RegieModel", .product(name: "Yams", package: "Yams")]),

        // C libraries.
        systemLibrary("CSndFile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        systemLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
        systemLibrary("CLame", pkgConfig: "lame", apt: "libmp3lame-dev"),
        systemLibrary("CEbur128", pkgConfig: "libebur128", apt: "libebur128-dev"),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: "libsoxr-dev"),
        // ncursesw without pkg-config: its .pc file adds -D_XOPEN_SOURCE=600, which SwiftPM refuses
        // (a warning on every build). The module map links ncursesw and tinfo, as `pkg-config --libs` says.
        .systemLibrary(name: "CCurses", providers: [.apt(["libncursesw5-dev"])]),

        // Audio: decoding, resampling, loudness measurement, ALSA devices.
        .target(name: "AudioIO", dependencies: ["CSndFile", "CALSA", "CEbur128", "CSoxr", "DSP", "Realtime"],
                swiftSettings: optimisedInDebug),
        // Real-time building blocks: no Foundation, no allocation after setup.
        .target(name: "DSP", swiftSettings: optimisedInDebug),
        .target(name: "Realtime", dependencies: ["CThreadAffinity"], swiftSettings: optimisedInDebug),
        // sched_setaffinity, which Swift's Glibc module does not declare (it is a GNU extension).
        .target(name: "CThreadAffinity"),
        // The render graph (Render/: render-thread code) and its control side (Control/).
        .target(name: "Engine", dependencies: ["DSP", "Realtime", "AudioIO", "RegieModel"], swiftSettings: optimisedInDebug),

        // MP3 episodes: LAME encoding, ID3v2.3 tags with chapters, crash-safe and atomic files.
        .target(name: "Recorder", dependencies: ["CLame", "Engine", "AudioIO", "DSP", "Realtime", "RegieModel", "Podcast"],
                swiftSettings: optimisedInDebug),
        // Test helper: records a tone in real time until killed (the crash-safety test kills it).
        .executableTarget(name: "recorder-crash-probe", dependencies: ["Recorder"]),

        // Publishing: feed.xml, chapters JSON, index.html, atomic writes. Foundation only.
        .target(name: "Podcast", dependencies: ["RegieModel"]),
        // Read-only HTTP serving of a published folder.
        .target(
            name: "Server",
            dependencies: [
                "RegieModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The live console: snapshot → view model (pure, testable), key decoding, ncurses drawing.
        .target(name: "Console", dependencies: ["RegieModel", "CCurses"]),
        // The console on a simulated show (no audio): for trying the screen and for the tmux test.
        .executableTarget(name: "regie-console-demo", dependencies: ["Console", "RegieModel", "RegieYAML", "AudioIO"]),

        .executableTarget(
            name: "regie",
            dependencies: [
                "RegieModel", "RegieYAML", "AudioIO", "Engine", "Recorder", "Podcast", "Server", "Console",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared by the tests: running real programs, the built `regie`, scratch folders.
        .target(name: "TestSupport", dependencies: ["Podcast"], path: "Sources/TestSupport"),

        .testTarget(name: "RegieModelTests", dependencies: ["RegieModel"]),
        // Test support: per-thread heap allocation counting (interposes malloc in the test process).
        .target(name: "CAllocationCounter", path: "Tests/Support/CAllocationCounter"),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO", "DSP", "Realtime", "CAllocationCounter", "TestSupport", "CSndFile", "CALSA", "CLame", "CEbur128", "CSoxr"]),
        .testTarget(name: "DSPTests", dependencies: ["DSP", "CAllocationCounter"], exclude: ["Golden"]),
        .testTarget(name: "RealtimeTests", dependencies: ["Realtime", "CAllocationCounter"]),
        .testTarget(name: "RegieCLITests", dependencies: ["RegieModel", "Recorder", "TestSupport"], exclude: ["Corpus"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "AudioIO", "DSP", "Realtime", "RegieModel", "RegieYAML", "TestSupport", "CAllocationCounter"],
                    exclude: ["Golden"]),
        .testTarget(name: "RecorderTests", dependencies: ["Recorder", "recorder-crash-probe", "RegieModel", "Realtime", "AudioIO", "Podcast", "CAllocationCounter", "TestSupport"]),
        .testTarget(name: "PodcastTests", dependencies: ["Podcast", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "RegieModel", "RegieYAML", "TestSupport", "regie-console-demo"]),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "Podcast", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
