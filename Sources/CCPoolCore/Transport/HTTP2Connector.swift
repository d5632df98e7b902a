import NIOCore
import NIOHTTP2
import Vocabulary
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Dials real HTTP/2 connections with SwiftNIO: TCP or a Unix socket, TLS when configured, the
/// client preface, then waits for the server's SETTINGS (docs/connection.md, "Subchannels" 3).
public struct HTTP2Connector: SubchannelConnector {
    private let tls: TLSClientContext?

    /// Receive buffers start small and grow with what the connection actually reads. A pooled connection
    /// mostly reads a few control frames (SETTINGS, PING, GOAWAY, health responses), and every channel
    /// keeps its last receive buffer for reuse: NIO's default first buffer, 2 KiB, was 2–4 KiB of the
    /// ~30 KiB each idle connection holds (the adaptive allocator doubles a buffer a read fills, so a
    /// busy connection still reaches 64 KiB reads).
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536)

    /// NIOHTTP2's flood guards, at NIO's own rates over a tenth of its window: at most 20 control frames
    /// (PING, SETTINGS, PRIORITY, ...), 20 RST_STREAMs and 20 stream errors from the server in any 3 s,
    /// where NIO's defaults allow 200 in 30 s. Each guard keeps a ring of timestamps sized to its count,
    /// allocated with the connection: at 200 that was 3 × 1.6 KiB, a sixth of an idle connection's heap.
    /// A pooled connection sees a handful of such frames a minute (SETTINGS, keepalive PING ACKs, at most
    /// one health stream at a time), so the lower burst allowance costs nothing but a flooding peer's
    /// connection, which is closed as before (docs/connection.md, "Subchannels" 9).
    static let floodLimit = (count: 20, window: TimeAmount.seconds(3))

    static let streamConfiguration: NIOHTTP2Handler.StreamConfiguration = {
        var configuration = NIOHTTP2Handler.StreamConfiguration()
        configuration.streamResetFrameRateLimit.maximumCount = floodLimit.count
        configuration.streamResetFrameRateLimit.windowLength = floodLimit.window
        configuration.streamErrorRateLimit.maximumCount = floodLimit.count
        configuration.streamErrorRateLimit.windowLength = floodLimit.window
        return configuration
    }()

    /// The control-frame guard also counts the ACKs of our own keepalive PINGs (one in flight at a time), so
    /// a keepalive gets an allowance for them on top: our own PINGs never trip it. The allowance is
    /// reckoned at one PING per millisecond at most, which bounds the guard's ring at ~3,000 entries.
    static func connectionConfiguration(keepalive: KeepaliveConfiguration?) -> NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        var count = floodLimit.count
        if let keepalive {
            let interval = max(keepalive.time.nanoseconds, 1_000_000)
            count += Int((floodLimit.window.nanoseconds + interval - 1) / interval) + 1
        }
        configuration.controlFrameRateLimit.maximumCount = count
        configuration.controlFrameRateLimit.windowLength = floodLimit.window
        return configuration
    }

    /// - Parameter tls: TLS for every connection of this connector, or nil for plaintext.
    public init(tls: TLSClientContext? = nil) {
        self.tls = tls
    }

    public func connect(
        to address: Address,
        deadline: NIODeadline,
        keepalive: KeepaliveConfiguration?,
        on eventLoop: any EventLoop,
        events: @escaping (ConnectionEvent) -> Void
    ) -> any ConnectionHandle {
        let connection = HTTP2Connection(eventLoop: eventLoop, events: events)
        let boundConnection = NIOLoopBound(connection, eventLoop: eventLoop)
        let tls = self.tls
        let timeout = max(deadline - eventLoop.now, .milliseconds(1))
        let connectionConfiguration = Self.connectionConfiguration(keepalive: keepalive)

        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: Self.receiveBuffers)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(try tls.makeHandler(for: address))
                    }
                    _ = try sync.configureHTTP2Pipeline(
                        mode: .client,
                        connectionConfiguration: connectionConfiguration,
                        streamConfiguration: Self.streamConfiguration,
                        inboundStreamInitializer: { $0.close() }
                    )
                    try sync.addHandler(ConnectionHandler(connection: boundConnection.value, keepalive: keepalive))
                }
            }

        let future: EventLoopFuture<any Channel>
        switch address {
        case .hostPort(let host, let port):
            // An IP literal (what the ipv4:, ipv6: and dns: resolvers hand over) is dialled directly:
            // connect(host:port:) would run getaddrinfo on a dispatch thread and a happy-eyeballs
            // state machine with its timers for every connection, most of a start-up's CPU beside
            // the handshakes themselves at thousands of subchannels.
            if let socketAddress = try? SocketAddress(ipAddress: host, port: port) {
                future = bootstrap.connect(to: socketAddress)
            } else {
                future = bootstrap.connect(host: host, port: port)
            }
        case .unix(let path):
            future = bootstrap.connect(unixDomainSocketPath: path)
        }
        future.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                connection.connected(channel)
            case .failure(let error):
                connection.connectFailed(ConnectFailure.from(error))
            }
        }
        return connection
    }
}

/// One dialled connection's lifecycle, loop-confined. Turns channel callbacks into the exactly-once
/// ``ConnectionEvent`` contract.
final class HTTP2Connection: ConnectionHandle {
    private enum State {
        case dialling
        case handshaking(any Channel)
        case ready(any Channel)
        /// Ended: reported to the subchannel, or closed by it.
        case finished
    }

    private let eventLoop: any EventLoop
    private var events: ((ConnectionEvent) -> Void)?
    private var state: State = .dialling
    private(set) var multiplexer: NIOHTTP2Handler.StreamMultiplexer?

    init(eventLoop: any EventLoop, events: @escaping (ConnectionEvent) -> Void) {
        self.eventLoop = eventLoop
        self.events = events
    }

    func close() {
        eventLoop.preconditionInEventLoop()
        events = nil
        switch state {
        case .handshaking(let channel), .ready(let channel):
            channel.close(promise: nil)
        case .dialling, .finished:
            break
        }
        state = .finished
    }

    // Called by the connector and the ConnectionHandler, on the loop.

    func connected(_ channel: any Channel) {
        guard case .dialling = state else {
            // Closed while dialling: drop the late socket.
            channel.close(promise: nil)
            return
        }
        state = .handshaking(channel)
        multiplexer = try? channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
    }

    func connectFailed(_ failure: ConnectFailure) {
        guard case .dialling = state else { return }
        state = .finished
        report(.failed(failure))
    }

    func handshakeCompleted() {
        guard case .handshaking(let channel) = state else { return }
        state = .ready(channel)
        report(.ready)
    }

    func goAwayReceived(code: HTTP2ErrorCode, debugData: String) {
        switch state {
        case .handshaking(let channel):
            state = .finished
            channel.close(promise: nil)
            report(.failed(ConnectFailure("GOAWAY \(HTTP2ErrorName.text(of: code)) during handshake")))
        case .ready:
            report(.goAway(code, debugData: debugData))
        case .dialling, .finished:
            break
        }
    }

    func channelClosed(reason: DisconnectReason, detail: String) {
        switch state {
        case .dialling, .handshaking:
            state = .finished
            report(.failed(ConnectFailure(detail)))
        case .ready:
            state = .finished
            report(.closed(reason, detail: detail))
        case .finished:
            break
        }
    }

    private func report(_ event: ConnectionEvent) {
        events?(event)
    }
}

extension ConnectFailure {
    /// Short human text for a dial error: "connection refused", "connection timed out", ...
    static func from(_ error: any Error) -> ConnectFailure {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                return from(first.error)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return ConnectFailure("name resolution failed for \(error.host)")
            }
            return ConnectFailure("no address to connect to for \(error.host)")
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return ConnectFailure("connection timed out")
        }
        if let io = error as? IOError {
            return ConnectFailure(describe(errno: io.errnoCode))
        }
        if let tls = error as? NIOSSLError {
            return ConnectFailure("TLS handshake failed: \(tls)")
        }
        if let tls = error as? NIOSSLExtraError {
            // For example "Couldn't find <name> in certificate from peer": the name the certificate lacks.
            return ConnectFailure("TLS handshake failed: \(tls)")
        }
        return ConnectFailure("\(error)")
    }

    static func describe(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ETIMEDOUT: return "connection timed out"
        case ECONNRESET: return "connection reset"
        case ECONNABORTED: return "connection aborted"
        case ENOENT: return "no such socket file"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case EACCES, EPERM: return "permission denied"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
