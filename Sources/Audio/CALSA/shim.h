#pragma once
#include <alsa/asoundlib.h>

// ALSA's error handler is variadic, which Swift cannot implement: install a silent one from C so
// that library chatter never reaches the console (errors are reported through return codes).
static void regie_alsa_silent_error_handler(const char *file, int line, const char *function,
                                            int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void regie_alsa_silence_errors(void) {
    snd_lib_error_set_handler(regie_alsa_silent_error_handler);
}
