import Foundation
import History
import Vocabulary

/// Small text formats the pages share: UTC times and short durations.
enum DashboardFormat {
    /// `2026-11-25T19:50:00.123456Z`, the API's event time format (microseconds).
    static func time(micros: Int64) -> String { RFC3339.format(micros: micros) }

    static func micros(_ date: Date) -> Int64 { HistoryTime.micros(date) }

    /// `19:50:00` (UTC, seconds).
    static func clock(micros: Int64) -> String {
        let text = RFC3339.format(micros: micros)
        let start = text.index(text.startIndex, offsetBy: 11)
        return String(text[start..<text.index(start, offsetBy: 8)])
    }

    /// `2026-11-25 19:50:00` (UTC, seconds).
    static func dateTime(micros: Int64) -> String {
        let text = RFC3339.format(micros: micros)
        return text.prefix(10) + " " + text.dropFirst(11).prefix(8)
    }

    /// `2026-11-25 19:50:00.123` (UTC, milliseconds): event times, where several share a second.
    static func preciseDateTime(micros: Int64) -> String {
        let text = RFC3339.format(micros: micros)
        return text.prefix(10) + " " + text.dropFirst(11).prefix(12)
    }

    /// `45s`, `3m 12s`, `2h 05m`, `4d 3h`: two units at most.
    static func duration(micros: Int64) -> String {
        let seconds = max(0, micros / 1_000_000)
        if seconds < 60 {
            if micros < 1_000_000 { return "\(max(0, micros / 1_000)) ms" }
            return "\(seconds)s"
        }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes)m \(seconds % 60)s" }
        let hours = minutes / 60
        if hours < 24 { return "\(hours)h \(pad2(minutes % 60))m" }
        return "\(hours / 24)d \(hours % 24)h"
    }

    private static func pad2(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `99.95 %` with two decimals (or `–` when not known).
    static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "\u{2013}" }
        return String(format: "%.2f %%", fraction * 100)
    }
}
