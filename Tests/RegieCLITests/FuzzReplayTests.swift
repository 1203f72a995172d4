import Foundation
import Testing
import TestSupport

/// The fuzz targets of `scripts/fuzz`, replayed in the plain build (`regie-fuzz TARGET FILE…`) on
/// the check corpus and on hostile requests: the targets and their invariants (no crash, every
/// answer HTTP/1.1, never a byte of a file outside the served folder) hold in CI too, and a
/// finding saved by the fuzzer replays the same way.
@Suite struct FuzzReplayTests {
    static var replayer: String { TestSupport.productsDirectory.appendingPathComponent("regie-fuzz").path }

    @Test func theRundownTargetHoldsOnTheWholeCorpus() throws {
        let files = CheckCorpusTests.cases.map { TestSupport.repositoryRoot.appendingPathComponent($0).path }
        let result = try run(Self.replayer, ["rundown"] + files)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasSuffix(": ok") }.count == files.count)
    }

    @Test func theRequestTargetNeverLeaksAndAlwaysAnswersHTTP() throws {
        let tmp = try TempDir("regie-fuzz-replay")
        defer { tmp.cleanup() }
        let requests = [
            "GET /show/leak HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /show/../../secret.txt HTTP/1.1\r\n\r\n",
            "GET /show/%2e%2e/%2e%2e/secret.txt HTTP/1.1\r\n\r\n",
            "GET http://x/../secret.txt HTTP/1.1\r\n\r\n",
            "GET /show/episode.mp3 HTTP/1.1\r\nRange: bytes=299990-\r\n\r\nHEAD /show/ HTTP/1.0\r\n\r\n",
            "GET /show/episode.mp3 HTTP/1.1\r\nRange: bytes=-0,5-1\r\nIf-Range: \"x\"\r\n\r\n",
            "GET /show/feed.xml\r\n\r\n",
            "\u{0}\u{1}\u{2}garbage\r\n\r\n",
            "GET /show/feed.xml HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            String(repeating: "GET /show/feed.xml HTTP/1.1\r\n\r\n", count: 50),
        ]
        var files: [String] = []
        for (n, request) in requests.enumerated() {
            let file = tmp.url.appendingPathComponent("request-\(n)")
            try Data(request.utf8).write(to: file)
            files.append(file.path)
        }
        let result = try run(Self.replayer, ["request"] + files)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        // What each was answered: the real pipeline ran (a stub would answer nothing).
        let answers = result.stdout.split(separator: "\n").map { line in
            line.firstMatch(of: /: ok(?: \((.*)\))?$/).map { String($0.1 ?? "") }
        }
        let fiftyOK = Array(repeating: "200", count: 50).joined(separator: " ")
        #expect(answers == ["404", "400", "400", "400", "206 200", "200", "400", "400", "400", fiftyOK], "\(result.stdout)")
    }
}
