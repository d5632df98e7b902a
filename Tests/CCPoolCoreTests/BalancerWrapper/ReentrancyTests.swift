@testable import CCPoolCore
import NIOCore
import Synchronization
import Testing

@Suite("ccBalancerWrapper serialisation")
struct ReentrancyTests {
    @Test("a balancer that calls back into the channel from every callback neither deadlocks nor recurses")
    func reentrantBalancer() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let stats = ReentrantStats()
        var registry = BalancerRegistry.standard
        registry.register(ReentrantBalancerBuilder(stats: stats))
        let channel = try await ChannelHarness.make(
            addresses: [server.address], serviceConfig: #"{"loadBalancingConfig": [{"reentrant": {}}]}"#,
            balancers: registry)

        try await channel.recorder.waitForChannel(.ready)
        channel.update([server.address])
        try await waitUntil { stats.calls.load(ordering: .relaxed) >= 5 }
        try await channel.shutdown()
        try await waitUntil { stats.closed.load(ordering: .relaxed) }

        #expect(stats.reentered.load(ordering: .relaxed) == 0)
        #expect(stats.maxDepth.load(ordering: .relaxed) == 1)
        #expect(stats.callsAfterClose.load(ordering: .relaxed) == 0)
    }

    @Test("after close, queued work never reaches the balancer and its updates are ignored")
    func closedRules() async throws {
        let stats = ReentrantStats()
        var registry = BalancerRegistry.standard
        registry.register(ReentrantBalancerBuilder(stats: stats))
        let refused = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(
            addresses: [refused], serviceConfig: #"{"loadBalancingConfig": [{"reentrant": {}}]}"#, balancers: registry)
        try await waitUntil { stats.calls.load(ordering: .relaxed) >= 1 }
        try await channel.shutdown()
        let movesAtClose = channel.recorder.channelMoves
        channel.update([refused])
        _ = try await channel.state
        #expect(stats.callsAfterClose.load(ordering: .relaxed) == 0)
        #expect(channel.recorder.channelMoves == movesAtClose)
        #expect(movesAtClose.last?.hasSuffix("SHUTDOWN") == true)
    }
}

final class ReentrantStats: Sendable {
    let calls = Atomic<Int>(0)
    let reentered = Atomic<Int>(0)
    let maxDepth = Atomic<Int>(0)
    let closed = Atomic<Bool>(false)
    let callsAfterClose = Atomic<Int>(0)
}

struct ReentrantBalancerBuilder: BalancerBuilder {
    let stats: ReentrantStats
    var name: String { "reentrant" }
    func build(helper: any BalancerHelper) -> any Balancer { ReentrantBalancer(helper: helper, stats: stats) }
}

/// Calls back into the channel (new SubConns, connect, state updates that make the channel
/// ask for exitIdle, re-resolution) from inside every callback, and checks it is never entered
/// twice.
final class ReentrantBalancer: Balancer {
    let helper: any BalancerHelper
    let stats: ReentrantStats
    var depth = 0
    var subConn: (any SubConn)?

    init(helper: any BalancerHelper, stats: ReentrantStats) {
        self.helper = helper
        self.stats = stats
    }

    private func enter(_ body: () -> Void) {
        if stats.closed.load(ordering: .relaxed) { stats.callsAfterClose.add(1, ordering: .relaxed) }
        depth += 1
        if depth > 1 { stats.reentered.add(1, ordering: .relaxed) }
        if depth > stats.maxDepth.load(ordering: .relaxed) { stats.maxDepth.store(depth, ordering: .relaxed) }
        stats.calls.add(1, ordering: .relaxed)
        body()
        // Every callback pokes the channel: re-resolution and an IDLE report (which makes the
        // channel call exitIdle on us, from inside this call).
        helper.resolveNow()
        depth -= 1
    }

    func updateClientConnState(_ state: ClientConnState) throws(BalancerError) {
        enter {
            if subConn == nil {
                subConn = helper.newSubConn(addresses: state.addresses)
                helper.updateState(BalancerState(state: .idle, picker: ConstantPicker(.idle), reason: "reentrant idle"))
            }
            subConn?.connect()
        }
    }

    func resolverError(_ error: ResolverError) { enter {} }

    func updateSubConnState(_ subConn: any SubConn, _ state: SubConnState) {
        enter {
            switch state.state {
            case .ready:
                let picked = PickedSubConn(id: subConn.id, address: subConn.connectedAddress!)
                helper.updateState(BalancerState(state: .ready, picker: SingleSubConnPicker(picked), reason: "ready"))
            case .connecting:
                helper.updateState(BalancerState(state: .connecting, picker: ConstantPicker(.noSubConnAvailable), reason: "c"))
            case .idle:
                subConn.connect()
            default:
                break
            }
        }
    }

    func exitIdle() { enter { subConn?.connect() } }

    func close() {
        enter {
            subConn?.shutdown()
            // Updates after close must be ignored by the channel.
            helper.updateState(BalancerState(state: .ready, picker: ConstantPicker(.noSubConnAvailable), reason: "late"))
        }
        stats.closed.store(true, ordering: .relaxed)
    }
}
