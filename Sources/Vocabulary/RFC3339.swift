import Foundation

/// RFC 3339 timestamps in UTC: the one formatter and parser of every time ccpool writes or reads as text
/// (API bodies, history, the dashboard, log lines).
///
/// Pure arithmetic on the proleptic Gregorian calendar (no locale, no time zone database, no formatter
/// objects), so it is thread-safe and cheap enough to call per field of a 5,000-target response or per log
/// line. Depends on Foundation's `Date` only.
public enum RFC3339 {
    /// `2024-05-01T12:34:56.123456Z` for microseconds since the Unix epoch: UTC, `fractionDigits` (0–6)
    /// sub-second digits, truncated (never rounded up into the next second).
    /// Times outside years 0000–9999 are written as the nearest end of that range.
    public static func format(micros: Int64, fractionDigits: Int = 6) -> String {
        precondition((0...6).contains(fractionDigits), "RFC3339 keeps at most microseconds")
        let micros = min(max(micros, earliest), latest)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        var fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let length = 20 + (fractionDigits > 0 ? fractionDigits + 1 : 0)
        return String(unsafeUninitializedCapacity: length) { buffer in
            func put(_ value: Int64, width: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
            }
            put(year, width: 4, at: 0)
            buffer[4] = 0x2d
            put(month, width: 2, at: 5)
            buffer[7] = 0x2d
            put(day, width: 2, at: 8)
            buffer[10] = 0x54  // T
            put(secondOfDay / 3600, width: 2, at: 11)
            buffer[13] = 0x3a
            put(secondOfDay / 60 % 60, width: 2, at: 14)
            buffer[16] = 0x3a
            put(secondOfDay % 60, width: 2, at: 17)
            var end = 19
            if fractionDigits > 0 {
                buffer[19] = 0x2e
                for _ in fractionDigits..<6 { fraction /= 10 }
                put(fraction, width: fractionDigits, at: 20)
                end = 20 + fractionDigits
            }
            buffer[end] = 0x5a  // Z
            return end + 1
        }
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, in microseconds since the Unix epoch.
    static let earliest: Int64 = -62_167_219_200_000_000
    static let latest: Int64 = 253_402_300_799_999_999

    /// `date` as ``format(micros:fractionDigits:)``, taken to the nearest microsecond first (as the history
    /// stores it), so a `Date` made from a whole number of microseconds prints exactly those.
    public static func format(_ date: Date, fractionDigits: Int = 6) -> String {
        format(micros: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()), fractionDigits: fractionDigits)
    }

    /// Microseconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: `T`, `t` or a space
    /// between date and time, `Z` or `z`, a fraction of up to 9 digits (truncated to microseconds), a leap
    /// second read as :59. Nil for anything else, including years outside 0000–9999.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 64, b[4] == 0x2d, b[7] == 0x2d, b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20,
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

    /// The value of 1 to 18 ASCII digits. Public for the history's other time text, Unix seconds.
    public static func digits(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }

    /// Up to 9 fractional digits, as microseconds (extra digits truncated).
    public static func fractionMicros(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 9, digits(bytes) != nil else { return nil }
        var value: Int64 = 0
        for (index, byte) in bytes.enumerated() where index < 6 { value = value * 10 + Int64(byte - 0x30) }
        for _ in min(bytes.count, 6)..<6 { value *= 10 }
        return value
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
