import Foundation
import NIOCore

/// A duration written as a number and a unit: `250ms`, `1.5s`, `30s`, `2m`, `1h`, and `7d` where
/// days are allowed (history retention).
///
/// The configuration and the admin API both write durations this way, so `"30"` (which unit?)
/// and `30` are rejected instead of guessed. The value is exact to the nanosecond; fractions finer
/// than that, negative values and values beyond `Int64` nanoseconds (about 292 years) are errors.
/// `description` is the canonical text: the largest unit that divides the value exactly.
public struct DurationText: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static func seconds(_ seconds: Int64) -> DurationText { .init(nanoseconds: seconds * 1_000_000_000) }
    public static func milliseconds(_ ms: Int64) -> DurationText { .init(nanoseconds: ms * 1_000_000) }
    public static func days(_ days: Int64) -> DurationText { .init(nanoseconds: days * 86_400_000_000_000) }

    public init(_ amount: TimeAmount) { self.init(nanoseconds: amount.nanoseconds) }

    public var timeAmount: TimeAmount { .nanoseconds(nanoseconds) }
    public var duration: Duration { .nanoseconds(nanoseconds) }

    public static func < (lhs: DurationText, rhs: DurationText) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// A unit a duration may be written in.
    public enum Unit: String, CaseIterable, Sendable {
        case milliseconds = "ms", seconds = "s", minutes = "m", hours = "h", days = "d"

        var nanoseconds: Int64 {
            switch self {
            case .milliseconds: 1_000_000
            case .seconds: 1_000_000_000
            case .minutes: 60_000_000_000
            case .hours: 3_600_000_000_000
            case .days: 86_400_000_000_000
            }
        }
    }

    /// Parses `text`. `allowDays` admits the `d` unit (history retention only).
    public static func parse(_ text: String, allowDays: Bool = false) throws(DurationTextError) -> DurationText {
        let units = allowDays ? "ms, s, m, h, d" : "ms, s, m, h"
        func fail(_ message: String) -> DurationTextError { DurationTextError(text: text, message: message) }

        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            throw fail("expected a duration such as \"30s\" (units: \(units)), got an empty string")
        }
        if trimmed.hasPrefix("-") {
            throw fail("\"\(text)\" is negative; a duration must be zero or more")
        }
        let digitsEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let number = trimmed[..<digitsEnd]
        let unitText = trimmed[digitsEnd...].trimmingCharacters(in: .whitespaces)
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw fail("\"\(text)\" is not a duration; expected a number followed by a unit, such as \"30s\" (units: \(units))")
        }
        if unitText.isEmpty {
            throw fail("\"\(text)\" has no unit; write it as \"\(number)s\" or \"\(number)ms\" (units: \(units))")
        }
        guard let unit = Unit(rawValue: unitText) else {
            throw fail("\"\(text)\" has an unknown unit \"\(unitText)\" (units: \(units))")
        }
        if unit == .days && !allowDays {
            throw fail("\"\(text)\": days are not allowed here (units: \(units))")
        }

        let tooLarge = fail("\"\(text)\" is too large (at most about 292 years)")
        guard let whole = Int64(parts[0]) else { throw tooLarge }
        var (total, overflow) = whole.multipliedReportingOverflow(by: unit.nanoseconds)
        if overflow { throw tooLarge }
        if parts.count == 2 {
            // Exact decimal arithmetic: fraction × unit must be a whole number of nanoseconds.
            let fraction = parts[1]
            var numerator: Int64 = 0
            var denominator: Int64 = 1
            for digit in fraction {
                guard numerator < Int64.max / 10, denominator <= Int64.max / 10 else {
                    throw fail("\"\(text)\" has too many decimal places")
                }
                numerator = numerator * 10 + Int64(digit.wholeNumberValue!)
                denominator *= 10
            }
            let (scaled, scaledOverflow) = numerator.multipliedReportingOverflow(by: unit.nanoseconds)
            if scaledOverflow || scaled % denominator != 0 {
                throw fail("\"\(text)\" is finer than a nanosecond")
            }
            (total, overflow) = total.addingReportingOverflow(scaled / denominator)
            if overflow { throw tooLarge }
        }
        return DurationText(nanoseconds: total)
    }

    /// The canonical text, without days: `1500ms`, `30s`, `2m`, `48h`, `0.5ms`.
    public var description: String { format(allowDays: false) }

    /// The canonical text; with `allowDays`, whole days are written as `7d`.
    public func format(allowDays: Bool) -> String {
        if nanoseconds == 0 { return "0s" }
        let units: [Unit] = allowDays ? [.days, .hours, .minutes, .seconds, .milliseconds] : [.hours, .minutes, .seconds, .milliseconds]
        for unit in units where nanoseconds % unit.nanoseconds == 0 {
            return "\(nanoseconds / unit.nanoseconds)\(unit.rawValue)"
        }
        // Below a millisecond's precision: milliseconds with a fraction, trailing zeros removed.
        let whole = nanoseconds / 1_000_000
        var fraction = String(nanoseconds % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)ms"
    }
}

/// Why a duration's text was rejected; the message quotes the text and lists the units.
public struct DurationTextError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var message: String
    public var description: String { message }
}
