/// The two RPCs of `grpc.health.v1.Health`.
public enum HealthCheckMethod: String, Hashable, Sendable, CustomStringConvertible {
    /// Unary: one status, then the call ends.
    case check = "/grpc.health.v1.Health/Check"
    /// Server streaming: the current status, then every change, for as long as the stream lives.
    case watch = "/grpc.health.v1.Health/Watch"

    /// The HTTP/2 `:path`.
    public var path: String { rawValue }
    public var description: String { rawValue }
}
