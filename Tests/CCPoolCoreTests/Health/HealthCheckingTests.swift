@testable import CCPoolCore
import NIOCore
import Testing
import Vocabulary

/// Client-side health checking (docs/connection.md, "Health checking") through the subchannel and the balancers,
/// against the loopback test server's grpc.health.v1 service.
@Suite("Health checking in subchannels and balancers")
struct HealthCheckingTests {
    static func config(_ policy: String, service: String = "") -> String {
        #"{"loadBalancingConfig": [{"\#(policy)": {}}], "healthCheckConfig": {"serviceName": "\#(service)"}}"#
    }

    func healthEvents(_ channel: ChannelHarness, _ id: SubchannelID) -> [HealthStatus] {
        channel.recorder.all.compactMap {
            if case .subchannel(id, .healthChanged(let status)) = $0 { return status } else { return nil }
        }
    }

    @Test("round_robin: NOT_SERVING takes a subchannel out of the picker (TF); SERVING brings it back")
    func notServingThenServing() async throws {
        let a = try await TestServer.start()
        let b = try await TestServer.start()
        defer { Task { await a.stop(); await b.stop() } }
        a.health.setStatus(.serving, for: "svc")
        b.health.setStatus(.serving, for: "svc")
        let channel = try await ChannelHarness.make(addresses: [a.address, b.address], serviceConfig: Self.config("round_robin", service: "svc"))
        try await channel.recorder.wait("both READY") { _ in
            channel.recorder.subchannelTransitions.filter { $0.to == .ready }.count == 2
        }
        let first = try #require(channel.recorder.created.first { $0.1 == [a.address] }?.0)
        // CONNECTING lasted until the first health answer.
        #expect(channel.recorder.moves(of: first) == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(channel.recorder.subchannelTransitions.first { $0.subchannel == first && $0.to == .ready }?.reason == "health: SERVING")

        a.health.setStatus(.notServing, for: "svc")
        try await channel.recorder.wait("a TF") { _ in channel.recorder.moves(of: first).last == "READY→TRANSIENT_FAILURE" }
        let failed = channel.recorder.subchannelTransitions.last { $0.subchannel == first }
        #expect(failed?.reason == "health check failed: NOT_SERVING")
        _ = try await channel.state
        for _ in 0..<20 { #expect(try await channel.pick().address == b.address) }
        #expect(channel.recorder.channelState == .ready)

        a.health.setStatus(.serving, for: "svc")
        try await channel.recorder.wait("a back") { _ in channel.recorder.moves(of: first).last == "TRANSIENT_FAILURE→READY" }
        _ = try await channel.state
        var seen = Set<Address>()
        for _ in 0..<10 { seen.insert(try await channel.pick().address) }
        #expect(seen == [a.address, b.address])
        #expect(healthEvents(channel, first) == [.serving, .notServing, .serving])
        // The transport stayed up the whole time.
        #expect(a.acceptedCount == 1)
        try await channel.shutdown()
    }

    @Test("a server without the health service: READY with health DISABLED")
    func unimplemented() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        server.health.mode = .unimplemented
        let channel = try await ChannelHarness.make(addresses: [server.address], serviceConfig: Self.config("pick_first"))
        try await channel.recorder.waitForChannel(.ready)
        let id = try #require(channel.recorder.created.first?.0)
        #expect(healthEvents(channel, id).last == .disabled)
        let subchannelHealth = try await channel.onLoop { $0.subchannels.first?.health }
        #expect(subchannelHealth == .disabled)
        try await channel.shutdown()
    }

    @Test("pick_first: a NOT_SERVING server keeps the channel out of READY until it serves")
    func pickFirstWaitsForServing() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        server.health.setStatus(.notServing)
        let channel = try await ChannelHarness.make(addresses: [server.address], serviceConfig: Self.config("pick_first"))
        let id = try await {
            try await channel.recorder.wait("subchannel TF") { events in
                events.contains { if case .subchannel(_, .transition(let t)) = $0 { return t.to == .transientFailure } else { return false } }
            }
            return try #require(channel.recorder.created.first?.0)
        }()
        #expect(channel.recorder.moves(of: id) == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE"])
        #expect(channel.recorder.channelState != .ready)
        server.health.setStatus(.serving)
        try await channel.recorder.waitForChannel(.ready)
        #expect(channel.recorder.moves(of: id) == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→READY"])
        try await channel.shutdown()
    }

    @Test("a failed health stream is TF and retried with backoff on the same connection")
    func streamErrorRetries() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let channel = try await ChannelHarness.make(addresses: [server.address], serviceConfig: Self.config("pick_first"))
        try await channel.recorder.waitForChannel(.ready)
        let id = try #require(channel.recorder.created.first?.0)

        server.health.endWatches(code: .unavailable, message: "restarting")
        try await channel.recorder.wait("TF then READY again") { _ in
            channel.recorder.moves(of: id).suffix(2) == ["READY→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→READY"]
        }
        let failure = channel.recorder.subchannelTransitions.last { $0.subchannel == id && $0.to == .transientFailure }
        #expect(failure?.reason.hasPrefix("health check failed: UNAVAILABLE") == true)
        #expect(server.acceptedCount == 1, "retried on the same connection")
        try await channel.shutdown()
    }
}
