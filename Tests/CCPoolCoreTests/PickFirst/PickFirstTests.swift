@testable import CCPoolCore
import NIOCore
import Testing

@Suite("pick_first against real servers")
struct PickFirstTests {
    @Test("failover: first address refused, second READY; the channel picks the second")
    func failover() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let refused = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(addresses: [refused, server.address])

        try await channel.recorder.waitForChannel(.ready)
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        let picked = try await channel.pick()
        #expect(picked.address == server.address)
        // The losing SubConn is shut down once the winner is READY.
        let created = channel.recorder.created
        #expect(created.count == 2)
        let loser = try #require(created.first { $0.1 == [refused] }?.0)
        try await channel.recorder.wait("loser shut down") { _ in
            channel.recorder.moves(of: loser).last == "TRANSIENT_FAILURE→SHUTDOWN"
                || channel.recorder.moves(of: loser).last == "IDLE→SHUTDOWN"
        }
        try await channel.shutdown()
    }

    @Test("happy eyeballs: a hanging first address does not delay the second past 250 ms")
    func happyEyeballs() async throws {
        let hanging = try await TestServer.start(behaviour: .hang)
        let server = try await TestServer.start()
        defer { Task { await hanging.stop(); await server.stop() } }
        // The pass deadline is 20 s: only happy eyeballs can make this READY quickly.
        let backoff = BackoffConfiguration(minConnectTimeout: .seconds(20))
        let channel = try await ChannelHarness.make(addresses: [hanging.address, server.address], backoff: backoff)

        try await channel.recorder.waitForChannel(.ready, timeout: .seconds(5))
        #expect(try await channel.pick().address == server.address)
        let created = channel.recorder.created
        let first = try #require(created.first { $0.1 == [hanging.address] }?.0)
        // The first attempt was not cancelled when the second started: it was still
        // CONNECTING until the winner shut it down.
        #expect(channel.recorder.moves(of: first) == ["IDLE→CONNECTING", "CONNECTING→SHUTDOWN"])
        try await channel.shutdown()
    }

    @Test("sticky TRANSIENT_FAILURE while every address fails, READY when one comes back")
    func stickyTransientFailure() async throws {
        let a = try await TestServer.closedPort()
        let b = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(addresses: [a, b])

        try await channel.recorder.waitForChannel(.transientFailure)
        // Let both SubConns go round their backoff and fail again at least once.
        try await channel.recorder.wait("reconnect cycles") { _ in
            channel.recorder.subchannelTransitions.filter { $0.to == .transientFailure }.count >= 4
        }
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE"])
        #expect(channel.recorder.channelTransitions.last?.reason == "connection refused")

        guard case .hostPort(_, let port) = b else { return }
        let revived = try await TestServer.start(port: port)
        defer { Task { await revived.stop() } }
        try await channel.recorder.waitForChannel(.ready)
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→READY"])
        #expect(try await channel.pick().address == b)
        try await channel.shutdown()
    }

    @Test("a resolver update that still lists the READY address keeps its connection")
    func keepsReadyAcrossUpdate() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let other = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(addresses: [server.address])
        try await channel.recorder.waitForChannel(.ready)
        let selected = try await channel.pick()

        channel.update([other, server.address])
        try await channel.recorder.wait("second resolver update") { events in
            events.filter { if case .resolverUpdate = $0 { return true } else { return false } }.count == 2
        }
        // A round trip through the loop: the update has been handled by the balancer.
        _ = try await channel.state
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(channel.recorder.moves(of: selected.id) == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(try await channel.pick() == selected)
        #expect(server.acceptedCount == 1)
        try await channel.shutdown()
    }

    @Test("an empty address list is TF 'produced zero addresses' and asks for re-resolution")
    func emptyList() async throws {
        let channel = try await ChannelHarness.make(addresses: [])
        try await channel.recorder.waitForChannel(.transientFailure)
        #expect(channel.recorder.channelTransitions.last?.reason == "produced zero addresses")
        try await waitUntil { channel.resolver.resolveNowCount >= 1 }
        await #expect(throws: PickError.self) { try await channel.pick() }
        try await channel.shutdown()
    }

    @Test("SHUTDOWN is recorded for the channel and every subchannel")
    func shutdownRecordsEverything() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let refused = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(
            addresses: [server.address, refused], serviceConfig: #"{"loadBalancingConfig": [{"round_robin": {}}]}"#)
        try await channel.recorder.waitForChannel(.ready)
        try await channel.shutdown()
        try await channel.recorder.wait("all subchannels shut down") { _ in
            channel.recorder.created.allSatisfy { channel.recorder.moves(of: $0.0).last?.hasSuffix("SHUTDOWN") == true }
        }
        #expect(channel.recorder.channelMoves.last == "READY→SHUTDOWN")
    }

    @Test("address order: de-duplicated, families interleaved from the first one, shuffled on request")
    func ordering() {
        let v4a = Address.hostPort(host: "10.0.0.1", port: 1)
        let v4b = Address.hostPort(host: "10.0.0.2", port: 1)
        let v6a = Address.hostPort(host: "::1", port: 1)
        let v6b = Address.hostPort(host: "::2", port: 1)
        var random: any RandomSource = SeededRandomSource(seed: 7)
        #expect(PickFirstStateMachine.order([v4a, v4b, v6a, v6b, v4a], shuffle: false, random: &random) == [v4a, v6a, v4b, v6b])
        #expect(PickFirstStateMachine.order([v6a, v4a, v4b], shuffle: false, random: &random) == [v6a, v4a, v4b])
        let shuffled = PickFirstStateMachine.order([v4a, v4b, v6a, v6b], shuffle: true, random: &random)
        #expect(Set(shuffled) == Set([v4a, v4b, v6a, v6b]))
    }
}
