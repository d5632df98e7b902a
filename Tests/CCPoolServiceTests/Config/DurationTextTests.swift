import Testing

@testable import CCPoolService

extension ConfigTests {
    @Suite struct DurationTextTests {
        @Test(arguments: [
            ("250ms", Int64(250_000_000)),
            ("1s", 1_000_000_000),
            ("1.5s", 1_500_000_000),
            ("0.5ms", 500_000),
            ("2m", 120_000_000_000),
            ("1h", 3_600_000_000_000),
            ("0s", 0),
            (" 30s ", 30_000_000_000),
            ("120s", 120_000_000_000),
        ])
        func parsesValid(text: String, nanoseconds: Int64) throws {
            #expect(try DurationText.parse(text).nanoseconds == nanoseconds)
        }

        @Test func daysOnlyWhereAllowed() throws {
            #expect(try DurationText.parse("7d", allowDays: true) == .days(7))
            #expect(throws: DurationTextError.self) { try DurationText.parse("7d") }
        }

        @Test(arguments: [
            ("", "expected a duration such as \"30s\" (units: ms, s, m, h), got an empty string"),
            ("30", "\"30\" has no unit; write it as \"30s\" or \"30ms\" (units: ms, s, m, h)"),
            ("-5s", "\"-5s\" is negative; a duration must be zero or more"),
            ("5x", "\"5x\" has an unknown unit \"x\" (units: ms, s, m, h)"),
            ("5 sec", "\"5 sec\" has an unknown unit \"sec\" (units: ms, s, m, h)"),
            ("abc", "\"abc\" is not a duration; expected a number followed by a unit, such as \"30s\" (units: ms, s, m, h)"),
            ("1.2.3s", "\"1.2.3s\" is not a duration; expected a number followed by a unit, such as \"30s\" (units: ms, s, m, h)"),
            (".5s", "\".5s\" is not a duration; expected a number followed by a unit, such as \"30s\" (units: ms, s, m, h)"),
            ("99999999999h", "\"99999999999h\" is too large (at most about 292 years)"),
            ("99999999999999999999s", "\"99999999999999999999s\" is too large (at most about 292 years)"),
            ("0.0000000001s", "\"0.0000000001s\" is finer than a nanosecond"),
            ("7d", "\"7d\": days are not allowed here (units: ms, s, m, h)"),
        ])
        func rejectsInvalid(text: String, message: String) {
            #expect(throws: DurationTextError(text: text, message: message)) { try DurationText.parse(text) }
        }

        @Test(arguments: [
            (Int64(0), "0s"), (1_500_000_000, "1500ms"), (30_000_000_000, "30s"), (120_000_000_000, "2m"),
            (172_800_000_000_000, "48h"), (500_000, "0.5ms"), (1_000, "0.001ms"),
        ])
        func canonicalText(nanoseconds: Int64, text: String) throws {
            let value = DurationText(nanoseconds: nanoseconds)
            #expect(value.description == text)
            #expect(try DurationText.parse(text) == value)
        }

        @Test func formatsDaysWhenAllowed() {
            #expect(DurationText.days(7).format(allowDays: true) == "7d")
            #expect(DurationText.days(7).description == "168h")
        }
    }
}
