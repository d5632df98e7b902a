import CCPoolCore
import ChannelPool
import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite("Pool: changes to one name are serialised")
struct PoolRaceTests {
    @Test("16 concurrent upserts of one new name build one runtime; its removal records SHUTDOWN for all it built")
    func concurrentUpsertsOfOneName() async throws {
        let servers = try await LoopbackServers.start(count: 1)
        defer { Task { await servers.stop() } }
        let sink = MemoryTransitionSink()
        let pool = Pool(configuration: .init(shards: 2), sink: sink)
        let target = try PoolTests.target("race", "ipv4:\(servers.addresses[0])")
        let results = await withTaskGroup(of: Pool.UpsertResult?.self) { group in
            for _ in 0..<16 { group.addTask { try? await pool.upsert(target) } }
            var all: [Pool.UpsertResult?] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.filter { $0 == .created }.count == 1)
        #expect(results.filter { $0 == .changed }.count == 15)
        try await PoolTests.until("READY") { pool.snapshot(of: "race")?.stats.state == .ready }
        #expect(await pool.remove("race"))
        let records = sink.all.filter { $0.target == "race" }
        let channelStarts = records.filter { $0.scope == .channel && $0.from == .idle }
        #expect(channelStarts.count == 1, "one channel was built")
        let subchannels = Set(records.filter { $0.scope == .subchannel }.compactMap(\.subchannel))
        let shutDown = Set(records.filter { $0.scope == .subchannel && $0.to == .shutdown }.compactMap(\.subchannel))
        #expect(!subchannels.isEmpty && shutDown == subchannels)
        await pool.shutdown()
    }
}
