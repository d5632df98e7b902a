import NIOCore
import NIOHPACK
import NIOHTTP2

/// One health RPC in flight on one HTTP/2 stream: sends the request, feeds the server's frames to
/// a ``GRPCResponseParser``, decodes each ``HealthCheckResponse`` and reports
/// ``HealthCheckEvent``s to its handler.
///
/// ```
///  pending ──start──▶ opening ──stream created──▶ open ──trailers / reset / deadline──▶ finished
///     │                  │                                                           ▲
///     └──────────────────┴──── cancel() (no event), stream creation failed ──────────┘
/// ```
///
/// Loop-confined: created by ``HealthCheckClient`` and used only on its `eventLoop`. Rules it
/// keeps: exactly one `.finished`, last; no event after ``cancel()``; the stream is reset
/// (RST_STREAM CANCEL) whenever the client, not the server, ends the call; timers die with the
/// call. The stream's handler holds the call until the stream closes, so dropping the call
/// without cancelling it leaves the RPC running.
public final class HealthCheckCall {
    private enum State {
        case pending
        case opening
        case open(any Channel)
        case finished
    }

    public let method: HealthCheckMethod
    public let service: String
    let eventLoop: any EventLoop
    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    private let authority: String
    private let firstResponseTimeout: TimeAmount?
    private let deadline: NIODeadline?

    private var state: State = .pending
    private var handler: ((HealthCheckEvent) -> Void)?
    private var parser: GRPCResponseParser
    private var messagesReceived = 0
    /// A Check's response, held back until the call ends OK.
    private var checkResponse: ServingStatus?
    private var resetCode: HTTP2ErrorCode?
    private var firstResponseTimer: Scheduled<Void>?
    private var deadlineTimer: Scheduled<Void>?

    init(
        method: HealthCheckMethod,
        service: String,
        multiplexer: NIOHTTP2Handler.StreamMultiplexer,
        eventLoop: any EventLoop,
        authority: String,
        firstResponseTimeout: TimeAmount?,
        deadline: NIODeadline?,
        maximumMessageSize: Int,
        handler: @escaping (HealthCheckEvent) -> Void
    ) {
        self.method = method
        self.service = service
        self.multiplexer = multiplexer
        self.eventLoop = eventLoop
        self.authority = authority
        self.firstResponseTimeout = firstResponseTimeout
        self.deadline = deadline
        self.parser = GRPCResponseParser(maximumMessageSize: maximumMessageSize)
        self.handler = handler
    }

    /// True once the call ended or was cancelled.
    public var isFinished: Bool {
        eventLoop.preconditionInEventLoop()
        if case .finished = state { return true }
        return false
    }

    /// Stops the call: resets the stream if one is open, cancels the timers, and guarantees that
    /// the handler is not called again (not even with `.finished`). Idempotent; on the loop only.
    public func cancel() {
        eventLoop.preconditionInEventLoop()
        handler = nil
        end(resetStream: true)
    }

    // MARK: Lifecycle

    func start() {
        guard case .pending = state else { return }
        state = .opening
        let loop = eventLoop.assumeIsolated()
        if let firstResponseTimeout {
            firstResponseTimer = loop.scheduleTask(in: firstResponseTimeout) {
                self.firstResponseTimer = nil
                self.abort(GRPCStatus(
                    code: .deadlineExceeded,
                    message: "no health check response within \(Self.describe(firstResponseTimeout))"))
            }
        }
        if let deadline {
            deadlineTimer = loop.scheduleTask(deadline: deadline) {
                self.deadlineTimer = nil
                self.abort(GRPCStatus(code: .deadlineExceeded, message: "deadline exceeded"))
            }
        }

        let boundCall = NIOLoopBound(self, eventLoop: eventLoop)
        multiplexer.createStreamChannel { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HealthCheckStreamHandler(call: boundCall.value))
            }
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.streamOpened(channel)
            case .failure(let error):
                self.process(self.parser.streamClosed(resetCode: nil), detail: "could not open a stream: \(error)")
            }
        }
    }

    private func streamOpened(_ channel: any Channel) {
        guard case .opening = state else {
            // Cancelled or timed out while the stream was being created.
            channel.close(promise: nil)
            return
        }
        state = .open(channel)

        var headers: HPACKHeaders = [
            ":method": "POST",
            ":scheme": "http",
            ":path": method.path,
            ":authority": authority,
            "content-type": "application/grpc",
            "te": "trailers",
        ]
        if let deadline {
            headers.add(name: "grpc-timeout", value: GRPCTimeout.encode(deadline - eventLoop.now))
        }
        let request = HealthCheckRequest(service: service).serializedBytes()
        let body = GRPCMessageFramer.frame(request, allocator: channel.allocator)
        channel.write(HTTP2Frame.FramePayload.headers(.init(headers: headers)), promise: nil)
        channel.writeAndFlush(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(body), endStream: true)), promise: nil)
    }

    // MARK: From the stream's handler

    func streamReceived(_ payload: HTTP2Frame.FramePayload) {
        switch payload {
        case .headers(let headers):
            process(parser.receiveHeaders(headers.headers, endStream: headers.endStream))
        case .data(let data):
            guard case .byteBuffer(let buffer) = data.data else {
                abort(GRPCStatus(code: .internal, message: "unexpected file region in a DATA frame"))
                return
            }
            process(parser.receiveData(buffer, endStream: data.endStream))
        case .rstStream(let code):
            resetCode = code
        default:
            break
        }
    }

    func streamErrorCaught(_ error: any Error) {
        if let closed = error as? NIOHTTP2Errors.StreamClosed {
            resetCode = closed.errorCode
        }
    }

    func streamClosed() {
        process(parser.streamClosed(resetCode: resetCode))
    }

    // MARK: Outputs

    /// Ends the call for a reason of the client's own.
    private func abort(_ status: GRPCStatus) {
        process(parser.abort(status))
    }

    private func process(_ outputs: [GRPCResponseParser.Output], detail: String? = nil) {
        for output in outputs {
            // The handler may have cancelled the call while handling the previous output.
            if case .finished = state { return }
            switch output {
            case .message(let buffer):
                receivedMessage(buffer)
            case .finished(var status, let endedByServer):
                if let detail { status.message = detail }
                if method == .check, status.code == .ok, checkResponse == nil {
                    status = GRPCStatus(code: .internal, message: "Check ended OK without a response message")
                }
                end(resetStream: !endedByServer)
                if status.code == .ok, let checkResponse {
                    deliver(.status(checkResponse))
                    // The handler may have cancelled the call on the status.
                    guard handler != nil else { return }
                }
                deliver(.finished(status))
                handler = nil
            }
        }
    }

    private func receivedMessage(_ buffer: ByteBuffer) {
        messagesReceived += 1
        if method == .check, messagesReceived > 1 {
            abort(GRPCStatus(code: .internal, message: "Check returned more than one response message"))
            return
        }
        let response: HealthCheckResponse
        do {
            response = try HealthCheckResponse(serializedBytes: buffer.readableBytesView)
        } catch {
            abort(GRPCStatus(code: .internal, message: "malformed health check response: \(error.message)"))
            return
        }
        firstResponseTimer?.cancel()
        firstResponseTimer = nil
        if method == .check {
            // Unary: the response counts only if the call ends OK (grpcio sends an empty message
            // before NOT_FOUND for an unknown service; gRPC clients drop it).
            checkResponse = response.status
        } else {
            deliver(.status(response.status))
        }
    }

    /// Moves to finished: cancels the timers and, if asked and a stream is open, resets it.
    private func end(resetStream: Bool) {
        let previous = state
        state = .finished
        firstResponseTimer?.cancel()
        firstResponseTimer = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        if resetStream, case .open(let channel) = previous {
            channel.close(promise: nil)
        }
    }

    private func deliver(_ event: HealthCheckEvent) {
        handler?(event)
    }

    private static func describe(_ amount: TimeAmount) -> String {
        let ms = amount.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
