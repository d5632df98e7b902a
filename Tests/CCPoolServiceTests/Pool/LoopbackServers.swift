import NIOCore
import NIOHTTP2
import NIOPosix

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

    static func closedPort() async throws -> String {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return "127.0.0.1:\(port)"
    }

    func stop() async {
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}
