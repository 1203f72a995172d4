// swift-tools-version: 6.1
// Régie's micro-benchmarks (ordo-one/benchmark), kept out of the main package so that building
// and testing Régie does not build the benchmark framework. Run: scripts/bench-block
// (or `swift package benchmark` in this folder). See docs/benchmarks.md.
import PackageDescription

let package = Package(
    name: "RegieBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named so that the product reference below does not depend on the checkout folder's name.
        .package(name: "Regie", path: ".."),
        // The malloc interposer gives the mallocCountTotal metric (allocations per block).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RenderBlock",
            dependencies: [
                .product(name: "RegieEngine", package: "Regie"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RenderBlock",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
