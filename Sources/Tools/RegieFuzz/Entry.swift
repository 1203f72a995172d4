import Foundation

// Two builds of one target. `scripts/fuzz` builds it with `-sanitize=fuzzer -DFUZZING`: libFuzzer
// supplies `main` and calls `LLVMFuzzerTestOneInput` with inputs it evolves by coverage. The
// plain build (`swift build`) is a replayer: `regie-fuzz TARGET FILE…` runs files (a crash
// libFuzzer saved, the seed corpus) through a target, so a finding can be reproduced and debugged
// without the fuzzer.

#if FUZZING
/// The target chosen by `REGIE_FUZZ_TARGET` (scripts/fuzz sets it).
nonisolated(unsafe) private var target: FuzzTarget = .rundown

/// libFuzzer's driver (in the runtime `-sanitize=fuzzer` links): parses its options and runs.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The executable's entry: SwiftPM links `main` to `<module>_main` (so executables can be
/// tested), which here hands over to libFuzzer's driver.
@_cdecl("regie_fuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    let name = ProcessInfo.processInfo.environment["REGIE_FUZZ_TARGET"] ?? "rundown"
    guard let chosen = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("regie-fuzz: unknown target '\(name)' (\(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n".utf8))
        return 2
    }
    target = chosen
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
#else
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: regie-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…")
            exit(2)
        }
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(file): cannot be read")
                exit(1)
            }
            // REGIE_FUZZ_REPEAT=N runs each input N times (a leak across runs shows in the RSS).
            let repeats = Int(ProcessInfo.processInfo.environment["REGIE_FUZZ_REPEAT"] ?? "") ?? 1
            for _ in 1..<max(1, repeats) { target.run(Array(data)) }
            let seen = target.run(Array(data))
            print("\(file): ok" + (seen.isEmpty ? "" : " (\(seen))"))
        }
    }
}
#endif
