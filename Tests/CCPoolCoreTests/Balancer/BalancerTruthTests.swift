@testable import CCPoolCore
import NIOCore
import Testing

/// The balancers' state against real loopback HTTP/2 servers, where each used to say something
/// untrue: a NOT_SERVING pick_first channel still READY, a channel stuck CONNECTING for ever
/// after its backend died before the first health answer, and legacy_pick_first rebuilding a
/// READY connection when an address was appended.
@Suite("Balancers tell the truth over real connections")
struct BalancerTruthTests {
    static func healthConfig(_ policy: String) -> String {
        #"{"loadBalancingConfig": [{"\#(policy)": {}}], "healthCheckConfig": {"serviceName": ""}}"#
    }

    @Test("pick_first + health: NOT_SERVING makes the channel TF and picks fail; SERVING brings READY back on the same connection")
    func pickFirstFollowsHealth() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        server.health.setStatus(.serving)
        let channel = try await ChannelHarness.make(addresses: [server.address], serviceConfig: Self.healthConfig("pick_first"))
        try await channel.recorder.waitForChannel(.ready)

        server.health.setStatus(.notServing)
        try await channel.recorder.waitForChannel(.transientFailure)
        #expect(channel.recorder.channelTransitions.last?.reason == "health check failed: NOT_SERVING")
        await #expect(throws: PickError(.unavailable, "health check failed: NOT_SERVING")) { try await channel.pick() }

        server.health.setStatus(.serving)
        try await channel.recorder.waitForChannel(.ready)
        #expect(try await channel.pick().address == server.address)
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→READY"])
        #expect(server.acceptedCount == 1)
        #expect(TransitionRules.violationCount == 0)
        try await channel.shutdown()
    }

    @Test("pick_first + health: a connection lost before the first health answer fails the pass; READY once the backend serves")
    func lostBeforeFirstHealthAnswer() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        server.health.mode = .hang  // The transport comes up; the health answer never does.
        let channel = try await ChannelHarness.make(addresses: [server.address], serviceConfig: Self.healthConfig("pick_first"))
        try await channel.recorder.wait("health watch open") { _ in
            channel.recorder.subchannelTransitions.contains { $0.to == .connecting }
        }
        // The transport is up only once the watch reached the server: a reset before that would be a
        // failed connection attempt, not a connection lost before its first health answer.
        try await server.health.log.wait(timeout: .seconds(10), "health call reached the server and hangs") { events in
            events.contains { if case .callHung = $0 { return true } else { return false } }
        }
        let first = try #require(channel.recorder.created.first?.0)
        // Calls from now on are answered; the hanging one stays unanswered. Set before the reset so
        // that a reconnection, however soon, never meets a hanging health service.
        server.health.mode = .serving
        server.health.setStatus(.serving)

        // The backend drops the connection before answering: the pass fails (sticky TF).
        await server.resetConnections()
        try await channel.recorder.wait("CONNECTING→IDLE") { _ in channel.recorder.moves(of: first).contains("CONNECTING→IDLE") }
        try await channel.recorder.wait("channel TRANSIENT_FAILURE") { _ in
            channel.recorder.channelMoves.contains("CONNECTING→TRANSIENT_FAILURE")
        }
        // The SubConn reconnects: READY, never stuck CONNECTING.
        try await channel.recorder.waitForChannel(.ready)
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→READY"])
        #expect(try await channel.pick().address == server.address)
        try await channel.shutdown()
    }

    @Test("legacy_pick_first: appending an address keeps the READY SubConn and its connection; no channel flap")
    func legacyPickFirstAppend() async throws {
        let first = try await TestServer.start()
        let second = try await TestServer.start()
        let third = try await TestServer.start()
        defer { Task { await first.stop(); await second.stop(); await third.stop() } }
        let channel = try await ChannelHarness.make(
            addresses: [first.address, second.address],
            serviceConfig: #"{"loadBalancingConfig": [{"legacy_pick_first": {}}]}"#)
        try await channel.recorder.waitForChannel(.ready)
        let only = try #require(channel.recorder.created.first?.0)

        channel.update([first.address, second.address, third.address])
        // The new list reaches the SubConn through the legacy balancer's notify stream, a loop hop later.
        var updated = false
        for _ in 0..<500 where !updated {
            updated = try await channel.onLoop { $0.subchannel(only)?.addresses.count } == 3
            if !updated { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(updated)
        _ = try await channel.state
        #expect(channel.recorder.created.count == 1)
        #expect(channel.recorder.moves(of: only) == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(first.acceptedCount == 1)
        #expect(try await channel.pick().id == only)
        try await channel.shutdown()
    }

    @Test("a pick waiting on a stuck channel leaves the queue when its deadline passes")
    func expiredWaitersLeave() async throws {
        let hanging = try await TestServer.start(behaviour: .hang)
        defer { Task { await hanging.stop() } }
        let channel = try await ChannelHarness.make(
            addresses: [hanging.address], backoff: BackoffConfiguration(minConnectTimeout: .seconds(20)))
        try await channel.recorder.waitForChannel(.connecting)
        for _ in 0..<5 {
            await #expect(throws: PickError.self) { try await channel.pick(waitForReady: true, timeout: .milliseconds(20)) }
        }
        let waiting = try await channel.onLoop { $0.picks.waiterCount }
        #expect(waiting == 0)
        try await channel.shutdown()
    }
}
