import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps in UTC, without Foundation's formatters (fast enough for 5,000 targets
/// per request, and thread-safe).
enum RFC3339 {
    /// `2026-11-25T19:50:00.123456Z` with `fractionDigits` (0–9) sub-second digits.
    static func format(_ date: Date, fractionDigits: Int = 6) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var fraction = interval - Double(seconds)
        if fraction < 0 { fraction = 0 }
        var scaled = Int((fraction * pow(10, Double(fractionDigits))).rounded(.down))
        let limit = Int(pow(10, Double(fractionDigits)))
        if scaled >= limit {
            scaled -= limit
            seconds += 1
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if fractionDigits > 0 {
            text += "." + String(format: "%0\(fractionDigits)d", scaled)
        }
        return text + "Z"
    }
}
