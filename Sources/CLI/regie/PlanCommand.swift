import ArgumentParser
import Foundation
import Production
import RegieModel

/// `regie plan FILE`
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print an episode's timing sheet: starts, lengths, back-timing, over/under and how to fit the slot.",
        discussion: """
        Times are computed in frames at the show's sample rate, so the render comes out at exactly the fitted total. Errors are reported as by 'regie check' and nothing is printed on stdout.

        Example:
          regie plan shows/campus-magazine/2026-12-03.yaml
          regie plan --format json shows/campus-magazine/2026-11-05.yaml
        """
    )

    @Argument(help: "The episode rundown (shows/<show>/<yyyy-mm-dd>.yaml).")
    var file: String

    @Option(help: "Output format: text (the timing sheet) or json.")
    var format: OutputFormat = .text

    func validate() throws {
        if (file as NSString).lastPathComponent == "show.yaml" {
            throw ValidationError("'regie plan' takes an episode rundown, not show.yaml")
        }
    }

    func run() throws {
        var workspace = Workspace()
        workspace.load([file])
        for diagnostic in workspace.diagnostics { printError(diagnostic.description) }
        guard !workspace.hasErrors, let plan = workspace.plans.first else { throw ExitCode(1) }
        switch format {
        case .text: print(TimingSheet.text(plan), terminator: "")
        case .json: print(try jsonText(TimingSheet.data(plan)))
        }
    }
}
