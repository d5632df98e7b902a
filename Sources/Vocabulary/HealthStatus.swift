/// A subchannel's health as the API's `health` field and the `ccpool_health_check_status` gauge spell it.
///
/// The health service's serving statuses plus ``disabled``: the server answered the health RPC with
/// UNIMPLEMENTED, so the subchannel counts as READY without health checking (docs/connection.md, "Health
/// checking").
public enum HealthStatus: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case serving = "SERVING"
    case notServing = "NOT_SERVING"
    case unknown = "UNKNOWN"
    case serviceUnknown = "SERVICE_UNKNOWN"
    case disabled = "DISABLED"

    public var description: String { rawValue }
}
