import NIOCore
import NIOHTTP2
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Plain NIOHTTP2 servers on loopback (they send SETTINGS and nothing else), for pool tests.
struct LoopbackServers: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channels: [any Channel]

    var addresses: [String] { channels.map { "127.0.0.1:\($0.localAddress!.port!)" } }

    static func start(count: Int) async throws -> LoopbackServers {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channels: [any Channel] = []
        for _ in 0..<count {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                            mode: .server, connectionConfiguration: .init(), streamConfiguration: .init(),
                            inboundStreamInitializer: { $0.close() })
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            channels.append(channel)
        }
        return LoopbackServers(group: group, channels: channels)
    }

    /// An address that refuses connections: a bound socket that never listens holds the port
    /// for the rest of the test process, so no parallel test can be given it.
    static func closedPort() async throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        precondition(fd >= 0 && bound, "could not reserve a loopback port")
        return "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    func stop() async {
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}
