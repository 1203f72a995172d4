import Foundation
import Testing
import TestSupport

/// The JSON Schemas an editor uses agree with the demo files and reject broken ones, checked by a
/// third-party validator (Python's jsonschema).
@Suite struct SchemaTests {
    @Test func theDemoFilesValidateAndBrokenDocumentsDoNot() throws {
        let result = try run("python3", ["scripts/validate-schemas", "--self-test"], in: TestSupport.repositoryRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("rejects"), "the self-test checks broken documents")
    }

    @Test func theDemoFilesNameTheirSchema() throws {
        let folder = TestSupport.repositoryRoot.appendingPathComponent("shows/campus-magazine")
        for name in ["show.yaml", "2026-11-05.yaml", "2026-12-03.yaml"] {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let schema = name == "show.yaml" ? "show" : "rundown"
            #expect(text.hasPrefix("# yaml-language-server: $schema=../../docs/schema/\(schema).schema.json"), "\(name)")
        }
    }

    @Test func aBrokenRundownFailsTheSchemaToo() throws {
        let result = try run("python3", ["scripts/validate-schemas",
                                                     "Tests/RegieCLITests/Corpus/radio/shows/demo/unknown-item-key.yaml"],
                                         in: TestSupport.repositoryRoot)
        #expect(result.status == 1)
    }
}
