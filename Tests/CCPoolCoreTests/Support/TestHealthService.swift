import CCPoolCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import Synchronization

/// The `grpc.health.v1.Health` service of ``TestServer``, steered by tests.
///
/// Statuses are per service name ("" = the whole server, SERVING from the start, as grpc-go's and
/// grpcio's health servers do). `Watch` streams the current status (SERVICE_UNKNOWN for a name
/// never set) and then every change; `Check` answers once, or `NOT_FOUND` for an unknown name.
/// ``Mode/unimplemented`` answers every RPC with a trailers-only `UNIMPLEMENTED`;
/// ``Mode/hang`` never answers. Everything the service sees is kept in ``log`` so tests can wait
/// on it. Thread-safe: state behind a mutex, writes to a stream hop onto its channel's loop.
final class TestHealthService: Sendable {
    enum Mode: Sendable {
        case serving
        case unimplemented
        case hang
    }

    /// What the service saw, in order.
    enum Event: Hashable, Sendable {
        /// Request headers of an RPC arrived (`grpc-timeout` as sent, if any).
        case callStarted(path: String, timeout: String?)
        /// The service was in ``Mode/hang`` when that call started: it will never be answered.
        case callHung(path: String)
        /// A Watch for `service` was registered and sent its first status.
        case watchStarted(service: String)
        /// A Check for `service` was answered.
        case checkAnswered(service: String)
        /// The client reset a stream (RST_STREAM with this code).
        case resetByClient(HTTP2ErrorCode)
        /// A health stream closed, for whatever reason.
        case streamClosed(path: String)
    }

    private struct Watcher {
        let service: String
        let channel: any Channel
    }

    private struct State {
        var mode: Mode = .serving
        var statuses: [String: ServingStatus] = ["": .serving]
        var watchers: [ObjectIdentifier: Watcher] = [:]
    }

    private let state = Mutex(State())
    let log = Recorder<Event>()

    init() {}

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Sets `service`'s status and streams it to every Watch on that service.
    func setStatus(_ status: ServingStatus, for service: String = "") {
        let channels = state.withLock { state in
            state.statuses[service] = status
            return state.watchers.values.filter { $0.service == service }.map(\.channel)
        }
        for channel in channels {
            channel.writeAndFlush(Self.dataFrame(HealthCheckResponse(status: status), allocator: channel.allocator), promise: nil)
        }
    }

    /// Forgets `service`: Check answers NOT_FOUND again (open Watches are not told, as in grpcio).
    func clearStatus(for service: String) {
        state.withLock { _ = $0.statuses.removeValue(forKey: service) }
    }

    /// Open Watch streams.
    var watchCount: Int { state.withLock { $0.watchers.count } }

    /// Ends every open Watch with trailers carrying `code` and `message`.
    func endWatches(code: GRPCStatus.Code, message: String) {
        for channel in takeWatchers() {
            channel.writeAndFlush(Self.trailers(code: code, message: message), promise: nil)
        }
    }

    /// Resets every open Watch with RST_STREAM `errorCode`.
    func resetWatches(errorCode: HTTP2ErrorCode) {
        for channel in takeWatchers() {
            channel.writeAndFlush(HTTP2Frame.FramePayload.rstStream(errorCode), promise: nil)
        }
    }

    private func takeWatchers() -> [any Channel] {
        state.withLock { state in
            defer { state.watchers.removeAll() }
            return state.watchers.values.map(\.channel)
        }
    }

    // MARK: Server side (on the stream's loop)

    /// The inbound stream initializer for the test server's HTTP/2 connections.
    func initialize(stream: any Channel) -> EventLoopFuture<Void> {
        stream.eventLoop.makeCompletedFuture {
            try stream.pipeline.syncOperations.addHandler(HealthServiceHandler(service: self))
        }
    }

    fileprivate func registerWatch(_ channel: any Channel, service: String) -> ServingStatus {
        state.withLock { state in
            state.watchers[ObjectIdentifier(channel)] = Watcher(service: service, channel: channel)
            return state.statuses[service] ?? .serviceUnknown
        }
    }

    fileprivate func unregister(_ channel: any Channel) {
        state.withLock { _ = $0.watchers.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    fileprivate func status(of service: String) -> ServingStatus? {
        state.withLock { $0.statuses[service] }
    }

    static func responseHeaders() -> HTTP2Frame.FramePayload {
        .headers(.init(headers: [":status": "200", "content-type": "application/grpc"]))
    }

    static func dataFrame(_ response: HealthCheckResponse, allocator: ByteBufferAllocator) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(GRPCMessageFramer.frame(response.serializedBytes(), allocator: allocator))))
    }

    static func trailers(code: GRPCStatus.Code, message: String = "") -> HTTP2Frame.FramePayload {
        var headers: HPACKHeaders = ["grpc-status": "\(code.rawValue)"]
        if !message.isEmpty { headers.add(name: "grpc-message", value: GRPCMessagePercentCoding.encode(message)) }
        return .headers(.init(headers: headers, endStream: true))
    }

    /// A trailers-only response: `:status`, content-type and the status in one HEADERS frame.
    static func trailersOnly(code: GRPCStatus.Code, message: String = "") -> HTTP2Frame.FramePayload {
        var headers: HPACKHeaders = [":status": "200", "content-type": "application/grpc", "grpc-status": "\(code.rawValue)"]
        if !message.isEmpty { headers.add(name: "grpc-message", value: GRPCMessagePercentCoding.encode(message)) }
        return .headers(.init(headers: headers, endStream: true))
    }
}

/// Serves one health RPC on one HTTP/2 stream.
private final class HealthServiceHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let service: TestHealthService
    private var path = ""
    private var deframer = GRPCMessageDeframer(maximumMessageSize: 1024)
    /// Answered, or told to hang: later frames are ignored.
    private var done = false

    init(service: TestHealthService) {
        self.service = service
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            guard path.isEmpty else { return }
            path = headers.headers.first(name: ":path") ?? ""
            service.log.record(.callStarted(path: path, timeout: headers.headers.first(name: "grpc-timeout")))
            switch service.mode {
            case .hang:
                done = true
                service.log.record(.callHung(path: path))
            case .unimplemented:
                answer(context, TestHealthService.trailersOnly(code: .unimplemented, message: "Method not found: \(path.dropFirst())"))
            case .serving:
                if HealthCheckMethod(rawValue: path) == nil {
                    answer(context, TestHealthService.trailersOnly(code: .unimplemented, message: "Method not found: \(path.dropFirst())"))
                }
            }
        case .data(let frame):
            guard !done, case .byteBuffer(let buffer) = frame.data else { return }
            deframer.append(buffer)
            do {
                if let message = try deframer.next() {
                    let request = try HealthCheckRequest(serializedBytes: message.readableBytesView)
                    serve(context, request: request)
                } else if frame.endStream {
                    answer(context, TestHealthService.trailersOnly(code: .internal, message: "missing request message"))
                }
            } catch {
                answer(context, TestHealthService.trailersOnly(code: .internal, message: "bad request: \(error)"))
            }
        default:
            break
        }
    }

    private func serve(_ context: ChannelHandlerContext, request: HealthCheckRequest) {
        done = true
        switch HealthCheckMethod(rawValue: path) {
        case .watch:
            let status = service.registerWatch(context.channel, service: request.service)
            context.write(wrapOutboundOut(TestHealthService.responseHeaders()), promise: nil)
            context.writeAndFlush(
                wrapOutboundOut(TestHealthService.dataFrame(.init(status: status), allocator: context.channel.allocator)),
                promise: nil)
            service.log.record(.watchStarted(service: request.service))
        case .check:
            if let status = service.status(of: request.service) {
                context.write(wrapOutboundOut(TestHealthService.responseHeaders()), promise: nil)
                context.write(
                    wrapOutboundOut(TestHealthService.dataFrame(.init(status: status), allocator: context.channel.allocator)),
                    promise: nil)
                context.writeAndFlush(wrapOutboundOut(TestHealthService.trailers(code: .ok)), promise: nil)
            } else {
                context.writeAndFlush(wrapOutboundOut(TestHealthService.trailersOnly(code: .notFound, message: "unknown service")), promise: nil)
            }
            service.log.record(.checkAnswered(service: request.service))
        case nil:
            break
        }
    }

    private func answer(_ context: ChannelHandlerContext, _ payload: HTTP2Frame.FramePayload) {
        done = true
        context.writeAndFlush(wrapOutboundOut(payload), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let closed = error as? NIOHTTP2Errors.StreamClosed {
            service.log.record(.resetByClient(closed.errorCode))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        service.unregister(context.channel)
        service.log.record(.streamClosed(path: path))
        context.fireChannelInactive()
    }
}
