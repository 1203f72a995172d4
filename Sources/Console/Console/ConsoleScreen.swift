/// Where the console is drawn and where keys come from: the terminal (`TerminalScreen`) on air,
/// a scripted screen in tests. Used from one thread (the console's).
package protocol ConsoleScreen: AnyObject {
    /// The screen's size in character cells.
    var size: (width: Int, height: Int) { get }
    /// A terminating signal received since the screen opened (0 if none).
    var receivedSignal: Int32 { get }
    /// Draws the whole model.
    func draw(_ model: ConsoleScreenModel)
    /// Forces a full repaint at the next `draw`.
    func invalidate()
    /// Waits up to `milliseconds` for a key; nil on timeout.
    func readKey(timeoutMilliseconds milliseconds: Int32) -> Int32?
    /// Gives the terminal back.
    func close()
}

extension TerminalScreen: ConsoleScreen {}
