import Vocabulary

/// `grpc.health.v1.HealthCheckResponse.ServingStatus`, as it travels on the wire.
///
/// proto3 enums are open: a value this build does not know is kept as ``unrecognized(_:)`` rather
/// than rejected, so a newer server cannot break the decoder.
public enum ServingStatus: Hashable, Sendable, CustomStringConvertible {
    case unknown
    case serving
    case notServing
    /// Only sent by `Watch`, for a service the server does not know.
    case serviceUnknown
    case unrecognized(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unknown
        case 1: self = .serving
        case 2: self = .notServing
        case 3: self = .serviceUnknown
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .unknown: return 0
        case .serving: return 1
        case .notServing: return 2
        case .serviceUnknown: return 3
        case .unrecognized(let value): return value
        }
    }

    /// The proto enum name: `SERVING`, `NOT_SERVING`, ...; an unrecognized value reads `UNKNOWN(<n>)`.
    public var description: String {
        switch self {
        case .unknown: return "UNKNOWN"
        case .serving: return "SERVING"
        case .notServing: return "NOT_SERVING"
        case .serviceUnknown: return "SERVICE_UNKNOWN"
        case .unrecognized(let value): return "UNKNOWN(\(value))"
        }
    }

    /// Parses a proto enum name (`SERVING`, ...) or a number; nil for anything else.
    public init?(name: String) {
        switch name {
        case "UNKNOWN": self = .unknown
        case "SERVING": self = .serving
        case "NOT_SERVING": self = .notServing
        case "SERVICE_UNKNOWN": self = .serviceUnknown
        default:
            guard let value = Int32(name) else { return nil }
            self.init(rawValue: value)
        }
    }
}

extension HealthStatus {
    /// The API form of a status received on the wire; values this build does not know read `UNKNOWN`.
    public init(_ status: ServingStatus) {
        switch status {
        case .serving: self = .serving
        case .notServing: self = .notServing
        case .serviceUnknown: self = .serviceUnknown
        case .unknown, .unrecognized: self = .unknown
        }
    }
}
