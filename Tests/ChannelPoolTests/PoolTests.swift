import CCPoolCore
import ChannelPool
import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite("Pool against real loopback servers")
struct PoolTests {
    static let backoff = BackoffConfiguration(
        baseDelay: .milliseconds(100), jitter: 0, maxDelay: .seconds(1), minConnectTimeout: .seconds(10))

    static func target(_ name: String, _ uri: String, config: String? = nil) throws -> PoolTarget {
        let serviceConfig = try config.map { try ServiceConfig.parse($0) } ?? .default
        return PoolTarget(
            name: name, uri: uri, target: try ResolverRegistry.standard.parse(uri),
            options: ChannelOptions(serviceConfig: serviceConfig, backoff: backoff),
            source: .config)
    }

    /// Polls a pool condition (bounded).
    static func until(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline { throw PoolTestTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("targets reach READY; snapshot, stats and the transition records agree; shutdown records SHUTDOWN everywhere")
    func lifecycle() async throws {
        let servers = try await LoopbackServers.start(count: 3)
        defer { Task { await servers.stop() } }
        let sink = MemoryTransitionSink()
        let pool = Pool(configuration: .init(shards: 2), sink: sink)
        for (index, address) in servers.addresses.enumerated() {
            try await pool.upsert(try Self.target("t\(index)", "ipv4:\(address)"))
        }
        let rr = "ipv4:" + servers.addresses.joined(separator: ",")
        try await pool.upsert(try Self.target("rr", rr, config: #"{"loadBalancingConfig":[{"round_robin":{}}]}"#))

        try await Self.until("all READY, and every round_robin subchannel too") {
            pool.snapshot().targets.allSatisfy { $0.stats.state == .ready }
                && pool.snapshot(of: "rr")?.stats.subchannels.values.filter { $0.state == .ready }.count == 3
        }
        let snapshot = pool.snapshot()
        #expect(snapshot.targets.map(\.definition.name) == ["rr", "t0", "t1", "t2"])
        let rrStats = try #require(snapshot.targets.first { $0.definition.name == "rr" }?.stats)
        #expect(rrStats.subchannels.count == 3)
        #expect(rrStats.lbPolicy == "round_robin")
        #expect(rrStats.openConnections == 3)

        // Picks are counted.
        let picked = try await pool.pick("rr", waitForReady: false, timeout: .seconds(1))!.get()
        #expect(servers.addresses.contains(picked.address.description))
        #expect(pool.pick("nope", waitForReady: false, timeout: .seconds(1)) == nil)
        try await Self.until("pick counted") { pool.snapshot(of: "rr")?.stats.picks == 1 }

        // Every target lives on the shard its name hashes to.
        for target in snapshot.targets { #expect(target.shard == pool.shard(for: target.definition.name)) }

        await pool.shutdown()
        let records = sink.all
        for name in ["rr", "t0", "t1", "t2"] {
            let mine = records.filter { $0.target == name }
            #expect(mine.filter { $0.scope == .channel }.last?.to == .shutdown, "\(name)")
            let subchannels = Set(mine.compactMap(\.subchannel))
            for id in subchannels {
                #expect(mine.filter { $0.subchannel == id }.last?.to == .shutdown, "\(name) subchannel \(id)")
            }
        }
        #expect(pool.snapshot().targets.isEmpty)
    }

    @Test("stats counters equal the transition records per target (the metrics' consistency rule)")
    func consistency() async throws {
        let servers = try await LoopbackServers.start(count: 2)
        defer { Task { await servers.stop() } }
        let sink = MemoryTransitionSink()
        let pool = Pool(configuration: .init(shards: 1), sink: sink)
        let closed = try await LoopbackServers.closedPort()
        let rr = #"{"loadBalancingConfig":[{"round_robin":{}}]}"#
        let live = "ipv4:" + servers.addresses.joined(separator: ",")
        try await pool.upsert(try Self.target("mixed", live + "," + closed, config: rr))
        // Several connect/fail cycles of the closed address, then drop it so the target settles.
        try await Self.until("failures recorded") {
            sink.all.filter { $0.to == .transientFailure && $0.scope == .subchannel }.count >= 3
        }
        try await pool.upsert(try Self.target("mixed", live, config: rr))
        try await Self.until("closed address shut down and the rest READY") {
            let records = sink.all
            let shutDown = records.contains { $0.address == closed && $0.to == .shutdown }
            let stats = pool.snapshot(of: "mixed")?.stats
            return shutDown && stats?.subchannels.count == 2 && stats?.subchannels.values.allSatisfy { $0.state == .ready } == true
        }

        let stats = try #require(pool.snapshot(of: "mixed")?.stats)
        let records = sink.all.filter { $0.target == "mixed" }
        let subchannelRows = records.filter { $0.scope == .subchannel }.count
        let channelRows = records.filter { $0.scope == .channel }.count
        let counted = stats.addressSeries.values.reduce(0) { $0 + $1.transitions.total }
        #expect(Int(counted) == subchannelRows)
        #expect(Int(stats.channelTransitions.total) == channelRows)
        #expect(Int(stats.recordedTransitions) == records.count)
        // The removed address keeps its counters (its series stays in /metrics).
        #expect((stats.addressSeries[closed]?.transitions[.shutdown] ?? 0) == 1)
        await pool.shutdown()
    }

    @Test("remove records SHUTDOWN for the channel and its subchannels; the target disappears")
    func remove() async throws {
        let servers = try await LoopbackServers.start(count: 1)
        defer { Task { await servers.stop() } }
        let sink = MemoryTransitionSink()
        let pool = Pool(configuration: .init(shards: 1), sink: sink)
        try await pool.upsert(try Self.target("a", "ipv4:\(servers.addresses[0])"))
        try await Self.until("READY") { pool.snapshot(of: "a")?.stats.state == .ready }
        #expect(await pool.remove("a", reason: "config removed"))
        #expect(await pool.remove("a") == false)
        #expect(pool.snapshot(of: "a") == nil)
        let records = sink.all
        #expect(records.last { $0.scope == .channel }?.to == .shutdown)
        #expect(records.last { $0.scope == .channel }?.reason == "config removed")
        #expect(records.last { $0.scope == .subchannel }?.to == .shutdown)
        await pool.shutdown()
    }

    @Test("targetsByName follows every add, change and remove, in name order")
    func targetsByNameFollowsChanges() async throws {
        let servers = try await LoopbackServers.start(count: 2)
        defer { Task { await servers.stop() } }
        let pool = Pool(configuration: .init(shards: 2), sink: MemoryTransitionSink())
        let address = "ipv4:\(servers.addresses[0])"
        func listed() -> [String] { pool.targetsByName().map { "\($0.definition.name)=\($0.definition.uri)" } }

        for name in ["c", "a", "b"] { try await pool.upsert(try Self.target(name, address)) }
        #expect(listed() == ["a=\(address)", "b=\(address)", "c=\(address)"])
        #expect(listed() == ["a=\(address)", "b=\(address)", "c=\(address)"])  // the kept list, unchanged

        let other = "ipv4:\(servers.addresses[1])"
        try await pool.upsert(try Self.target("b", other))
        #expect(listed() == ["a=\(address)", "b=\(other)", "c=\(address)"])

        #expect(await pool.remove("a"))
        #expect(listed() == ["b=\(other)", "c=\(address)"])
        try await pool.upsert(try Self.target("0", address))
        #expect(listed() == ["0=\(address)", "b=\(other)", "c=\(address)"])
        await pool.shutdown()
    }

    @Test("a changed service config swaps the balancer; a changed target re-resolves")
    func change() async throws {
        let servers = try await LoopbackServers.start(count: 2)
        defer { Task { await servers.stop() } }
        let sink = MemoryTransitionSink()
        let pool = Pool(configuration: .init(shards: 1), sink: sink)
        try await pool.upsert(try Self.target("a", "ipv4:\(servers.addresses[0])"))
        try await Self.until("READY") { pool.snapshot(of: "a")?.stats.state == .ready }

        let result = try await pool.upsert(try Self.target(
            "a", "ipv4:\(servers.addresses[0]),\(servers.addresses[1])", config: #"{"loadBalancingConfig":[{"round_robin":{}}]}"#))
        #expect(result == .changed)
        try await Self.until("two READY subchannels") {
            let stats = pool.snapshot(of: "a")?.stats
            return stats?.lbPolicy == "round_robin" && stats?.subchannels.values.filter { $0.state == .ready }.count == 2
        }
        // The channel itself was never shut down.
        #expect(!sink.all.contains { $0.scope == .channel && $0.to == .shutdown })
        await pool.shutdown()
    }
}

struct PoolTestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
