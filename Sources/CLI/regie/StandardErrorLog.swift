import Foundation
import Logging

/// What the libraries log reaches standard error as the command's own lines: information as it
/// is, notices as `regie: note: …`, warnings as `regie: warning: …`, errors as `regie: error: …`.
struct StandardErrorLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = "\(event.message)"
        switch event.level {
        case .trace, .debug, .info: printError(text)
        case .notice: printError("regie: note: \(text)")
        case .warning: printError("regie: warning: \(text)")
        case .error, .critical: printError("regie: error: \(text)")
        }
    }
}

/// A logger writing to standard error through `StandardErrorLogHandler`.
func standardErrorLogger() -> Logger {
    Logger(label: "regie") { _ in StandardErrorLogHandler() }
}
