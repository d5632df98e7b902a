import NIOCore
import NIOHTTP2
import Vocabulary

/// What a connection attempt reports to its subchannel, on the subchannel's loop.
///
/// Before ``ready`` an attempt ends with exactly one ``failed``; after it, the connection ends
/// with ``closed`` (possibly preceded by ``goAway``). Nothing is reported after the subchannel
/// itself called ``ConnectionHandle/close()``.
public enum ConnectionEvent: Hashable, Sendable {
    /// TCP (and TLS) is up and the server's SETTINGS frame arrived (docs/connection.md, "Subchannels" 3).
    case ready
    /// The attempt failed before ``ready``.
    case failed(ConnectFailure)
    /// The server sent GOAWAY on a ready connection.
    case goAway(HTTP2ErrorCode, debugData: String)
    /// A ready connection closed. `detail` adds human text (the error seen), if any.
    case closed(DisconnectReason, detail: String?)
}

/// One dialled connection, owned by a subchannel. Loop-confined.
public protocol ConnectionHandle: AnyObject {
    /// Closes the attempt or connection; no event is reported after this.
    func close()
    /// The HTTP/2 stream multiplexer once READY, for RPCs on this connection (health checks).
    var multiplexer: NIOHTTP2Handler.StreamMultiplexer? { get }
}

/// Dials one address. The seam between a subchannel and the network, so tests can drive a
/// subchannel on a virtual clock with scripted outcomes.
public protocol SubchannelConnector: Sendable {
    /// Starts connecting to `address`, giving up by `deadline`. `events` is called on `eventLoop`,
    /// never from inside this call.
    func connect(
        to address: Address,
        deadline: NIODeadline,
        keepalive: KeepaliveConfiguration?,
        on eventLoop: any EventLoop,
        events: @escaping (ConnectionEvent) -> Void
    ) -> any ConnectionHandle
}

/// HTTP/2 keepalive (docs/connection.md, "Subchannels" 9): a PING every `time`; no ACK within `timeout` closes the
/// connection with "connection timed out".
public struct KeepaliveConfiguration: Hashable, Sendable {
    public var time: TimeAmount
    public var timeout: TimeAmount

    public init(time: TimeAmount, timeout: TimeAmount = .seconds(20)) {
        self.time = time
        self.timeout = timeout
    }
}
