import CCPoolCore
import Foundation
import Testing

/// READY over TLS only after the handshake and the server's SETTINGS; a certificate the client
/// does not trust fails the pass.
@Suite("Subchannel over TLS")
struct TLSTests {
    /// A self-signed certificate for localhost/127.0.0.1, made with the openssl CLI.
    struct Certificate {
        let directory: URL
        var certificate: String { directory.appendingPathComponent("cert.pem").path }
        var key: String { directory.appendingPathComponent("key.pem").path }

        static func make() throws -> Certificate {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", directory.appendingPathComponent("key.pem").path,
                "-out", directory.appendingPathComponent("cert.pem").path,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CertificateError() }
            return Certificate(directory: directory)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    struct CertificateError: Error {}

    @Test("a trusted server certificate: READY after TLS and SETTINGS")
    func trusted() async throws {
        let cert = try Certificate.make()
        defer { cert.remove() }
        let server = try await TestServer.start(tls: (cert.certificate, cert.key))
        defer { Task { await server.stop() } }
        let tls = try TLSClientContext(TLSSettings(caFile: cert.certificate, serverName: "localhost"))
        let harness = try await SubchannelHarness.make(addresses: [server.address], connector: HTTP2Connector(tls: tls))
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)
        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        try await harness.shutdown()
    }

    @Test("an untrusted certificate fails the pass with a TLS reason")
    func untrusted() async throws {
        let cert = try Certificate.make()
        let other = try Certificate.make()
        defer { cert.remove(); other.remove() }
        let server = try await TestServer.start(tls: (cert.certificate, cert.key))
        defer { Task { await server.stop() } }
        let tls = try TLSClientContext(TLSSettings(caFile: other.certificate, serverName: "localhost"))
        let harness = try await SubchannelHarness.make(addresses: [server.address], connector: HTTP2Connector(tls: tls))
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)
        // The backoff after the failure may already have ended (TF → IDLE): check the first two.
        #expect(Array(harness.recorder.moves.prefix(2)) == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE"])
        let reason = harness.recorder.transitions[1].reason.lowercased()
        #expect(reason.contains("tls") || reason.contains("certificate") || reason.contains("handshake"), "\(reason)")
        try await harness.shutdown()
    }

    @Test("unreadable TLS files are a clear error naming the file")
    func badFiles() {
        #expect {
            _ = try TLSClientContext(TLSSettings(caFile: "/nonexistent/ca.pem"))
        } throws: { ($0 as? TLSSettingsError)?.message.contains("ca_file /nonexistent/ca.pem") ?? false }
        #expect {
            _ = try TLSClientContext(TLSSettings(certFile: "/tmp/x.pem"))
        } throws: { ($0 as? TLSSettingsError)?.message.contains("together") ?? false }
    }
}
