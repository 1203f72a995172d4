#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Catches what C libraries print on standard error while a piece of work runs, so that their
/// chatter (libmpg123's "Warning: Xing stream size off by more than 1%…", libFLAC's notes) can be
/// said as part of Régie's own located message instead of landing unexplained on the terminal,
/// or on top of the live console.
///
/// Standard error is the process's: while `capturing` runs, file descriptor 2 points at a
/// temporary file. What other threads write meanwhile is caught too; `capturing` hands every line
/// back, and `StandardErrorCapture.passOn` writes the lines that are not library chatter to the
/// real standard error, late but whole. One capture at a time (a lock), never on the render thread.
package enum StandardErrorCapture {
    private static let lock = NSLock()

    /// Runs `body` with standard error caught; returns its result and the lines written meanwhile.
    package static func capturing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (T, [String]) {
        lock.lock()
        defer { lock.unlock() }
        fflush(nil)   // every C stream, standard error among them
        let saved = dup(2)
        guard saved >= 0, let file = tmpfile() else { return (try body(), []) }
        defer { fclose(file) }
        let caught = fileno(file)
        guard dup2(caught, 2) >= 0 else { close(saved); return (try body(), []) }
        let result: Result<T, E> = Result { () throws(E) -> T in try body() }
        fflush(nil)   // every C stream, standard error among them
        dup2(saved, 2)
        close(saved)
        let size = lseek(caught, 0, SEEK_END)
        var lines: [String] = []
        if size > 0 {
            var bytes = [UInt8](repeating: 0, count: min(Int(size), 64 * 1024))
            let read = pread(caught, &bytes, bytes.count, 0)
            if read > 0 {
                lines = String(decoding: bytes.prefix(read), as: UTF8.self)
                    .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            }
        }
        return (try result.get(), lines)
    }

    /// True for the shapes of what decoding libraries print by themselves (libmpg123's
    /// "Warning:", "Note:", "[src/libmpg123/…]", libFLAC's and libvorbis's messages).
    package static func isLibraryChatter(_ line: String) -> Bool {
        let prefixes = ["Warning: ", "Note: ", "Error: ", "[src/libmpg123", "[libmpg123", "[src/libout123"]
        return prefixes.contains { line.hasPrefix($0) } || line.contains("libmpg123") || line.contains("FLAC__")
    }

    /// Writes the lines that are not library chatter to standard error (another thread's
    /// message caught by a capture is delayed, never lost); returns the chatter, each line once.
    @discardableResult
    package static func passOn(_ lines: [String]) -> [String] {
        var chatter: [String] = []
        for line in lines {
            if !isLibraryChatter(line) {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            } else if !chatter.contains(line) {
                chatter.append(line)
            }
        }
        return chatter
    }
}
