import NIOCore
import NIOHTTP2

/// The handler in a health RPC's HTTP/2 stream channel: forwards the server's frames, the
/// stream's error (a reset carries its code) and its closure to the ``HealthCheckCall``.
///
/// Holds the call strongly until the stream channel closes and NIO removes it.
final class HealthCheckStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload

    private let call: HealthCheckCall

    init(call: HealthCheckCall) {
        self.call = call
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        call.streamReceived(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        call.streamErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        call.streamClosed()
        context.fireChannelInactive()
    }
}
