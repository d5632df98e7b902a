/// What a health RPC reports to its handler, on its event loop, in order: zero or more
/// ``status(_:)``, then exactly one ``finished(_:)``. A `Watch` reports every status as it
/// arrives; a `Check` reports its one status just before `.finished(OK)`, and none when it ends
/// otherwise (as gRPC clients drop a unary response that comes with an error). Nothing follows `finished`, and nothing at all follows
/// ``HealthCheckCall/cancel()``.
public enum HealthCheckEvent: Hashable, Sendable {
    /// A `HealthCheckResponse` arrived.
    case status(ServingStatus)
    /// The call ended. UNIMPLEMENTED means the server has no health service (docs/connection.md, "Health checking":
    /// READY with health DISABLED); DEADLINE_EXCEEDED covers both the first-response deadline and the overall one;
    /// UNAVAILABLE a connection that closed under the call.
    case finished(GRPCStatus)
}
