// grpc-swift2-clients N HOST:PORT,HOST:PORT,...
//
// Opens N GRPCClients, each over its own HTTP2ClientTransport.Posix to "ipv4:" the given addresses
// with the round_robin service config, and runs their connections until the process is stopped (SIGTERM from the harness).
// grpc-swift-2's round_robin load balancer connects every subchannel as soon as the resolver (here the
// static ipv4 one, resolved when the transport starts) delivers the addresses: no RPC is needed.
// The clients share one MultiThreadedEventLoopGroup with one loop per core (the default singleton),
// as an application holding many clients would.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[1]), count >= 0 else {
    FileHandle.standardError.write("usage: grpc-swift2-clients N HOST:PORT[,HOST:PORT...]\n".data(using: .utf8)!)
    exit(2)
}
let pairs: [(host: String, port: Int)] = arguments[2].split(separator: ",").map { part in
    let pieces = part.split(separator: ":")
    return (host: String(pieces[0]), port: Int(pieces[1])!)
}
let serviceConfig = ServiceConfig(loadBalancingConfig: [.roundRobin])

var clients: [GRPCClient<HTTP2ClientTransport.Posix>] = []
clients.reserveCapacity(count)
for _ in 0..<count {
    let transport = try HTTP2ClientTransport.Posix(
        target: .ipv4(pairs: pairs),
        transportSecurity: .plaintext,
        serviceConfig: serviceConfig
    )
    clients.append(GRPCClient(transport: transport))
}
let allClients = clients

try await withThrowingDiscardingTaskGroup { group in
    for client in allClients {
        group.addTask { try await client.runConnections() }
    }
    // Keeps the process up with no clients too (N = 0 measures the baseline memory).
    group.addTask { try await Task.sleep(for: .seconds(1_000_000)) }
    FileHandle.standardOutput.write(Data("started \(allClients.count) clients\n".utf8))
}
