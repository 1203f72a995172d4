import Foundation
import Testing
import TestSupport

/// `regie check` on a corpus of rundowns and shows, one file per kind of mistake. Each file states
/// what `regie check` must print, line by line, in `# expect:` comments (written by hand).
@Suite struct CheckCorpusTests {
    static let corpus = "Tests/RegieCLITests/Corpus/radio/shows"

    /// Every corpus file but the shared show.yaml of the rundown cases.
    static let cases: [String] = {
        let root = TestSupport.repositoryRoot.appendingPathComponent(corpus)
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var files: [String] = []
        for folder in folders.sorted() {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
            for name in names.sorted() where name.hasSuffix(".yaml") {
                if folder == "demo" && name == "show.yaml" { continue }
                files.append("\(corpus)/\(folder)/\(name)")
            }
        }
        return files
    }()

    @Test func theCorpusIsThere() {
        #expect(Self.cases.count >= 60)
    }

    @Test(arguments: cases)
    func checkReportsExactlyWhatTheFileExpects(file: String) throws {
        let text = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
        let expected = text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("# expect: ") }
            .map { "\(file):" + $0.dropFirst("# expect: ".count) }
        let result = try TestSupport.regie(["check", file])
        let printed = result.stdout.split(separator: "\n").map(String.init)
        #expect(printed.sorted() == expected.sorted())
        let expectsError = expected.contains { $0.contains(": error: ") }
        #expect(result.status == (expectsError ? 1 : 0))
        // Every diagnostic is in the compilers' format: file:line:column: severity: message.
        for line in printed {
            #expect(line.wholeMatch(of: /[^:]+:\d+:\d+: (error|warning): .+/) != nil, "\(line)")
        }
    }

    @Test func everyProblemOfSeveralFilesIsReportedAtOnce() throws {
        let files = Self.cases.filter { $0.contains("/demo/") }.prefix(5)
        let result = try TestSupport.regie(["check"] + files)
        let expected = try files.flatMap { file in
            try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
                .split(whereSeparator: \.isNewline).filter { $0.hasPrefix("# expect: ") }
        }
        #expect(result.stdout.split(separator: "\n").count == expected.count)
        #expect(result.status == 1)
    }

    @Test func jsonGivesTheSameDiagnosticsAsData() throws {
        let file = "\(Self.corpus)/demo/two-backtimes.yaml"
        let result = try TestSupport.regie(["check", "--format", "json", file])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        #expect(object["errors"] as? Int == 2)
        // The 48 kHz file's warning comes in the same run as the errors.
        #expect(object["warnings"] as? Int == 1)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.map { $0["line"] as? Int } == [12, 13, 15])
        #expect(diagnostics.map { $0["column"] as? Int } == [5, 14, 5])
        #expect(diagnostics.map { $0["severity"] as? String } == ["error", "warning", "error"])
        #expect(diagnostics.allSatisfy { $0["file"] as? String == file })
        #expect((diagnostics[2]["message"] as? String) == "only one item may be back-timed; item 2 already is")
    }

    @Test func usageErrorsExitWithTwo() throws {
        #expect(try TestSupport.regie(["check"]).status == 2)
        #expect(try TestSupport.regie(["check", "--format", "yaml", "x.yaml"]).status == 2)
        #expect(try TestSupport.regie(["plan", "\(Self.corpus)/demo/show.yaml"]).status == 2)
    }

    @Test func aMissingFileIsAnError() throws {
        let result = try TestSupport.regie(["check", "shows/nowhere/2026-01-01.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("shows/nowhere/2026-01-01.yaml: no such file"))
    }
}
