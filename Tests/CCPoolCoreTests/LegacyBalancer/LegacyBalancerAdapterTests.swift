@testable import CCPoolCore
import NIOCore
import Synchronization
import Testing

@Suite("Legacy v1 balancer adapter (the seed's balancerWrapper)")
struct LegacyBalancerAdapterTests {
    @Test("legacy_round_robin: one SubConn per address; a notified list that drops one removes it")
    func roundRobinMode() async throws {
        let servers = [try await TestServer.start(), try await TestServer.start()]
        defer { Task { for s in servers { await s.stop() } } }
        let channel = try await ChannelHarness.make(
            addresses: servers.map(\.address), serviceConfig: #"{"loadBalancingConfig": [{"legacy_round_robin": {}}]}"#)
        try await channel.recorder.wait("2 READY") { _ in
            channel.recorder.subchannelTransitions.filter { $0.to == .ready }.count == 2
        }
        try await channel.recorder.waitForChannel(.ready)
        #expect(channel.recorder.created.map(\.1) == servers.map { [$0.address] })
        var seen: [Address: Int] = [:]
        for _ in 0..<100 { seen[try await channel.pick().address, default: 0] += 1 }
        #expect(seen == [servers[0].address: 50, servers[1].address: 50])

        // The resolver feeds the legacy balancer's naming; it notifies the shorter full list.
        channel.update([servers[1].address])
        try await channel.recorder.wait("dropped SubConn shut down") { _ in
            channel.recorder.subchannelTransitions.contains { $0.to == .shutdown && $0.address == servers[0].address }
        }
        _ = try await channel.state
        for _ in 0..<10 { #expect(try await channel.pick().address == servers[1].address) }
        #expect(channel.recorder.channelState == .ready)
        try await channel.shutdown()
    }

    @Test("legacy_pick_first: one SubConn holding every address, READY on the one that answers")
    func pickFirstMode() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let refused = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(
            addresses: [refused, server.address], serviceConfig: #"{"loadBalancingConfig": [{"legacy_pick_first": {}}]}"#)
        try await channel.recorder.waitForChannel(.ready)
        #expect(channel.recorder.created.map(\.1) == [[refused, server.address]])
        let picked = try await channel.pick()
        #expect(picked.address == server.address)
        #expect(picked.id == channel.recorder.created[0].0)
        try await channel.shutdown()
    }

    @Test("start gate, up/down pairing, and picks mapped from get(), with a scripted legacy balancer")
    func scriptedLegacy() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let script = ScriptedLegacyBalancer()
        var registry = BalancerRegistry.standard
        registry.register(LegacyBalancerAdapterBuilder(name: "scripted", pickFirst: false) { _ in script })

        // A list notified before the first resolver update waits behind the start gate.
        script.notifier.send([server.address])
        let channel = try await ChannelHarness.make(
            addresses: [], serviceConfig: #"{"loadBalancingConfig": [{"scripted": {}}]}"#, balancers: registry,
            deliverInitialAddresses: false)
        _ = try await channel.state
        #expect(channel.recorder.created.isEmpty, "nothing acted on before the first resolver update")
        // v1's Start(target) gets the channel's target, not the policy name.
        #expect(script.startedWith.withLock { $0 }?.hasSuffix(":///test") == true)

        channel.update([server.address])
        try await channel.recorder.waitForChannel(.ready)
        try await waitUntil { script.ups.withLock { $0 } == [server.address] }
        script.answer.withLock { $0 = .address(server.address, put: nil) }
        #expect(try await channel.pick().address == server.address)
        script.answer.withLock { $0 = .noAddress }
        await #expect(throws: PickError.self) { try await channel.pick() }

        // Leaving READY calls the down it returned.
        await server.resetConnections()
        try await waitUntil { script.downs.withLock { $0 } == [server.address] }
        try await channel.shutdown()
        #expect(script.closed.withLock { $0 })
    }
}

/// A legacy balancer the test steers: it records up/down and answers get() as told.
final class ScriptedLegacyBalancer: LegacyBalancer {
    let notifier = LegacyAddressList()
    let ups = Mutex<[Address]>([])
    let downs = Mutex<[Address]>([])
    let answer = Mutex<LegacyGetResult>(.noAddress)
    let closed = Mutex(false)
    let startedWith = Mutex<String?>(nil)

    func start(target: String) { startedWith.withLock { $0 = target } }
    func up(_ address: Address) -> @Sendable (String) -> Void {
        ups.withLock { $0.append(address) }
        return { [weak self] _ in self?.downs.withLock { $0.append(address) } }
    }
    func get(blockingWait: Bool) -> LegacyGetResult { answer.withLock { $0 } }
    func notify() -> LegacyAddressList? { notifier }
    func close() { closed.withLock { $0 = true } }
}
