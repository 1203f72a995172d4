import CCurses

/// The console on a real terminal through ncursesw: draws a `ConsoleScreenModel`, reads keys.
/// One instance at a time, used from one thread (the console's). `close()` (also run on deinit)
/// restores the terminal; SIGINT, SIGTERM and SIGHUP only set a flag (`receivedSignal`) so the
/// owner's loop ends and closes the screen normally.
package final class TerminalScreen {
    private var isOpen = false
    private var hasColours = false

    /// Takes over the terminal: UTF-8 locale, cbreak, no echo, keypad decoding, 25 ms ESC delay,
    /// hidden cursor, colours on the terminal's own background.
    package init() {
        regie_curses_setlocale()
        // ncurses reads ESCDELAY when it starts; set_escdelay makes it explicit.
        _ = initscr()
        _ = set_escdelay(25)
        _ = cbreak()
        _ = noecho()
        _ = nonl()
        _ = keypad(regie_curses_stdscr(), true)
        _ = curs_set(0)
        if has_colors() {
            _ = start_color()
            _ = use_default_colors()
            hasColours = true
            _ = init_pair(1, Int16(COLOR_GREEN), -1)   // on air (reversed: green bar)
            _ = init_pair(2, Int16(COLOR_CYAN), -1)    // next
            _ = init_pair(3, Int16(COLOR_YELLOW), -1)  // warning
            _ = init_pair(4, Int16(COLOR_RED), -1)     // alarm
            _ = init_pair(5, Int16(COLOR_MAGENTA), -1) // outro (reversed)
        }
        regie_curses_install_signal_flag()
        isOpen = true
    }

    deinit { close() }

    /// Current terminal size.
    package var size: (width: Int, height: Int) { (Int(regie_curses_cols()), Int(regie_curses_lines())) }

    /// SIGINT, SIGTERM or SIGHUP received since the screen opened (0 if none).
    package var receivedSignal: Int32 { regie_curses_received_signal() }

    /// Draws the whole model (lines past the terminal's size are left out).
    package func draw(_ model: ConsoleScreenModel) {
        guard isOpen else { return }
        _ = erase()
        let (width, height) = size
        for (row, line) in model.lines.enumerated() where row < height {
            var column = 0
            for run in line.runs {
                let w = DisplayWidth.of(run.text)
                guard column < width else { break }
                _ = regie_curses_attrset(attributes(run.style))
                // The bottom-right cell makes ncurses report ERR after writing it: harmless.
                _ = regie_curses_mvaddstr(Int32(row), Int32(column), run.text)
                column += w
            }
        }
        _ = regie_curses_attrset(regie_curses_a_normal())
        _ = refresh()
    }

    /// Forces a full repaint at the next `draw` (after a resize or Ctrl-L).
    package func invalidate() { _ = clearok(regie_curses_stdscr(), true) }

    /// Waits up to `milliseconds` for a key; nil on timeout.
    package func readKey(timeoutMilliseconds milliseconds: Int32) -> Int32? {
        guard isOpen else { return nil }
        timeout(milliseconds)
        let code = getch()
        return code == regie_curses_err() ? nil : code
    }

    /// Restores the terminal.
    package func close() {
        guard isOpen else { return }
        isOpen = false
        _ = curs_set(1)
        _ = endwin()
    }

    private func attributes(_ style: ConsoleStyle) -> Int32 {
        let bold = regie_curses_a_bold(), reverse = regie_curses_a_reverse()
        func pair(_ n: Int32) -> Int32 { hasColours ? regie_curses_color_pair(n) : 0 }
        switch style {
        case .normal: return regie_curses_a_normal()
        case .dim: return regie_curses_a_dim()
        case .highlight: return bold
        case .onAir: return pair(1) | bold | reverse
        case .next: return pair(2) | bold
        case .warning: return pair(3) | bold
        case .alarm: return pair(4) | bold
        case .selected: return bold | reverse
        case .outro: return pair(5) | bold | reverse
        }
    }
}
