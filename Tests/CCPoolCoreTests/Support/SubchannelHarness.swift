import CCPoolCore
import NIOCore
import NIOPosix
import Vocabulary

/// Owns one subchannel on a real event loop and lets an async test drive it from outside the
/// loop (every call hops onto the loop).
struct SubchannelHarness: Sendable {
    let loop: any EventLoop
    let recorder: EventRecorder
    private let subchannel: NIOLoopBound<Subchannel>

    /// Fast backoff so real-socket tests finish quickly. The pass deadline stays generous: a
    /// loaded CI machine can take a while to complete a loopback handshake.
    static let quickBackoff = BackoffConfiguration(
        baseDelay: .milliseconds(100), multiplier: 1.6, jitter: 0, maxDelay: .seconds(1),
        minConnectTimeout: .seconds(10))

    /// Like ``quickBackoff`` but with a short pass deadline, for tests that wait for it to pass.
    static let shortDeadline = BackoffConfiguration(
        baseDelay: .milliseconds(100), multiplier: 1.6, jitter: 0, maxDelay: .seconds(1),
        minConnectTimeout: .milliseconds(300))

    static func make(
        addresses: [Address],
        backoff: BackoffConfiguration = quickBackoff,
        keepalive: KeepaliveConfiguration? = nil,
        connector: HTTP2Connector = HTTP2Connector(),
        loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) async throws -> SubchannelHarness {
        let recorder = EventRecorder()
        let subchannel = try await loop.submit {
            NIOLoopBound(
                Subchannel(
                    addresses: addresses, eventLoop: loop, connector: connector, backoff: backoff,
                    keepalive: keepalive, observer: recorder),
                eventLoop: loop)
        }.get()
        return SubchannelHarness(loop: loop, recorder: recorder, subchannel: subchannel)
    }

    func connect() async throws {
        try await loop.submit { subchannel.value.connect() }.get()
    }

    func updateAddresses(_ addresses: [Address]) async throws {
        try await loop.submit { subchannel.value.updateAddresses(addresses) }.get()
    }

    func shutdown() async throws {
        try await loop.submit { subchannel.value.shutdown() }.get()
    }

    var state: ConnectivityState {
        get async throws { try await loop.submit { subchannel.value.state }.get() }
    }

    var connectedAddress: Address? {
        get async throws { try await loop.submit { subchannel.value.connectedAddress }.get() }
    }
}
