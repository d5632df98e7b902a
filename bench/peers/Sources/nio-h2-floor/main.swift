// nio-h2-floor N HOST:PORT[,HOST:PORT...]
//
// The floor of the single-address scale benchmark: N plain SwiftNIO TCP connections, each with the
// NIOHTTP2 client pipeline (`configureHTTP2Pipeline(mode: .client)`, library defaults), spread over the
// given addresses in turn (connection i dials address i mod count). NIOHTTP2 sends the client preface and
// SETTINGS on connect and acknowledges the server's SETTINGS: the handshake the backends count, and nothing
// more (no gRPC channel, resolver, balancer, health check, keepalive or bookkeeping of any kind). What a
// pooled channel costs beyond this is the pool's own.
//
// Prints "started N" at once (before dialling, so the harness's clock covers every connect), then
// "connected C of N" once every dial has finished, and stays up until SIGTERM. N = 0 measures the baseline.
// All connections share MultiThreadedEventLoopGroup.singleton (one loop per core).
import NIOCore
import NIOHTTP2
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func say(_ text: String, to fd: Int32 = 1) {
    let line = text + "\n"
    _ = line.withCString { write(fd, $0, strlen($0)) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[1]), count >= 0 else {
    say("usage: nio-h2-floor N HOST:PORT[,HOST:PORT...]", to: 2)
    exit(2)
}
var addresses: [SocketAddress] = []
for part in arguments[2].split(separator: ",") {
    guard let colon = part.lastIndex(of: ":"), let port = Int(part[part.index(after: colon)...]),
        let address = try? SocketAddress(ipAddress: String(part[..<colon]), port: port)
    else {
        say("nio-h2-floor: not an IP address and port: \(part)", to: 2)
        exit(2)
    }
    addresses.append(address)
}
guard !addresses.isEmpty else {
    say("nio-h2-floor: no address given", to: 2)
    exit(2)
}

let group = MultiThreadedEventLoopGroup.singleton
let bootstrap = ClientBootstrap(group: group)
    .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                mode: .client,
                connectionConfiguration: .init(),
                streamConfiguration: .init(),
                inboundStreamInitializer: { $0.close() }
            )
        }
    }

say("started \(count)")
// The fulfilled futures keep every channel referenced for the life of the process.
var connections: [EventLoopFuture<any Channel>] = []
connections.reserveCapacity(count)
for index in 0..<count {
    connections.append(bootstrap.connect(to: addresses[index % addresses.count]))
}
let results = try EventLoopFuture.whenAllComplete(connections, on: group.next()).wait()
var failures: [String: Int] = [:]
for case .failure(let error) in results {
    failures["\(error)", default: 0] += 1
}
say("connected \(count - failures.values.reduce(0, +)) of \(count)")
for (error, times) in failures {
    say("nio-h2-floor: \(times) connections failed: \(error)", to: 2)
}
while true {
    pause()
}
