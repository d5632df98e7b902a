import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters of a running server, for tests and the `ccpool_http_*` metrics.
public struct HTTPServerStats: Sendable, Equatable {
    /// Connections accepted since start.
    public var connectionsOpened: Int
    /// Connections open now.
    public var connectionsOpen: Int
    /// Requests answered by the router (including 4xx it produced).
    public var requestsAnswered: Int
    /// Requests MHD reported finished (any outcome).
    public var requestsCompleted: Int
    /// Per-request contexts not yet released (0 when idle: no leaks).
    public var liveRequestContexts: Int
}

/// An HTTP/1.1 server on libmicrohttpd.
///
/// Owns the MHD daemon, the `Unmanaged` context MHD's callbacks reach it through, and every per-request
/// context. `init` starts serving; `stop` (or `deinit`) ends it:
/// - MHD runs `threadCount` internal threads, each with its own epoll set (`MHD_USE_EPOLL_INTERNAL_THREAD` plus
///   a thread pool), and `MHD_USE_ITC` so that `quiesce()` can stop accepting while requests finish;
/// - a request is answered on the *second* access-handler call (or later, after the body), never the first, so
///   keep-alive connections stay open;
/// - handlers run on MHD threads — see `HTTPHandler` for what they may not do.
///
/// The class is `Sendable`: its mutable state is the daemon pointer behind `state` (a `Mutex`), and the
/// core that callbacks see (`ServerCore`) is immutable apart from atomics.
public final class HTTPServer: Sendable {
    /// The port the server listens on (the kernel's choice when the configuration asked for 0).
    public let port: UInt16
    public let configuration: HTTPServerConfiguration

    private struct State: ~Copyable {
        var daemon: OpaquePointer?
        var quiescedSocket: Int32 = -1
        var coreRetained = true
    }

    private let core: ServerCore
    private let state: Mutex<State>

    /// Starts serving `router` as configured.
    public init(configuration: HTTPServerConfiguration, router: Router) throws(HTTPServerError) {
        guard configuration.threadCount >= 1, configuration.connectionLimit >= 1, configuration.maxBodyBytes >= 0,
            configuration.connectionMemoryLimit >= 4096, configuration.connectionTimeoutSeconds >= 0
        else {
            throw HTTPServerError(code: .invalidConfiguration, message: "A limit of the HTTP server is out of range.")
        }
        var address = try SocketAddress(host: configuration.host, port: configuration.port)
        let core = ServerCore(router: router, maxBodyBytes: configuration.maxBodyBytes)
        let coreContext = Unmanaged.passRetained(core).toOpaque()

        let daemon: OpaquePointer? = withUnsafePointer(to: &address.storage) { storagePointer in
            storagePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                var options = ccpool_mhd_options_ex()
                options.base.bind_address = sockaddrPointer
                options.base.thread_pool_size = UInt32(configuration.threadCount > 1 ? configuration.threadCount : 0)
                options.base.connection_limit = UInt32(configuration.connectionLimit)
                options.base.connection_timeout_seconds = UInt32(configuration.connectionTimeoutSeconds)
                options.base.connection_memory_limit = configuration.connectionMemoryLimit
                options.base.completed = mhdRequestCompleted
                options.base.completed_cls = coreContext
                options.uri_log = mhdURILog
                options.uri_log_cls = coreContext
                options.notify_connection = mhdNotifyConnection
                options.notify_connection_cls = coreContext
                options.listen_backlog = UInt32(configuration.listenBacklog)
                options.per_ip_connection_limit = UInt32(configuration.perIPConnectionLimit)
                return ccpool_mhd_start_ex(
                    ccpool_mhd_flags_epoll_itc(address.isIPv6 ? 1 : 0), mhdAccessHandler, coreContext, &options)
            }
        }
        guard let daemon else {
            Unmanaged<ServerCore>.fromOpaque(coreContext).release()
            throw HTTPServerError(
                code: .startFailed,
                message: "libmicrohttpd did not start on \(configuration.host):\(configuration.port) (address in use or not available?).")
        }
        self.port = ccpool_mhd_bound_port(daemon)
        self.configuration = configuration
        self.core = core
        self.state = Mutex(State(daemon: daemon))
    }

    deinit { stop() }

    /// Counters right now.
    public var stats: HTTPServerStats {
        HTTPServerStats(
            connectionsOpened: core.connectionsOpened.load(ordering: .relaxed),
            connectionsOpen: core.connectionsOpen.load(ordering: .relaxed),
            requestsAnswered: core.requestsAnswered.load(ordering: .relaxed),
            requestsCompleted: core.requestsCompleted.load(ordering: .relaxed),
            liveRequestContexts: core.liveContexts.load(ordering: .relaxed))
    }

    /// Stops accepting new connections; open ones are served, and every response from now on carries
    /// `Connection: close` so keep-alive clients go away. Idempotent.
    public func quiesce() {
        core.closing.store(true, ordering: .relaxed)
        state.withLock { state in
            guard let daemon = state.daemon, state.quiescedSocket < 0 else { return }
            state.quiescedSocket = MHD_quiesce_daemon(daemon)
            // MHD stops accepting but keeps the socket listening, so the kernel would still complete
            // handshakes that nobody serves. shutdown() makes Linux stop listening (new connections are
            // refused) while the descriptor stays valid until MHD_stop_daemon, as MHD requires.
            if state.quiescedSocket >= 0 { _ = shutdown(state.quiescedSocket, Int32(SHUT_RDWR)) }
        }
    }

    /// Quiesces, waits up to `grace` for open connections to finish, then stops the daemon: open connections
    /// are closed, MHD's threads are joined (a handler still running is waited for), and every request context
    /// is released. Idempotent; must not be called from a handler.
    public func stop(grace: Duration = .zero) {
        quiesce()
        if grace > .zero {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: grace)
            while core.connectionsOpen.load(ordering: .relaxed) > 0 && clock.now < deadline {
                var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
                nanosleep(&pause, nil)
            }
        }
        let (daemon, socket, releaseCore): (OpaquePointer?, Int32, Bool) = state.withLock { state in
            defer {
                state.daemon = nil
                state.quiescedSocket = -1
                state.coreRetained = false
            }
            return (state.daemon, state.quiescedSocket, state.coreRetained)
        }
        if let daemon { MHD_stop_daemon(daemon) }
        if socket >= 0 { close(socket) }
        if releaseCore { Unmanaged.passUnretained(core).release() }
    }
}

/// What MHD's callbacks reach through their `cls` pointer.
///
/// Immutable except for atomics, so any MHD thread may use it at any time (`Sendable` for real). Retained by
/// `HTTPServer` for MHD while the daemon runs, released after `MHD_stop_daemon` returns.
final class ServerCore: Sendable {
    let router: Router
    let maxBodyBytes: Int
    let closing = Atomic<Bool>(false)
    let connectionsOpened = Atomic<Int>(0)
    let connectionsOpen = Atomic<Int>(0)
    let requestsAnswered = Atomic<Int>(0)
    let requestsCompleted = Atomic<Int>(0)
    let liveContexts = Atomic<Int>(0)

    init(router: Router, maxBodyBytes: Int) {
        self.router = router
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The state of one request, from MHD's URI log callback to its completed callback.
///
/// Created retained in `mhdURILog` (MHD stores it in `*con_cls`), released in `mhdRequestCompleted`. Only the
/// MHD thread that serves the connection touches it, one callback at a time, so it needs no lock; it is
/// never handed to Swift concurrency.
final class RequestContext {
    let rawTarget: String
    var sawFirstCall = false
    var answered = false
    var body: [UInt8] = []
    var bodyTooLarge = false
    var discardedBytes = 0

    init(rawTarget: String) { self.rawTarget = rawTarget }
}

private func core(_ cls: UnsafeMutableRawPointer?) -> ServerCore {
    Unmanaged<ServerCore>.fromOpaque(cls!).takeUnretainedValue()
}

/// MHD_OPTION_URI_LOG_CALLBACK: sees the raw request target before MHD unescapes it; its result becomes
/// `*con_cls` for the request.
private let mhdURILog: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?)
    -> UnsafeMutableRawPointer? = { cls, uri, _ in
        // Bytes that are not valid UTF-8 become U+FFFD here, which RequestTarget refuses as non-ASCII.
        let context = RequestContext(rawTarget: uri.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } ?? "")
        core(cls).liveContexts.add(1, ordering: .relaxed)
        return Unmanaged.passRetained(context).toOpaque()
    }

/// MHD_OPTION_NOTIFY_COMPLETED: releases the request's context.
private let mhdRequestCompleted: MHD_RequestCompletedCallback = { cls, _, conCls, _ in
    let core = core(cls)
    core.requestsCompleted.add(1, ordering: .relaxed)
    if let conCls, let context = conCls.pointee {
        Unmanaged<RequestContext>.fromOpaque(context).release()
        conCls.pointee = nil
        core.liveContexts.subtract(1, ordering: .relaxed)
    }
}

/// MHD_OPTION_NOTIFY_CONNECTION: counts connections.
private let mhdNotifyConnection: MHD_NotifyConnectionCallback = { cls, _, _, code in
    let core = core(cls)
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        core.connectionsOpened.add(1, ordering: .relaxed)
        core.connectionsOpen.add(1, ordering: .relaxed)
    case .CONNECTION_NOTIFY_CLOSED:
        core.connectionsOpen.subtract(1, ordering: .relaxed)
    @unknown default:
        break
    }
}

/// The access handler: collects the body, then routes and answers.
private let mhdAccessHandler: MHD_AccessHandlerCallback = {
    cls, connection, _, method, _, uploadData, uploadDataSize, conCls in
    guard let connection, let conCls, let uploadDataSize else { return .NO }
    let core = core(cls)
    if conCls.pointee == nil {
        // Not reached with the URI log callback installed; kept so a missing context cannot crash.
        conCls.pointee = Unmanaged.passRetained(RequestContext(rawTarget: "")).toOpaque()
        core.liveContexts.add(1, ordering: .relaxed)
    }
    let context = Unmanaged<RequestContext>.fromOpaque(conCls.pointee!).takeUnretainedValue()

    if !context.sawFirstCall {
        // First call: headers are in. Refuse an announced oversize body now (MHD then closes the connection
        // rather than read the body); otherwise wait for the next call so keep-alive works.
        context.sawFirstCall = true
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
            let declared = Int(String(cString: length)), declared > core.maxBodyBytes
        {
            context.answered = true
            return queue(HTTPError.payloadTooLarge(limit: core.maxBodyBytes).response, on: connection, core: core, close: true)
        }
        return .YES
    }
    if context.answered { return .YES }

    let chunk = uploadDataSize.pointee
    if chunk > 0 {
        if context.bodyTooLarge || context.body.count + chunk > core.maxBodyBytes {
            // A chunked body grew past the limit: MHD allows no answer mid-body, so drop what comes and answer
            // 413 at the end; give up on the connection if the client keeps sending far past the limit.
            context.bodyTooLarge = true
            context.body = []
            context.discardedBytes += chunk
            if context.discardedBytes > 4 * core.maxBodyBytes + (1 << 20) { return .NO }
        } else if let uploadData {
            context.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: chunk))
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    context.answered = true
    if context.bodyTooLarge {
        return queue(HTTPError.payloadTooLarge(limit: core.maxBodyBytes).response, on: connection, core: core, close: true)
    }
    let methodName = method.map { String(cString: $0) } ?? ""
    let (response, _) = core.router.respond(
        method: HTTPMethod(methodName), target: context.rawTarget, headers: requestHeaders(connection),
        body: context.body)
    context.body = []
    return queue(response, on: connection, core: core, close: false)
}

/// Collects the request's header fields in order.
private func requestHeaders(_ connection: OpaquePointer) -> HTTPHeaders {
    final class Box { var headers = HTTPHeaders() }
    let box = Box()
    withExtendedLifetime(box) {
        _ = MHD_get_connection_values(connection, .HEADER_KIND, { cls, _, key, value in
            guard let cls, let key else { return .YES }
            let box = Unmanaged<Box>.fromOpaque(cls).takeUnretainedValue()
            box.headers.add(String(cString: key), value.map { String(cString: $0) } ?? "")
            return .YES
        }, Unmanaged.passUnretained(box).toOpaque())
    }
    return box.headers
}

/// MHD's free callback for shared buffers: balances the retain taken when the response was created.
private let releaseSharedBuffer: MHD_ContentReaderFreeCallback = { cls in
    if let cls { Unmanaged<SharedBuffer>.fromOpaque(cls).release() }
}

/// Creates an MHD response for `response` and queues it.
private func queue(_ response: HTTPResponse, on connection: OpaquePointer, core: ServerCore, close: Bool) -> MHD_Result {
    let mhdResponse: OpaquePointer?
    switch response.body {
    case .bytes(let bytes):
        mhdResponse = bytes.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
        }
    case .shared(let buffer):
        let retained = Unmanaged.passRetained(buffer).toOpaque()
        mhdResponse = MHD_create_response_from_buffer_with_free_callback_cls(
            buffer.count, buffer.base, releaseSharedBuffer, retained)
        if mhdResponse == nil { Unmanaged<SharedBuffer>.fromOpaque(retained).release() }
    }
    guard let mhdResponse else { return .NO }
    defer { MHD_destroy_response(mhdResponse) }
    for field in response.headers {
        // MHD refuses fields with CR/LF or other bad bytes; such a field is dropped, never sent half-formed.
        _ = MHD_add_response_header(mhdResponse, field.name, field.value)
    }
    if close || core.closing.load(ordering: .relaxed) {
        _ = MHD_add_response_header(mhdResponse, "Connection", "close")
    }
    core.requestsAnswered.add(1, ordering: .relaxed)
    return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
}
