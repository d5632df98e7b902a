import CCPoolCore
import NIOCore
import NIOHTTP2
import NIOPosix

/// One READY HTTP/2 connection (dialled with the production ``HTTP2Connector``) on which a test
/// starts health RPCs. Every call hops onto the connection's loop.
struct HealthTestConnection: Sendable {
    let loop: any EventLoop
    let address: Address
    /// Everything the connection reported (`.ready`, then `.closed`, ...).
    let connectionEvents: Recorder<ConnectionEvent>
    private let handle: NIOLoopBound<any ConnectionHandle>

    struct ConnectFailed: Error { var event: ConnectionEvent }

    static func connect(
        to address: Address, loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) async throws -> HealthTestConnection {
        let events = Recorder<ConnectionEvent>()
        let handle = try await loop.submit {
            NIOLoopBound(
                HTTP2Connector().connect(
                    to: address, deadline: .now() + .seconds(5), keepalive: nil, on: loop,
                    events: { events.record($0) }),
                eventLoop: loop)
        }.get()
        try await events.wait(timeout: .seconds(10), "connection to \(address)") { !$0.isEmpty }
        guard events.events.first == .ready else { throw ConnectFailed(event: events.events[0]) }
        return HealthTestConnection(loop: loop, address: address, connectionEvents: events, handle: handle)
    }

    /// Starts `Watch`; the probe records its events.
    func watch(
        service: String, firstResponseTimeout: TimeAmount = .seconds(5), deadline: TimeAmount? = nil,
        maximumMessageSize: Int = GRPCMessageDeframer.defaultMaximumMessageSize,
        cancelOnFirstStatus: Bool = false, cancelImmediately: Bool = false
    ) async throws -> HealthCallProbe {
        let events = Recorder<HealthCheckEvent>()
        let address = self.address
        let call = try await loop.submit {
            let loop = self.loop
            let multiplexer = self.handle.value.multiplexer!
            let callBox = NIOLoopBound(CallBox(), eventLoop: loop)
            let call = HealthCheckClient.watch(
                service: service, on: multiplexer, eventLoop: loop, authority: address.authority,
                firstResponseTimeout: firstResponseTimeout, deadline: deadline.map { loop.now + $0 },
                maximumMessageSize: maximumMessageSize
            ) { event in
                events.record(event)
                if cancelOnFirstStatus, case .status = event { callBox.value.call?.cancel() }
            }
            callBox.value.call = call
            if cancelImmediately { call.cancel() }
            return NIOLoopBound(call, eventLoop: loop)
        }.get()
        return HealthCallProbe(loop: loop, call: call, events: events)
    }

    /// Starts `Check`; the probe records its events.
    func check(service: String, timeout: TimeAmount = .seconds(5)) async throws -> HealthCallProbe {
        let events = Recorder<HealthCheckEvent>()
        let address = self.address
        let call = try await loop.submit {
            let call = HealthCheckClient.check(
                service: service, on: self.handle.value.multiplexer!, eventLoop: self.loop,
                authority: address.authority, timeout: timeout
            ) { events.record($0) }
            return NIOLoopBound(call, eventLoop: self.loop)
        }.get()
        return HealthCallProbe(loop: loop, call: call, events: events)
    }

    /// Waits until the connection reported its end (after the server closed it).
    func waitUntilClosed() async throws {
        try await connectionEvents.wait(timeout: .seconds(10), "connection closed") { events in
            events.contains { if case .closed = $0 { return true } else { return false } }
        }
    }

    /// Runs nothing on the loop, to be sure that everything queued before has run.
    func drainLoop() async throws {
        try await loop.submit {}.get()
    }

    func close() async throws {
        try await loop.submit { self.handle.value.close() }.get()
    }
}

/// Lets a handler reach the call it belongs to (the call exists only after `watch` returns).
private final class CallBox {
    var call: HealthCheckCall?
}

/// One started health RPC and the events it reported.
struct HealthCallProbe: Sendable {
    let loop: any EventLoop
    let call: NIOLoopBound<HealthCheckCall>
    let events: Recorder<HealthCheckEvent>

    /// Statuses received so far, in order.
    var statuses: [ServingStatus] {
        events.events.compactMap { if case .status(let s) = $0 { return s } else { return nil } }
    }

    /// Waits for the `count`-th status.
    func waitForStatuses(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        try await events.wait(timeout: timeout, "\(count) statuses") { events in
            events.filter { if case .status = $0 { return true } else { return false } }.count >= count
        }
    }

    /// Waits for the end of the call and returns its status.
    func waitForFinish(timeout: Duration = .seconds(10)) async throws -> GRPCStatus {
        try await events.wait(timeout: timeout, "the call to finish") { events in
            events.contains { if case .finished = $0 { return true } else { return false } }
        }
        for case .finished(let status) in events.events { return status }
        throw RecorderTimeout(what: "a finished event", events: "\(events.events)")
    }

    func cancel() async throws {
        try await loop.submit { self.call.value.cancel() }.get()
    }

    var isFinished: Bool {
        get async throws { try await loop.submit { self.call.value.isFinished }.get() }
    }
}
