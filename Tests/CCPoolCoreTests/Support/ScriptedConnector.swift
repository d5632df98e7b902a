import CCPoolCore
import NIOCore
import NIOHTTP2

/// A connector whose attempts the test completes by hand, for virtual-clock tests on an
/// `EmbeddedEventLoop`.
///
/// `@unchecked Sendable`: it is only ever used on the embedded loop's single (test) thread.
final class ScriptedConnector: SubchannelConnector, @unchecked Sendable {
    struct Attempt {
        let address: Address
        let deadline: NIODeadline
        let events: (ConnectionEvent) -> Void
        let handle: ScriptedHandle
    }

    private(set) var attempts: [Attempt] = []

    func connect(
        to address: Address, deadline: NIODeadline, keepalive: KeepaliveConfiguration?,
        on eventLoop: any EventLoop, events: @escaping (ConnectionEvent) -> Void
    ) -> any ConnectionHandle {
        let handle = ScriptedHandle()
        attempts.append(Attempt(address: address, deadline: deadline, events: events, handle: handle))
        return handle
    }

    /// Reports `event` for attempt `index` unless the subchannel already closed it.
    func report(_ index: Int, _ event: ConnectionEvent) {
        let attempt = attempts[index]
        guard !attempt.handle.closed else { return }
        attempt.events(event)
    }
}

final class ScriptedHandle: ConnectionHandle {
    private(set) var closed = false
    func close() { closed = true }
    var multiplexer: NIOHTTP2Handler.StreamMultiplexer? { nil }
}
