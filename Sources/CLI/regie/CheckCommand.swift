import ArgumentParser
import Foundation
import Production
import RegieModel

/// `regie check FILE...`
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check shows and rundowns before air: every problem at once, as file:line:column.",
        discussion: """
        Reads each file (show.yaml or an episode rundown, which also reads the show.yaml beside it), opens every audio file it names and plans the episode. Exit status: 0 no errors, 1 errors, 2 usage.

        Example:
          regie check shows/campus-magazine/*.yaml
          regie check --format json shows/campus-magazine/show.yaml
        """
    )

    @Argument(help: "show.yaml files and episode rundowns to check.")
    var files: [String]

    @Option(help: "Output format: text (compiler-style lines) or json.")
    var format: OutputFormat = .text

    struct Report: Encodable {
        struct Entry: Encodable {
            var severity: String
            var file: String?
            var line: Int?
            var column: Int?
            var message: String
        }
        var files: [String]
        var errors: Int
        var warnings: Int
        var diagnostics: [Entry]
    }

    func run() throws {
        var workspace = Workspace()
        workspace.load(files)
        let errors = workspace.diagnostics.filter { $0.severity == .error }.count
        let warnings = workspace.diagnostics.filter { $0.severity == .warning }.count
        switch format {
        case .text:
            for diagnostic in workspace.diagnostics { print(diagnostic) }
            var summary: [String] = []
            summary.append(errors == 1 ? "1 error" : "\(errors) errors")
            summary.append(warnings == 1 ? "1 warning" : "\(warnings) warnings")
            // Counted in the files the problems are in (a rundown reads its show.yaml too), not
            // only in the files given.
            let reported = Set(workspace.diagnostics.compactMap { $0.location?.file })
            let count = max(files.count, reported.count)
            var line = "\(summary.joined(separator: ", ")) in \(count == 1 ? "1 file" : "\(count) files")"
            if count > files.count { line += " (\(files.count) given, and the show files they read)" }
            printError(line)
        case .json:
            let entries = workspace.diagnostics.map {
                Report.Entry(severity: $0.severity.rawValue, file: $0.location?.file, line: $0.location?.line,
                             column: $0.location?.column, message: $0.message)
            }
            print(try jsonText(Report(files: files, errors: errors, warnings: warnings, diagnostics: entries)))
        }
        if errors > 0 { throw ExitCode(1) }
    }
}
