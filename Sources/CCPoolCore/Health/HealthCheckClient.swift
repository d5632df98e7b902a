import NIOCore
import NIOHTTP2

/// Starts `grpc.health.v1.Health` RPCs on an HTTP/2 connection that is already READY: the
/// subchannel's own connection (docs/connection.md, "Health checking"), or one a test or the CLI dialled.
///
/// Every RPC has a deadline: `Check` its `timeout`; `Watch`, a long-lived stream, a
/// first-response deadline and an optional overall one. Calls are loop-confined and cost one
/// HTTP/2 stream plus a small object: no task, no AsyncStream.
public enum HealthCheckClient {
    /// Opens `Watch` for `service` ("" = the whole server) and reports each status the server
    /// streams, then exactly one ``HealthCheckEvent/finished(_:)``.
    ///
    /// - Parameters:
    ///   - multiplexer: the READY connection's multiplexer (``ConnectionHandle/multiplexer``).
    ///   - eventLoop: the connection's event loop. Call this on it; `handler` runs on it.
    ///   - authority: the `:authority` header, e.g. `host:port`.
    ///   - firstResponseTimeout: no status (and no end of call) by then → `DEADLINE_EXCEEDED`,
    ///     and the stream is reset.
    ///   - deadline: the whole stream's deadline, sent as `grpc-timeout`; nil for none.
    ///   - maximumMessageSize: larger responses end the call with `RESOURCE_EXHAUSTED`.
    ///   - handler: receives the events; never called from inside this function.
    /// - Returns: the call; ``HealthCheckCall/cancel()`` stops it without further events.
    public static func watch(
        service: String,
        on multiplexer: NIOHTTP2Handler.StreamMultiplexer,
        eventLoop: any EventLoop,
        authority: String,
        firstResponseTimeout: TimeAmount,
        deadline: NIODeadline? = nil,
        maximumMessageSize: Int = GRPCMessageDeframer.defaultMaximumMessageSize,
        handler: @escaping (HealthCheckEvent) -> Void
    ) -> HealthCheckCall {
        start(HealthCheckCall(
            method: .watch, service: service, multiplexer: multiplexer, eventLoop: eventLoop,
            authority: authority, firstResponseTimeout: firstResponseTimeout, deadline: deadline,
            maximumMessageSize: maximumMessageSize, handler: handler))
    }

    /// Runs `Check` for `service` with a deadline of `timeout` (also sent as `grpc-timeout`).
    /// Reports one status, then ``HealthCheckEvent/finished(_:)``; an unknown service ends with
    /// `NOT_FOUND` and no status. Same rules as ``watch(service:on:eventLoop:authority:firstResponseTimeout:deadline:maximumMessageSize:handler:)``.
    public static func check(
        service: String,
        on multiplexer: NIOHTTP2Handler.StreamMultiplexer,
        eventLoop: any EventLoop,
        authority: String,
        timeout: TimeAmount,
        maximumMessageSize: Int = GRPCMessageDeframer.defaultMaximumMessageSize,
        handler: @escaping (HealthCheckEvent) -> Void
    ) -> HealthCheckCall {
        start(HealthCheckCall(
            method: .check, service: service, multiplexer: multiplexer, eventLoop: eventLoop,
            authority: authority, firstResponseTimeout: nil, deadline: eventLoop.now + timeout,
            maximumMessageSize: maximumMessageSize, handler: handler))
    }

    private static func start(_ call: HealthCheckCall) -> HealthCheckCall {
        call.eventLoop.preconditionInEventLoop()
        // Start on the next loop tick, so the handler never runs inside watch()/check(), even
        // when the connection is already gone and the stream fails at once.
        call.eventLoop.assumeIsolated().execute { call.start() }
        return call
    }
}
