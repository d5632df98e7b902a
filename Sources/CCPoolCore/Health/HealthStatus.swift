/// A subchannel's health as the API (`"health"` in API.md) and the `ccpool_health_check_status`
/// gauge (METRICS.md) spell it.
///
/// The wire's ``ServingStatus`` plus ``disabled``: the server answered the health RPC with
/// UNIMPLEMENTED, so the subchannel is READY without health checking (SPEC §7).
public enum HealthStatus: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case serving = "SERVING"
    case notServing = "NOT_SERVING"
    case unknown = "UNKNOWN"
    case serviceUnknown = "SERVICE_UNKNOWN"
    case disabled = "DISABLED"

    /// The API form of a status received on the wire; values this build does not know read `UNKNOWN`.
    public init(_ status: ServingStatus) {
        switch status {
        case .serving: self = .serving
        case .notServing: self = .notServing
        case .serviceUnknown: self = .serviceUnknown
        case .unknown, .unrecognized: self = .unknown
        }
    }

    public var description: String { rawValue }
}
