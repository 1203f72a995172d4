import Console
import Testing

/// ncurses key codes to console commands.
@Suite struct ConsoleKeyTests {
    static func code(_ character: Character) -> Int32 { Int32(character.asciiValue!) }

    @Test func transportKeys() {
        #expect(ConsoleKey.command(for: Self.code(" ")) == .go)
        #expect(ConsoleKey.command(for: 27) == .fade)
        #expect(ConsoleKey.command(for: Self.code("p")) == .pauseResume)
        #expect(ConsoleKey.command(for: Self.code("s")) == .skip)
        #expect(ConsoleKey.command(for: Self.code("d")) == .toggleDuck)
        #expect(ConsoleKey.command(for: Self.code("q")) == .quitRequested)
        #expect(ConsoleKey.command(for: Self.code("b")) == .fadeBeds)
        #expect(ConsoleKey.command(for: Self.code("c")) == .toggleCartWall)
        #expect(ConsoleKey.command(for: Self.code("y")) == nil)
        #expect(ConsoleKey.command(for: Self.code("z")) == nil)
    }

    @Test func runningOrderKeys() {
        #expect(ConsoleKey.command(for: ConsoleKey.up) == .selectUp)
        #expect(ConsoleKey.command(for: ConsoleKey.down) == .selectDown)
        #expect(ConsoleKey.command(for: Self.code("[")) == .moveUp)
        #expect(ConsoleKey.command(for: Self.code("]")) == .moveDown)
        #expect(ConsoleKey.command(for: Self.code("x")) == .toggleDrop)
        #expect(ConsoleKey.command(for: Self.code("n")) == .makeNext)
        #expect(ConsoleKey.command(for: Self.code("i")) == .insert)
        #expect(ConsoleKey.command(for: Self.code("r")) == .reload)
        for enter in [Self.code("\n"), 13, ConsoleKey.enter] {
            #expect(ConsoleKey.command(for: enter) == .choose)
        }
    }

    @Test func cartKeys() {
        for digit in "1234567890" {
            #expect(ConsoleKey.command(for: Self.code(digit)) == .cart(key: String(digit)))
        }
        // KEY_F(n) is KEY_F0 (0o410) + n in ncurses.
        #expect(ConsoleKey.function(1) == 0o410 + 1)
        for n in 1...12 {
            #expect(ConsoleKey.command(for: ConsoleKey.function(n)) == .cart(key: "F\(n)"))
        }
        #expect(ConsoleKey.command(for: ConsoleKey.function(13)) == nil)
    }

    @Test func redrawOnResizeAndControlL() {
        #expect(ConsoleKey.resize == 0o632)
        #expect(ConsoleKey.command(for: ConsoleKey.resize) == .redraw)
        #expect(ConsoleKey.command(for: 12) == .redraw)
        #expect(ConsoleKey.command(for: ConsoleKey.resize, quitPending: true) == .redraw)
    }

    @Test func quitQuestionTakesOnlyItsAnswers() {
        #expect(ConsoleKey.command(for: Self.code("y"), quitPending: true) == .confirmQuit)
        #expect(ConsoleKey.command(for: Self.code("Y"), quitPending: true) == .confirmQuit)
        #expect(ConsoleKey.command(for: Self.code("n"), quitPending: true) == .cancelQuit)
        #expect(ConsoleKey.command(for: 27, quitPending: true) == .cancelQuit)
        #expect(ConsoleKey.command(for: Self.code("q"), quitPending: true) == .cancelQuit)
        #expect(ConsoleKey.command(for: Self.code(" "), quitPending: true) == nil)
        #expect(ConsoleKey.command(for: Self.code("1"), quitPending: true) == nil)
    }
}
