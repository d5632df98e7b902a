import Foundation
import Vocabulary

/// Conversions between microseconds since the Unix epoch (how the history stores time), `Date`, and the
/// text a query may give: RFC 3339 (through ``RFC3339``) or Unix seconds.
public enum HistoryTime {
    public static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// Parses RFC 3339 (`2024-05-01T12:34:56Z`, optional fraction of up to 9 digits — truncated to
    /// microseconds —, `Z` or `±hh:mm`) or Unix seconds (`1714566896`, optionally with a fraction).
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty || bytes.count > 64 { return nil }
        if bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x2d }) {
            return parseUnixSeconds(bytes)
        }
        return RFC3339.parse(text)
    }

    private static func parseUnixSeconds(_ bytes: [UInt8]) -> Int64? {
        var slice = bytes[...]
        var negative = false
        if slice.first == 0x2d { negative = true; slice = slice.dropFirst() }
        let parts = slice.split(separator: 0x2e, maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = RFC3339.digits(parts[0]), whole <= 253_402_300_799 else { return nil }  // up to year 9999
        var micros = whole * 1_000_000
        if parts.count == 2 {
            guard let fraction = RFC3339.fractionMicros(parts[1]) else { return nil }
            micros += fraction
        }
        return negative ? -micros : micros
    }
}
