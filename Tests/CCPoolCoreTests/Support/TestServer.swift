import CCPoolCore
import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real loopback HTTP/2 server that tests steer: accept and send SETTINGS, hang after TCP
/// accept, send GOAWAY, reset connections, or stop answering PINGs. Its streams serve
/// `grpc.health.v1.Health`, steered through ``health``.
final class TestServer: Sendable {
    enum Behaviour: Sendable {
        /// Speak HTTP/2: NIOHTTP2 sends SETTINGS right after the client preface.
        case accept
        /// Accept TCP and never answer (no SETTINGS).
        case hang
    }

    private struct State {
        var behaviour: Behaviour
        var connections: [ObjectIdentifier: any Channel] = [:]
        var accepted = 0
        var closed = 0
    }

    let group: MultiThreadedEventLoopGroup
    /// Set once bound. The server object exists before its socket does, so a connection accepted
    /// the moment the socket listens is served (not left without handlers) however late the
    /// starting task resumes.
    private let bound = Mutex<(listener: (any Channel)?, address: Address?)>((nil, nil))
    private let state: Mutex<State>
    private let blackhole = Atomic<Bool>(false)
    private let pings = Atomic<Int>(0)
    private let pingAcks = Atomic<Int>(0)
    /// The health service every HTTP/2 stream is served by.
    let health = TestHealthService()

    /// Where the server listens, as a subchannel address.
    var address: Address { bound.withLock { $0.address! } }
    private var listener: (any Channel)? { bound.withLock { $0.listener } }

    private init(group: MultiThreadedEventLoopGroup, behaviour: Behaviour) {
        self.group = group
        self.state = Mutex(State(behaviour: behaviour))
    }

    /// Starts a server on `host` (an ephemeral port), or on the Unix socket `unixPath`.
    static func start(
        host: String = "127.0.0.1", port: Int = 0, unixPath: String? = nil, behaviour: Behaviour = .accept,
        tls: (certificateFile: String, keyFile: String)? = nil
    ) async throws -> TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = TestServer(group: group, behaviour: behaviour)
        let tlsContext = try tls.map { files in
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateFile).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.keyFile, format: .pem)))
            configuration.applicationProtocols = ["h2"]
            return try NIOSSLContext(configuration: configuration)
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try server.initialize(channel)
                }
            }
        let listener: any Channel
        let address: Address
        if let unixPath {
            listener = try await bootstrap.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true).get()
            address = .unix(path: unixPath)
        } else if port != 0 {
            // Bind beside the reservation (both SO_REUSEPORT), then drop it: the port is never
            // free in between, so no client connect() can pick it as its own source port (a TCP
            // self-connection that would look like a server that never answers).
            listener = try await bootstrap.serverChannelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT), value: 1)
                .bind(host: host, port: port).get()
            PortReservations.release(port)
            address = .hostPort(host: host, port: port)
        } else {
            listener = try await bootstrap.bind(host: host, port: port).get()
            address = .hostPort(host: host, port: listener.localAddress?.port ?? 0)
        }
        server.bound.withLock { $0 = (listener, address) }
        return server
    }

    /// PING frames received (and answered by NIOHTTP2) so far.
    var pingsReceived: Int { pings.load(ordering: .relaxed) }
    fileprivate func countPing() { pings.add(1, ordering: .relaxed) }
    /// ACKs of the server's own PINGs (``sendPings(_:)``) received so far.
    var pingAcksReceived: Int { pingAcks.load(ordering: .relaxed) }
    fileprivate func countPingAck() { pingAcks.add(1, ordering: .relaxed) }

    private func initialize(_ channel: any Channel) throws {
        let behaviour = state.withLock { state in
            state.accepted += 1
            state.connections[ObjectIdentifier(channel)] = channel
            return state.behaviour
        }
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { state in
                state.connections[ObjectIdentifier(channel)] = nil
                state.closed += 1
            }
        }
        guard behaviour == .accept else { return }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(BlackholeHandler(server: self))
        let health = self.health
        _ = try sync.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: .init(), streamConfiguration: .init(),
            inboundStreamInitializer: { stream in health.initialize(stream: stream) })
        try sync.addHandler(PingCounter(server: self))
    }

    fileprivate var isBlackholed: Bool { blackhole.load(ordering: .relaxed) }

    func setBehaviour(_ behaviour: Behaviour) {
        state.withLock { $0.behaviour = behaviour }
    }

    /// How many TCP connections were accepted, and how many of them have closed.
    var acceptedCount: Int { state.withLock { $0.accepted } }
    var closedCount: Int { state.withLock { $0.closed } }
    var openCount: Int { state.withLock { $0.connections.count } }

    /// Sends GOAWAY with `code` on every open connection; closes them afterwards if asked.
    func sendGoAway(code: HTTP2ErrorCode, debugData: String = "", thenClose: Bool = false) async throws {
        for channel in openChannels() {
            let data = debugData.isEmpty ? nil : channel.allocator.buffer(string: debugData)
            let frame = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .rootStream, errorCode: code, opaqueData: data))
            try await channel.writeAndFlush(frame)
            if thenClose { try? await channel.close() }
        }
    }

    /// Sends `count` PING frames at once (one flush) on every open connection.
    func sendPings(_ count: Int) async throws {
        for channel in openChannels() {
            let frames = (0..<count).map {
                HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2PingData(withInteger: UInt64($0)), ack: false))
            }
            for frame in frames.dropLast() { channel.write(frame, promise: nil) }
            if let last = frames.last { try await channel.writeAndFlush(last) }
        }
    }

    /// Closes every open connection with a TCP RST (SO_LINGER 0).
    func resetConnections() async {
        for channel in openChannels() {
            try? await (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            try? await channel.close()
        }
    }

    /// From now on, every byte the server receives is dropped: PINGs go unanswered.
    func stopAnswering() {
        blackhole.store(true, ordering: .relaxed)
    }

    func stop() async {
        try? await listener?.close()
        for channel in openChannels() { try? await channel.close() }
        try? await group.shutdownGracefully()
    }

    private func openChannels() -> [any Channel] {
        state.withLock { Array($0.connections.values) }
    }

    /// An address on which nothing listens (connections are refused).
    ///
    /// The port stays reserved by a bound socket that never listens, so no other test (running in
    /// parallel) can be given it, and no connect() uses it as its source port;
    /// ``start(host:port:unixPath:behaviour:tls:)`` on that port binds beside the reservation and
    /// then releases it.
    static func closedPort() async throws -> Address {
        .hostPort(host: "127.0.0.1", port: try PortReservations.reserve())
    }
}

/// Drops all inbound bytes once the server is told to stop answering.
private final class BlackholeHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let server: TestServer
    init(server: TestServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if server.isBlackholed { return }
        context.fireChannelRead(data)
    }
}

/// Counts the client's PINGs and its ACKs of the server's (NIOHTTP2 forwards root-stream frames after
/// answering them).
private final class PingCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTP2Frame
    let server: TestServer
    init(server: TestServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .ping(_, let ack) = unwrapInboundIn(data).payload else { return }
        if ack { server.countPingAck() } else { server.countPing() }
    }
}

/// Ports held by bound, non-listening sockets: connecting to them is refused, and the kernel
/// gives them to nobody else until released.
enum PortReservations {
    private static let sockets = Mutex<[Int: Int32]>([:])

    static func reserve() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReservationError() }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw ReservationError()
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        sockets.withLock { $0[port] = fd }
        return port
    }

    static func release(_ port: Int) {
        if let fd = sockets.withLock({ $0.removeValue(forKey: port) }) { close(fd) }
    }

    struct ReservationError: Error {}
}
