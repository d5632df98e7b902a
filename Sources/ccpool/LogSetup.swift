import CCPoolService
import Foundation
import Logging

/// swift-log set-up: human text, or one JSON object per line for containers (``LogLine``).
enum LogSetup {
    static func bootstrap(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = TextLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// Writes ``LogLine/json(time:level:label:message:metadata:)`` lines to standard error.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = LogLine.json(
            time: Date(), level: event.level.rawValue, label: label, message: "\(event.message)",
            metadata: LogLine.fields(metadata, event.metadata))
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Writes ``LogLine/text(time:level:label:message:metadata:source:)`` lines to standard error.
struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = LogLine.text(
            time: Date(), level: event.level.rawValue, label: label, message: "\(event.message)",
            metadata: LogLine.fields(metadata, event.metadata), source: event.source)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension LogLine {
    /// The handler's metadata overlaid with the event's, as text.
    static func fields(_ base: Logger.Metadata, _ event: Logger.Metadata?) -> [String: String] {
        var fields: [String: String] = [:]
        for (key, value) in base { fields[key] = "\(value)" }
        for (key, value) in event ?? [:] { fields[key] = "\(value)" }
        return fields
    }
}
