import Foundation

/// Conversions between microseconds since the Unix epoch, `Date`, RFC 3339 text and Unix seconds.
/// Pure arithmetic on the proleptic Gregorian calendar (no locale, no time zone database, thread-safe).
public enum HistoryTime {
    public static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// "2024-05-01T12:34:56.123456Z": UTC, always six fractional digits.
    public static func rfc3339(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses RFC 3339 (`2024-05-01T12:34:56Z`, optional fraction of up to 9 digits — truncated to
    /// microseconds —, `Z` or `±hh:mm`) or Unix seconds (`1714566896`, optionally with a fraction).
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty || bytes.count > 64 { return nil }
        if bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x2d }) {
            return parseUnixSeconds(bytes)
        }
        return parseRFC3339(bytes)
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }

    /// Up to 9 fractional digits, as microseconds (extra digits truncated).
    private static func fractionMicros(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 9, let _ = digits(bytes) else { return nil }
        var value: Int64 = 0
        for (index, byte) in bytes.enumerated() where index < 6 { value = value * 10 + Int64(byte - 0x30) }
        for _ in min(bytes.count, 6)..<6 { value *= 10 }
        return value
    }

    private static func parseUnixSeconds(_ bytes: [UInt8]) -> Int64? {
        var slice = bytes[...]
        var negative = false
        if slice.first == 0x2d { negative = true; slice = slice.dropFirst() }
        let parts = slice.split(separator: 0x2e, maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = digits(parts[0]), whole <= 253_402_300_799 else { return nil }  // up to year 9999
        var micros = whole * 1_000_000
        if parts.count == 2 {
            guard let fraction = fractionMicros(parts[1]) else { return nil }
            micros += fraction
        }
        return negative ? -micros : micros
    }

    private static func parseRFC3339(_ b: [UInt8]) -> Int64? {
        // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
        guard b.count >= 20, b[4] == 0x2d, b[7] == 0x2d, b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20,
              b[13] == 0x3a, b[16] == 0x3a,
              let year = digits(b[0..<4]), let month = digits(b[5..<7]), let day = digits(b[8..<10]),
              let hour = digits(b[11..<13]), let minute = digits(b[14..<16]), let second = digits(b[17..<19])
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if b[index] == 0x2e {
            var end = index + 1
            while end < b.count, b[end] >= 0x30, b[end] <= 0x39 { end += 1 }
            guard let parsed = fractionMicros(b[(index + 1)..<end]) else { return nil }
            fraction = parsed
            index = end
        }
        guard index < b.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch b[index] {
        case 0x5a, 0x7a:  // Z z
            guard index + 1 == b.count else { return nil }
        case 0x2b, 0x2d:  // + -
            guard index + 6 == b.count, b[index + 3] == 0x3a,
                  let oh = digits(b[(index + 1)..<(index + 3)]), let om = digits(b[(index + 4)..<(index + 6)]),
                  oh <= 23, om <= 59 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[index] == 0x2b ? 1 : -1)
        default:
            return nil
        }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + min(second, 59)
            - offsetSeconds
        return seconds * 1_000_000 + fraction
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// (year, month, day) of a day count since 1970-01-01 (civil_from_days).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
