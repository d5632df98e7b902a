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
    /// Connections cut off because their request did not arrive within `requestTimeoutSeconds`.
    public var connectionsTimedOut: Int = 0
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
/// Told, on the MHD thread, of each answered request: the route pattern ("" when no route
/// matched), the status, and the seconds the handler took. Must be fast and never block.
public typealias HTTPResponseObserver = @Sendable (_ route: String, _ status: Int, _ seconds: Double) -> Void

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

    /// Starts serving `router` as configured. `observer` hears about every answered request.
    public init(
        configuration: HTTPServerConfiguration, router: Router, observer: HTTPResponseObserver? = nil
    ) throws(HTTPServerError) {
        guard configuration.threadCount >= 1, configuration.connectionLimit >= 1, configuration.maxBodyBytes >= 0,
            configuration.connectionMemoryLimit >= 4096, configuration.connectionTimeoutSeconds >= 0,
            configuration.requestTimeoutSeconds >= 0, configuration.perIPConnectionLimit >= 0,
            configuration.offloadThreads >= 0
        else {
            throw HTTPServerError(code: .invalidConfiguration, message: "A limit of the HTTP server is out of range.")
        }
        var address = try SocketAddress(host: configuration.host, port: configuration.port)
        let deadlines = configuration.requestTimeoutSeconds > 0 ? RequestDeadlines(seconds: configuration.requestTimeoutSeconds) : nil
        let offload = configuration.offloadThreads > 0 ? OffloadWorkers(count: configuration.offloadThreads) : nil
        let core = ServerCore(
            router: router, maxBodyBytes: configuration.maxBodyBytes, observer: observer, deadlines: deadlines,
            offload: offload)
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
            deadlines?.stop()
            offload?.stop()
            throw HTTPServerError(
                code: .startFailed,
                message: "libmicrohttpd did not start on \(configuration.host):\(configuration.port) (address in use or not available?).")
        }
        self.port = ccpool_mhd_bound_port(daemon)
        self.configuration = configuration
        self.core = core
        self.state = Mutex(State(daemon: daemon))
        deadlines?.start()
    }

    deinit { stop() }

    /// Counters right now.
    public var stats: HTTPServerStats {
        HTTPServerStats(
            connectionsOpened: core.connectionsOpened.load(ordering: .relaxed),
            connectionsOpen: core.connectionsOpen.load(ordering: .relaxed),
            requestsAnswered: core.requestsAnswered.load(ordering: .relaxed),
            connectionsTimedOut: core.deadlines?.closedConnections.load(ordering: .relaxed) ?? 0,
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
        // MHD must not be stopped with suspended connections: let the offloaded requests finish (their work is
        // bounded by the handlers' own deadlines) and resume them first.
        if let offload = core.offload {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(30))
            while offload.inFlight.load(ordering: .relaxed) > 0 && clock.now < deadline {
                var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
                nanosleep(&pause, nil)
            }
            offload.stop()
        }
        core.deadlines?.stop()
        if let daemon { MHD_stop_daemon(daemon) }
        if socket >= 0 { close(socket) }
        if releaseCore { Unmanaged.passUnretained(core).release() }
    }
}
