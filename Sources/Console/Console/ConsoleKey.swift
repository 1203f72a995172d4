import CCurses

/// What a key press asks the live side to do.
package enum ConsoleCommand: Sendable, Equatable {
    /// Start the next item, or end the current live item.
    case go
    /// Fade out the current item.
    case fade
    /// Pause or resume the programme.
    case pauseResume
    /// Skip (the live side decides which item: see the engine's command).
    case skip
    /// Fire or stop the cart on this key ("1"–"9", "0", "F1"–"F12").
    case cart(key: String)
    /// Ducking of beds on or off.
    case toggleDuck
    /// `q`: quit, or ask first while on air.
    case quitRequested
    /// `y` to the quit question.
    case confirmQuit
    /// `n` (or Esc) to the quit question.
    case cancelQuit
    /// The terminal was resized or Ctrl-L pressed: draw everything again.
    case redraw
    /// ↑ / ↓: the selection (an item still to come, or a choice in a list) up or down.
    case selectUp
    case selectDown
    /// `[` / `]`: the selected item moves up or down the running order.
    case moveUp
    case moveDown
    /// `x`: the selected item dropped, or restored.
    case toggleDrop
    /// `n`: the selected item becomes next.
    case makeNext
    /// `i`: the list of what can be inserted after the item on air.
    case insert
    /// Enter: the choice in the list.
    case choose
    /// `r`: the rundown file's changes applied to what is to come.
    case reload
    /// `b`: the beds fade out (the item on air goes on).
    case fadeBeds
    /// `c`: the cart wall shown in place of the running order, or back.
    case toggleCartWall
}

/// Decodes ncurses key codes (`getch` with `keypad` on) into commands.
package enum ConsoleKey {
    /// The Escape byte (delivered alone once `ESCDELAY` has passed with no sequence following).
    package static let escape: Int32 = 27
    /// Ctrl-L.
    package static let controlL: Int32 = 12
    /// Key code of F`n` (ncurses' KEY_F(n)).
    package static func function(_ n: Int) -> Int32 { Int32(regie_curses_key_f(Int32(n))) }
    /// Key code ncurses returns after a resize.
    package static var resize: Int32 { regie_curses_key_resize() }
    /// Arrow keys and Enter (ncurses' codes, and the terminal's CR / LF for Enter).
    package static var up: Int32 { regie_curses_key_up() }
    package static var down: Int32 { regie_curses_key_down() }
    package static var enter: Int32 { regie_curses_key_enter() }

    /// The command for `code`, or nil for keys the console ignores. While the quit question is
    /// open only its answers (and redraws) count, so a stray key cannot act unseen.
    package static func command(for code: Int32, quitPending: Bool = false) -> ConsoleCommand? {
        if code == resize || code == controlL { return .redraw }
        if quitPending {
            switch code {
            case ascii("y"), ascii("Y"): return .confirmQuit
            case ascii("n"), ascii("N"), escape, ascii("q"): return .cancelQuit
            default: return nil
            }
        }
        switch code {
        case ascii(" "): return .go
        case escape: return .fade
        case ascii("p"), ascii("P"): return .pauseResume
        case ascii("s"), ascii("S"): return .skip
        case ascii("d"), ascii("D"): return .toggleDuck
        case ascii("q"), ascii("Q"): return .quitRequested
        case ascii("0")...ascii("9"): return .cart(key: String(UnicodeScalar(UInt8(code))))
        case ascii("["): return .moveUp
        case ascii("]"): return .moveDown
        case ascii("x"), ascii("X"): return .toggleDrop
        case ascii("n"), ascii("N"): return .makeNext
        case ascii("i"), ascii("I"): return .insert
        case ascii("r"), ascii("R"): return .reload
        case ascii("b"), ascii("B"): return .fadeBeds
        case ascii("c"), ascii("C"): return .toggleCartWall
        case 10, 13: return .choose
        default: break
        }
        if code == up { return .selectUp }
        if code == down { return .selectDown }
        if code == enter { return .choose }
        for n in 1...12 where code == function(n) { return .cart(key: "F\(n)") }
        return nil
    }

    static func ascii(_ character: Unicode.Scalar) -> Int32 { Int32(character.value) }
}
