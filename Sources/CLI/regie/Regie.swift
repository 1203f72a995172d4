import ArgumentParser
import Foundation

/// The `regie` command line.
@main
struct Regie: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regie",
        abstract: "Radio show production and broadcast automation: check, time, render, publish and play a rundown.",
        discussion: """
        A producer writes shows/<show>/show.yaml and one rundown per episode, shows/<show>/<yyyy-mm-dd>.yaml. Start with:  regie check shows/campus-magazine/2026-12-03.yaml
        """,
        version: "0.1.0",
        subcommands: [Check.self, PlanCommand.self, Render.self, Publish.self, Unpublish.self, Serve.self, Play.self, Report.self]
    )

    /// Runs a command; usage errors exit 2 (as `regie check` documents), failures 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure || error is ValidationError {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                FileHandle.standardError.write(Data("Run 'regie help' for usage.\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Output format shared by the commands that can speak to machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Encodes a value as pretty, stable JSON with snake_case keys.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
