import Foundation
import MP3
import Testing
import TestSupport

@Suite("ID3v2Tag bytes and chapters JSON")
struct ID3v2TagTests {
    @Test("header: v2.3, syncsafe size covering frames and padding; exact total size for rewrites")
    func headerAndPadding() throws {
        var tag = ID3v2Tag()
        tag.title = "Hi"
        let frames = try tag.framesData()
        let bytes = try tag.serialized(padding: 300)
        #expect(Array(bytes.prefix(6)) == [0x49, 0x44, 0x33, 3, 0, 0])
        let size = Int(bytes[6]) << 21 | Int(bytes[7]) << 14 | Int(bytes[8]) << 7 | Int(bytes[9])
        #expect(bytes[6...9].allSatisfy { $0 < 0x80 }, "syncsafe bytes have bit 7 clear")
        #expect(size == frames.count + 300 && bytes.count == 10 + size)
        #expect(bytes.suffix(300).allSatisfy { $0 == 0 })
        // TIT2 "Hi" in ISO-8859-1: plain 32-bit size 3 (encoding byte + 2), flags 0.
        #expect(Array(bytes[10..<23]) == Array("TIT2".utf8) + [0, 0, 0, 3, 0, 0, 0, 0x48, 0x69])
        #expect(try tag.serialized(totalSize: 4096).count == 4096)
        #expect(throws: ID3v2TagError.doesNotFit(needed: 10 + frames.count, available: 12)) {
            _ = try tag.serialized(totalSize: 12)
        }
    }

    @Test("text encoding: ISO-8859-1 when it fits, else UTF-16 with BOM")
    func textEncoding() throws {
        var tag = ID3v2Tag()
        tag.genre = nil
        tag.title = "é"
        #expect(try tag.framesData() == Array("TIT2".utf8) + [0, 0, 0, 2, 0, 0, 0, 0xE9])
        tag.title = "日"
        #expect(try tag.framesData() == Array("TIT2".utf8) + [0, 0, 0, 5, 0, 0, 1, 0xFF, 0xFE, 0xE5, 0x65])
        tag.title = "🎧" // outside the BMP: a surrogate pair
        #expect(try tag.framesData() == Array("TIT2".utf8) + [0, 0, 0, 7, 0, 0, 1, 0xFF, 0xFE, 0x3C, 0xD8, 0xA7, 0xDF])
    }

    @Test("more than 255 chapters is refused (CTOC entry count is one byte)")
    func tooManyChapters() {
        var tag = ID3v2Tag()
        tag.chapters = (0..<256).map { Chapter(title: "c\($0)", startMs: $0 * 1000, endMs: $0 * 1000 + 1000) }
        #expect(throws: ID3v2TagError.tooManyChapters(256)) { _ = try tag.framesData() }
    }

    @Test("chapter times from frames round to the nearest millisecond")
    func chapterMilliseconds() {
        #expect(Chapter.milliseconds(frames: 44100 * 12 + 22050, sampleRate: 44100) == 12_500)
        #expect(Chapter.milliseconds(frames: 22, sampleRate: 44100) == 0)   // 0.499 ms
        #expect(Chapter.milliseconds(frames: 23, sampleRate: 44100) == 1)   // 0.522 ms
        #expect(Chapter(title: "x", startFrame: 48000, endFrame: 96024, sampleRate: 48000).endMs == 2001)
    }
}
