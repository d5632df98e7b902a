import NIOCore
import NIOSSL
import NIOHTTP2
import Vocabulary

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches a client HTTP/2 connection's root stream: the server's first SETTINGS makes it
/// ready, GOAWAY and closure end it, and optional keepalive PINGs detect a silent peer.
///
/// Sits after `NIOHTTP2Handler` (which forwards every stream-0 frame) and reports to its
/// ``HTTP2Connection``.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let connection: HTTP2Connection
    private let keepalive: KeepaliveConfiguration?
    private var sawSettings = false
    /// The first error seen, which explains a later channelInactive.
    private var closeReason: (DisconnectReason, String)?
    private var pingTimer: Scheduled<Void>?
    private var pingTimeout: Scheduled<Void>?
    private let pingData = HTTP2PingData(withInteger: 0x6363_706f_6f6c)  // "ccpool"

    init(connection: HTTP2Connection, keepalive: KeepaliveConfiguration?) {
        self.connection = connection
        self.keepalive = keepalive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.streamID == .rootStream else {
            context.fireChannelRead(data)
            return
        }
        switch frame.payload {
        case .settings(.settings):
            if !sawSettings {
                sawSettings = true
                connection.handshakeCompleted()
                schedulePing(context: context)
            }
        case .goAway(_, let code, let opaqueData):
            let debug = opaqueData.map { String(buffer: $0) } ?? ""
            connection.goAwayReceived(code: code, debugData: debug)
        case .ping(let data, ack: true) where data == pingData:
            pingTimeout?.cancel()
            pingTimeout = nil
            schedulePing(context: context)
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if closeReason == nil { closeReason = Self.classify(error) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pingTimer?.cancel()
        pingTimeout?.cancel()
        let (reason, detail) = closeReason ?? (.connectionReset, "connection closed by peer")
        connection.channelClosed(reason: reason, detail: detail)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pingTimer?.cancel()
        pingTimeout?.cancel()
    }

    private func schedulePing(context: ChannelHandlerContext) {
        guard let keepalive else { return }
        pingTimer = context.eventLoop.assumeIsolated().scheduleTask(in: keepalive.time) {
            self.sendPing(context: context, timeout: keepalive.timeout)
        }
    }

    private func sendPing(context: ChannelHandlerContext, timeout: TimeAmount) {
        pingTimer = nil
        let frame = HTTP2Frame(streamID: .rootStream, payload: .ping(pingData, ack: false))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        pingTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.pingTimeout = nil
            if self.closeReason == nil { self.closeReason = (.connectionTimedOut, "keepalive ping not acknowledged") }
            context.close(promise: nil)
        }
    }

    /// Maps an error to the A94 closed set, keeping the error text as detail.
    static func classify(_ error: any Error) -> (DisconnectReason, String) {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNRESET, EPIPE: return (.connectionReset, "connection reset by peer")
            case ETIMEDOUT: return (.connectionTimedOut, "connection timed out")
            case ECONNABORTED: return (.connectionAborted, "connection aborted")
            default: return (.socketError, ConnectFailure.describe(errno: io.errnoCode))
            }
        }
        if error is any NIOHTTP2Error {
            return (.socketError, "HTTP/2 protocol error: \(error)")
        }
        if error is NIOSSLError || error is NIOSSLExtraError {
            // A certificate the client refused names the reason, e.g. "Couldn't find <name> in certificate".
            return (.socketError, "TLS handshake failed: \(error)")
        }
        return (.unknown, "\(error)")
    }
}
