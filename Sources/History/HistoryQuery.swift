import Vocabulary
import Foundation

/// The filters of `GET /v1/history` (and `ccpool history`), parsed and validated.
///
/// Parse it from raw query-string pairs with `parse(_:)`; every value is checked here and later bound as an
/// SQL parameter, never spliced into SQL. Results are in increasing `id` order; `cursor` resumes after the
/// last row of the previous page (keyset pagination).
public struct HistoryQuery: Sendable, Equatable {
    public var target: String?
    public var scope: TransitionScope?
    public var subchannel: Int64?
    public var to: ConnectivityState?
    /// Inclusive lower bound on the event time, microseconds since the epoch.
    public var since: Int64?
    /// Exclusive upper bound on the event time, microseconds since the epoch.
    public var until: Int64?
    /// 1...10000.
    public var limit: Int
    /// Only events with `id` greater than this (decoded from the cursor).
    public var afterID: Int64?

    public static let defaultLimit = 1000
    public static let limitRange = 1...10_000
    /// Every parameter the query accepts.
    public static let parameterNames: Set<String> = ["target", "scope", "subchannel", "to", "since", "until", "limit", "cursor"]

    public init(target: String? = nil, scope: TransitionScope? = nil, subchannel: Int64? = nil,
                to: ConnectivityState? = nil, since: Int64? = nil, until: Int64? = nil,
                limit: Int = HistoryQuery.defaultLimit, afterID: Int64? = nil) {
        self.target = target
        self.scope = scope
        self.subchannel = subchannel
        self.to = to
        self.since = since
        self.until = until
        self.limit = limit
        self.afterID = afterID
    }

    /// Parses raw (already percent-decoded) query-string pairs. Unknown or repeated parameters and bad
    /// values are errors.
    public static func parse(_ items: [(key: String, value: String)]) throws(HistoryQueryError) -> HistoryQuery {
        var query = HistoryQuery()
        var seen: Set<String> = []
        for (key, value) in items {
            guard parameterNames.contains(key) else {
                throw HistoryQueryError(.unknownParameter, parameter: key,
                                        "unknown parameter '\(key)'; known: \(parameterNames.sorted().joined(separator: ", "))")
            }
            guard seen.insert(key).inserted else {
                throw HistoryQueryError(.duplicateParameter, parameter: key, "parameter '\(key)' is given more than once")
            }
            func invalid(_ expected: String) -> HistoryQueryError {
                HistoryQueryError(.invalidParameter, parameter: key, "invalid value for '\(key)': \(expected)")
            }
            switch key {
            case "target":
                guard isValidTargetName(value) else { throw invalid("a target name is 1–128 characters of [A-Za-z0-9._-]") }
                query.target = value
            case "scope":
                guard let scope = TransitionScope(rawValue: value) else { throw invalid("expected 'channel' or 'subchannel'") }
                query.scope = scope
            case "subchannel":
                guard let id = Int64(value), id >= 0, value.allSatisfy(\.isASCII) else { throw invalid("expected a subchannel id (a non-negative integer)") }
                query.subchannel = id
            case "to":
                guard let state = ConnectivityState(rawValue: value) else {
                    throw invalid("expected one of \(ConnectivityState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.to = state
            case "since", "until":
                guard let time = HistoryTime.parse(value) else {
                    throw invalid("expected an RFC 3339 time (2024-05-01T12:00:00Z, optional fraction) or Unix seconds")
                }
                if key == "since" { query.since = time } else { query.until = time }
            case "limit":
                guard let limit = Int(value), limitRange.contains(limit), value.allSatisfy(\.isASCII) else {
                    throw invalid("expected an integer from \(limitRange.lowerBound) to \(limitRange.upperBound)")
                }
                query.limit = limit
            case "cursor":
                guard let id = decodeCursor(value) else { throw invalid("not a cursor returned by this API") }
                query.afterID = id
            default:
                break
            }
        }
        if let since = query.since, let until = query.until, since > until {
            throw HistoryQueryError(.invalidParameter, parameter: "until", "invalid value for 'until': it is before 'since'")
        }
        return query
    }

    /// Target names are 1–128 characters of `[A-Za-z0-9._-]` (docs/api.md).
    public static func isValidTargetName(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...128).contains(bytes.count) && bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2e || byte == 0x5f || byte == 0x2d
        }
    }

    /// The opaque cursor for "after `id`": base64url (no padding) of "id:<decimal>".
    public static func encodeCursor(afterID id: Int64) -> String {
        Data("id:\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decodeCursor(_ cursor: String) -> Int64? {
        guard !cursor.isEmpty, cursor.count <= 64,
              cursor.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("id:"), let id = Int64(text.dropFirst(3)), id >= 0, "id:\(id)" == text,
              encodeCursor(afterID: id) == cursor else { return nil }
        return id
    }
}

/// A rejected history query parameter. `code` is the API's snake_case error code (HTTP 400).
public struct HistoryQueryError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case unknownParameter = "unknown_parameter"
        case duplicateParameter = "duplicate_parameter"
        case invalidParameter = "invalid_parameter"
    }

    public var code: Code
    public var parameter: String
    public var message: String

    public init(_ code: Code, parameter: String, _ message: String) {
        self.code = code
        self.parameter = parameter
        self.message = message
    }

    public var description: String { message }
}

/// One page of results: the events and, when more rows match, the cursor that continues after them.
public struct HistoryPage: Sendable, Equatable {
    public var events: [StoredEvent]
    public var nextCursor: String?

    public init(events: [StoredEvent], nextCursor: String?) {
        self.events = events
        self.nextCursor = nextCursor
    }
}

/// Time with channel state READY in a window: `{"window_seconds", "ready_seconds", "ready_fraction", "transitions"}`.
public struct Availability: Sendable, Equatable {
    public var windowSeconds: Double
    public var readySeconds: Double
    public var readyFraction: Double
    /// Channel transitions inside the window.
    public var transitions: Int

    public init(windowSeconds: Double, readySeconds: Double, readyFraction: Double, transitions: Int) {
        self.windowSeconds = windowSeconds
        self.readySeconds = readySeconds
        self.readyFraction = readyFraction
        self.transitions = transitions
    }

    /// Parses a duration with a unit: "500ms", "30s", "15m", "1h", "7d".
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000)]
        for (suffix, micros) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(number),
                  value > 0, value <= Int64.max / micros else { return nil }
            return .microseconds(value * micros)
        }
        return nil
    }
}
