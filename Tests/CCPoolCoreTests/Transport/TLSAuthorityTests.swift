@testable import CCPoolCore
import Foundation
import NIOCore
import NIOPosix
import Testing

/// TLS to a `dns:///` target checks the certificate against the target's host name, as gRPC does: the
/// resolver hands the subchannels IP addresses, but the certificate names the host.
@Suite("TLS server name from the target's authority")
struct TLSAuthorityTests {
    /// A self-signed certificate naming `localhost` only (no IP SAN), so that checking it against the
    /// dialled address 127.0.0.1 would fail.
    static func localhostOnlyCertificate() throws -> TLSTests.Certificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", directory.appendingPathComponent("key.pem").path,
            "-out", directory.appendingPathComponent("cert.pem").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSTests.CertificateError() }
        return TLSTests.Certificate(directory: directory)
    }

    static func port(of server: TestServer) -> Int {
        if case .hostPort(_, let port) = server.address { return port }
        return 0
    }

    /// A channel to `target` over TLS trusting `caFile`, through the standard (real DNS) resolvers.
    static func channel(
        _ text: String, caFile: String, serverName: String?
    ) async throws -> (ClientConn, ChannelRecorder, any EventLoop) {
        let resolvers = ResolverRegistry.standard
        let target = try resolvers.parse(text)
        let tls = try TLSClientContext(
            TLSSettings(caFile: caFile, serverName: serverName), defaultAuthority: target.defaultAuthorityHost)
        let options = ChannelOptions(
            backoff: SubchannelHarness.quickBackoff, connector: HTTP2Connector(tls: tls), resolvers: resolvers)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let recorder = ChannelRecorder()
        let channel = try await loop.submit {
            let channel = ClientConn(target: target, options: options, eventLoop: loop, observer: recorder)
            try channel.start()
            return channel
        }.get()
        return (channel, recorder, loop)
    }

    @Test("the default authority of a dns: target is its host; IP literals and other schemes have none")
    func defaultAuthority() throws {
        let registry = ResolverRegistry.standard
        #expect(try registry.parse("dns:///payments.internal:50051").defaultAuthorityHost == "payments.internal")
        #expect(try registry.parse("payments.internal:50051").defaultAuthorityHost == "payments.internal")
        #expect(try registry.parse("dns:///localhost").defaultAuthorityHost == "localhost")
        #expect(try registry.parse("dns:///127.0.0.1:443").defaultAuthorityHost == nil)
        #expect(try registry.parse("dns:///[::1]:443").defaultAuthorityHost == nil)
        #expect(try registry.parse("ipv4:127.0.0.1:443").defaultAuthorityHost == nil)
        #expect(try registry.parse("unix:///run/x.sock").defaultAuthorityHost == nil)
    }

    @Test("dns:///localhost:PORT over TLS without server_name: the certificate naming localhost is accepted")
    func hostNameFromTarget() async throws {
        let cert = try Self.localhostOnlyCertificate()
        defer { cert.remove() }
        let server = try await TestServer.start(tls: (cert.certificate, cert.key))
        defer { Task { await server.stop() } }
        let (channel, recorder, loop) = try await Self.channel(
            "dns:///localhost:\(Self.port(of: server))", caFile: cert.certificate, serverName: nil)
        defer { _ = loop.submit { channel.shutdown() } }
        try await recorder.waitForChannel(.ready)
        #expect(recorder.channelState == .ready)
    }

    @Test("a server_name the certificate does not hold: TRANSIENT_FAILURE naming it")
    func wrongServerName() async throws {
        let cert = try Self.localhostOnlyCertificate()
        defer { cert.remove() }
        let server = try await TestServer.start(tls: (cert.certificate, cert.key))
        defer { Task { await server.stop() } }
        let (channel, recorder, loop) = try await Self.channel(
            "dns:///localhost:\(Self.port(of: server))", caFile: cert.certificate, serverName: "wrong.example")
        defer { _ = loop.submit { channel.shutdown() } }
        try await recorder.waitForChannel(.transientFailure)
        let failures = recorder.subchannelTransitions.filter { $0.to == .transientFailure }
        #expect(!failures.isEmpty)
        #expect(failures.allSatisfy { $0.reason.contains("TLS") && $0.reason.contains("wrong.example") },
                "reasons: \(failures.map(\.reason))")
    }
}
