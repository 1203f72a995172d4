#pragma once
// ncursesw for the live console. Swift cannot call the macros (COLOR_PAIR, KEY_F, stdscr-based
// mv* wrappers, attribute constants) nor install a C signal handler, so this header wraps them.
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <signal.h>
#include <ncursesw/curses.h>

/// Takes the character set from the environment so that UTF-8 strings reach the terminal whole.
static inline void regie_curses_setlocale(void) { setlocale(LC_ALL, ""); }

/// Key code of function key `n` (KEY_F(n)).
static inline int regie_curses_key_f(int n) { return KEY_F(n); }
/// Key code ncurses returns when the terminal was resized.
static inline int regie_curses_key_resize(void) { return KEY_RESIZE; }
/// Key code of the Enter key on the keypad.
static inline int regie_curses_key_enter(void) { return KEY_ENTER; }
/// Arrow keys.
static inline int regie_curses_key_up(void) { return KEY_UP; }
static inline int regie_curses_key_down(void) { return KEY_DOWN; }
/// Value `getch` returns when no key arrived before the timeout.
static inline int regie_curses_err(void) { return ERR; }

/// Attribute of colour pair `n`.
static inline int regie_curses_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int regie_curses_a_normal(void) { return (int)A_NORMAL; }
static inline int regie_curses_a_bold(void) { return (int)A_BOLD; }
static inline int regie_curses_a_dim(void) { return (int)A_DIM; }
static inline int regie_curses_a_reverse(void) { return (int)A_REVERSE; }
static inline int regie_curses_a_underline(void) { return (int)A_UNDERLINE; }

/// Sets the attributes of the standard screen.
static inline int regie_curses_attrset(int attributes) { return attrset(attributes); }
/// Writes a UTF-8 string at a position of the standard screen.
static inline int regie_curses_mvaddstr(int y, int x, const char *text) { return mvaddstr(y, x, text); }
/// Current height and width of the standard screen.
static inline int regie_curses_lines(void) { return LINES; }
static inline int regie_curses_cols(void) { return COLS; }
/// The standard screen.
static inline WINDOW *regie_curses_stdscr(void) { return stdscr; }

/// Set by the SIGINT/SIGTERM handler; the console's loop polls it and restores the terminal.
static volatile sig_atomic_t regie_curses_signal_number = 0;
static inline void regie_curses_on_signal(int number) { regie_curses_signal_number = number; }
/// Installs the flag-setting handler for SIGINT, SIGTERM and SIGHUP (replacing ncurses' own) and
/// makes sure those and SIGWINCH are not blocked.
static inline void regie_curses_install_signal_flag(void) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = regie_curses_on_signal;
    sigaction(SIGINT, &action, 0);
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGHUP, &action, 0);
    // A parent may have left them blocked (a test runner's thread spawning us does): unblock.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGWINCH);  // ncurses' resize handler must run too
    sigprocmask(SIG_UNBLOCK, &set, 0);
}
/// The signal received since the handler was installed, or 0.
static inline int regie_curses_received_signal(void) { return regie_curses_signal_number; }
