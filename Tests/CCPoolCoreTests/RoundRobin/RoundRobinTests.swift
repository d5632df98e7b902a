import CCPoolCore
import NIOCore
import Testing

@Suite("round_robin against real servers")
struct RoundRobinTests {
    static let config = #"{"loadBalancingConfig": [{"round_robin": {}}]}"#

    func spread(_ channel: ChannelHarness, picks: Int) async throws -> [Address: Int] {
        var counts: [Address: Int] = [:]
        for _ in 0..<picks { counts[try await channel.pick().address, default: 0] += 1 }
        return counts
    }

    @Test("3 servers: even spread; kill one → the other two, channel stays READY; restart → back")
    func spreadKillRestart() async throws {
        let servers = [try await TestServer.start(), try await TestServer.start(), try await TestServer.start()]
        defer { Task { for s in servers { await s.stop() } } }
        let channel = try await ChannelHarness.make(addresses: servers.map(\.address), serviceConfig: Self.config)
        let addresses = servers.map(\.address)
        try await channel.recorder.wait("3 READY subchannels") { _ in
            Set(channel.recorder.subchannelTransitions.filter { $0.to == .ready }.map(\.subchannel)).count == 3
        }

        let even = try await spread(channel, picks: 3_000)
        #expect(Set(even.keys) == Set(addresses))
        for address in addresses { #expect(abs(even[address, default: 0] - 1_000) <= 50, "\(address): \(even)") }

        // Kill the first backend: its subchannel leaves READY and its picks move.
        let victim = servers[0]
        await victim.stop()
        try await channel.recorder.wait("victim left READY") { _ in
            channel.recorder.subchannelTransitions.contains { $0.from == .ready && $0.address == victim.address }
        }
        _ = try await channel.state
        let two = try await spread(channel, picks: 3_000)
        #expect(Set(two.keys) == Set(addresses.dropFirst()))
        for address in addresses.dropFirst() { #expect(abs(two[address, default: 0] - 1_500) <= 75, "\(two)") }
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→READY"])

        // Restart it on the same port: back in rotation.
        guard case .hostPort(let host, let port) = victim.address else { return }
        let revived = try await TestServer.start(host: host, port: port)
        defer { Task { await revived.stop() } }
        try await channel.recorder.wait("victim READY again") { _ in
            channel.recorder.subchannelTransitions.filter { $0.to == .ready && $0.address == victim.address }.count == 2
        }
        _ = try await channel.state
        let back = try await spread(channel, picks: 3_000)
        #expect(Set(back.keys) == Set(addresses))
        for address in addresses { #expect(abs(back[address, default: 0] - 1_000) <= 50, "\(back)") }
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        try await channel.shutdown()
    }

    @Test("all backends down: sticky TF, picks fail fast with the latest error; one back → READY")
    func allDown() async throws {
        let a = try await TestServer.closedPort()
        let b = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(addresses: [a, b], serviceConfig: Self.config)
        try await channel.recorder.waitForChannel(.transientFailure)
        try await channel.recorder.wait("reconnect cycles") { _ in
            channel.recorder.subchannelTransitions.filter { $0.to == .transientFailure }.count >= 4
        }
        #expect(channel.recorder.channelMoves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE"])
        await #expect {
            _ = try await channel.pick()
        } throws: { error in
            (error as? PickError) == PickError(.unavailable, "connection refused")
        }

        guard case .hostPort(let host, let port) = a else { return }
        let server = try await TestServer.start(host: host, port: port)
        defer { Task { await server.stop() } }
        try await channel.recorder.waitForChannel(.ready)
        #expect(try await channel.pick().address == a)
        try await channel.shutdown()
    }

    @Test("a resolver update removing an address shuts its subchannel down")
    func removal() async throws {
        let servers = [try await TestServer.start(), try await TestServer.start()]
        defer { Task { for s in servers { await s.stop() } } }
        let channel = try await ChannelHarness.make(addresses: servers.map(\.address), serviceConfig: Self.config)
        try await channel.recorder.wait("2 READY") { _ in
            channel.recorder.subchannelTransitions.filter { $0.to == .ready }.count == 2
        }
        channel.update([servers[1].address])
        try await channel.recorder.wait("removed subchannel SHUTDOWN") { _ in
            channel.recorder.subchannelTransitions.contains { $0.to == .shutdown && $0.address == servers[0].address }
        }
        _ = try await channel.state
        let counts = try await spread(channel, picks: 100)
        #expect(counts == [servers[1].address: 100])
        try await channel.shutdown()
    }
}
