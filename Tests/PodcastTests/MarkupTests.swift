import Foundation
@testable import Podcast
import Testing
import TestSupport

@Suite struct MarkupTests {
    @Test func cdataSurvivesTerminatorsAndXMLParsersReadTheTextBack() throws {
        let nasty = "a]]>b]]]]>c]]>>]]" + "\u{1}\u{8}\u{B}\u{C}\u{1F}\u{7F}\u{85}\u{FFFE}ok é ☃ 𝄞"
        var x = MarkupBuffer()
        x.raw("<r><c>"); x.cdata(nasty); x.raw("</c><t a=\""); x.text(nasty + "<&>\"'"); x.raw("\">")
        x.text(nasty + "<&>\"'"); x.raw("</t></r>")
        let xml = String(decoding: x.bytes, as: UTF8.self)
        let parsed = try runChecked("python3", ["-c", """
            import sys, xml.etree.ElementTree as ET, json
            root = ET.fromstring(sys.stdin.read())
            print(json.dumps([root.find('c').text, root.find('t').get('a'), root.find('t').text]))
            """], input: Data(xml.utf8))
        let values = try JSONDecoder().decode([String].self, from: parsed.stdoutData)
        let clean = "a]]>b]]]]>c]]>>]]ok é ☃ 𝄞"
        #expect(values == [clean, clean + "<&>\"'", clean + "<&>\"'"])
    }

    @Test func sanitizerKeepsFormattingAndDropsActiveContent() {
        let html = """
            <p onclick="x()">Hello <b>bold</b> <a href="https://example.org/?a=1&amp;b=2" onmouseover="evil()">link</a>
            <a href="javascript:alert(1)">js</a><script>alert("x")</script><SCRIPT src=x></SCRIPT>
            <img src=x onerror=alert(1)><style>body{}</style><iframe src="https://e"></iframe>
            <scr<script>ipt>alert(2)</script> 1 < 2 & 3 > 2 <!-- comment <script> --> <ul><li>one<li>two</ul>
            """
        let safe = SafeHTML.sanitize(html)
        #expect(!safe.lowercased().contains("<script"))
        #expect(!safe.lowercased().contains("onclick"))
        #expect(!safe.lowercased().contains("onerror"))
        #expect(!safe.lowercased().contains("onmouseover"))
        #expect(!safe.lowercased().contains("javascript:"))
        #expect(!safe.lowercased().contains("<img"))
        #expect(!safe.lowercased().contains("<iframe"))
        #expect(!safe.contains("alert(\"x\")"))
        #expect(safe.contains("<b>bold</b>"))
        #expect(safe.contains("<a href=\"https://example.org/?a=1&amp;amp;b=2\" rel=\"nofollow noopener\">link</a>")
                || safe.contains("<a href=\"https://example.org/?a=1&amp;b=2\" rel=\"nofollow noopener\">link</a>"))
        #expect(safe.contains("1 &lt; 2 &amp; 3 &gt; 2"))
        #expect(safe.hasSuffix("</p>"))  // unclosed <p> closed at the end
    }

    @Test func plainTextBecomesParagraphs() {
        #expect(SafeHTML.fromPlain("One\ntwo <b>\n\nThree & four") == "<p>One<br>two &lt;b&gt;</p><p>Three &amp; four</p>")
    }

    @Test func chaptersJSONIsThePodcastingTwoFormat() throws {
        let bytes = ChaptersJSON.encode([PodcastChapter(startTime: 0, title: "Intro \"quoted\" \\ é"),
                                         PodcastChapter(startTime: 90.125, title: "Talk\u{1}")])
        let obj = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        #expect(obj["version"] as? String == "1.2.0")
        let chapters = obj["chapters"] as! [[String: Any]]
        #expect(chapters.count == 2)
        #expect((chapters[0]["startTime"] as? NSNumber)?.doubleValue == 0)
        #expect(chapters[0]["title"] as? String == "Intro \"quoted\" \\ é")
        #expect((chapters[1]["startTime"] as? NSNumber)?.doubleValue == 90.125)
        #expect(chapters[1]["title"] as? String == "Talk")
    }

    @Test func appleCategories() {
        #expect(ApplePodcastCategories.parse("Society & Culture/Documentary")! == ("Society & Culture", "Documentary"))
        #expect(ApplePodcastCategories.parse("Technology")! == ("Technology", nil))
        #expect(ApplePodcastCategories.parse("Technology/Gadgets") == nil)  // retired in 2019
        #expect(ApplePodcastCategories.parse("Radio") == nil)
    }
}
