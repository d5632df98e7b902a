import Foundation
import Vocabulary
import Testing

@Suite("RFC 3339")
struct RFC3339Tests {
    @Test("formats UTC with 0 to 6 fraction digits, truncating")
    func formatDigits() {
        let micros: Int64 = 1_714_566_896_987_654
        #expect(RFC3339.format(micros: micros) == "2024-05-01T12:34:56.987654Z")
        #expect(RFC3339.format(micros: micros, fractionDigits: 3) == "2024-05-01T12:34:56.987Z")
        #expect(RFC3339.format(micros: micros, fractionDigits: 1) == "2024-05-01T12:34:56.9Z")
        #expect(RFC3339.format(micros: micros, fractionDigits: 0) == "2024-05-01T12:34:56Z")
        #expect(RFC3339.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(micros: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(RFC3339.format(micros: 951_782_400_000_000) == "2000-02-29T00:00:00.000000Z")
    }

    @Test("times beyond years 0000-9999 are written as the range's ends")
    func clamps() {
        #expect(RFC3339.format(micros: .max) == "9999-12-31T23:59:59.999999Z")
        #expect(RFC3339.format(micros: .min) == "0000-01-01T00:00:00.000000Z")
    }

    @Test("a Date is taken to the nearest microsecond")
    func dates() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_714_566_896.123456)) == "2024-05-01T12:34:56.123456Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_767_225_600.25), fractionDigits: 3) == "2026-01-01T00:00:00.250Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 59.9999999), fractionDigits: 0) == "1970-01-01T00:01:00Z")
    }

    @Test("parses what it writes, offsets, t/space separators, up to 9 digits, a leap second")
    func parse() {
        for micros: Int64 in [0, -1, 1_714_566_896_123_456, 253_402_300_799_999_999] {
            #expect(RFC3339.parse(RFC3339.format(micros: micros)) == micros)
        }
        #expect(RFC3339.parse("2024-05-01T14:34:56+02:00") == 1_714_566_896_000_000)
        #expect(RFC3339.parse("2024-05-01t12:34:56z") == 1_714_566_896_000_000)
        #expect(RFC3339.parse("2024-05-01 12:34:56.123456789Z") == 1_714_566_896_123_456)
        #expect(RFC3339.parse("2016-12-31T23:59:60Z") == RFC3339.parse("2016-12-31T23:59:59Z"))
    }

    @Test("refuses what is not RFC 3339", arguments: [
        "", "2024-05-01", "2024-05-01T12:34:56", "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-05-01T24:00:00Z",
        "2024-05-01T12:34:56.Z", "2024-05-01T12:34:56.1234567890Z", "2024-05-01T12:34:56+2:00", "2024-05-01T12:34:56Zx",
        "1714566896", "+2024-05-01T12:34:56Z",
    ])
    func refuses(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
