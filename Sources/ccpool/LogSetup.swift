import CCPoolService
import Foundation
import Logging

/// swift-log set-up: human text, or one JSON object per line for containers (``LogLine``).
enum LogSetup {
    static func bootstrap(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes one ``LogLine`` per record to standard error (one `write`, so lines from threads never mix).
struct LineLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        let level = event.level.rawValue, message = "\(event.message)"
        let line = switch format {
        case .json: LogLine.json(time: Date(), level: level, label: label, message: message, metadata: fields)
        case .text: LogLine.text(time: Date(), level: level, label: label, message: message, metadata: fields, source: event.source)
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
