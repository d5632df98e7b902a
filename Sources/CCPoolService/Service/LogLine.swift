import Foundation
import History
import Vocabulary

/// One log record as a line, in the two formats of `--log-format`. Both start with the time in RFC 3339, UTC,
/// with microseconds (like the history's times), formatted without a formatter object per line.
public enum LogLine {
    static let fixedKeys: Set<String> = ["time", "level", "label", "message"]

    /// `{"time", "level", "label", "message", then the metadata by key}`. Metadata keys named like the four
    /// fixed fields are left out (the fixed fields win), so every line is an object with unique keys in one
    /// stable order.
    public static func json(time: Date, level: String, label: String, message: String, metadata: [String: String]) -> String {
        var json = JSONWriter()
        json.object { json in
            json.member("time", RFC3339.format(time))
            json.member("level", level)
            json.member("label", label)
            json.member("message", message)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !fixedKeys.contains(key) {
                json.member(key, value)
            }
        }
        return json.text
    }

    /// `TIME LEVEL LABEL: key=value… [SOURCE] MESSAGE`: swift-log's stream layout (metadata by key), with
    /// the time in UTC and microseconds.
    public static func text(
        time: Date, level: String, label: String, message: String, metadata: [String: String], source: String
    ) -> String {
        var line = RFC3339.format(time) + " " + level
        if !label.isEmpty { line += " " + label }
        line += ":"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        return line + " [\(source)] " + message
    }
}
