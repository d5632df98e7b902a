import CSQLite
import Foundation
@testable import History
import Testing

@Suite struct RetentionTests {
    @Test func oldRowsAreDeletedInBatchesAndPagesReturned() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        let now: Int64 = 1_800_000_000_000_000
        let hour: Int64 = 3_600_000_000
        var configuration = HistoryWriter.Configuration()
        configuration.retention = .seconds(3600)
        configuration.retentionInterval = .milliseconds(20)
        configuration.retentionBatchSize = 1000
        configuration.flushInterval = .milliseconds(2)
        configuration.clock = { now }
        // First load old rows without retention running.
        var loading = configuration
        loading.retention = nil
        loading.batchSize = 500  // 5,500 old rows = 11 whole batches; the 10 recent ones form the 12th
        let loader = try HistoryWriter(path: path, configuration: loading)
        loader.append(contentsOf: (0..<5_500).map { event($0, time: now - 2 * hour + Int64($0), reason: String(repeating: "r", count: 200)) })
        loader.append(contentsOf: (0..<10).map { event($0, time: now - 60_000_000 + Int64($0)) })
        loader.close()
        let bytesBefore = HistoryWriter.fileBytes(path)

        let writer = try HistoryWriter(path: path, configuration: configuration)
        #expect(waitUntil { writer.snapshot.retentionDeleted == 5_500 })
        // Ingest keeps going while retention runs.
        writer.append(contentsOf: (0..<10).map { event($0, time: now + Int64($0)) })
        #expect(waitUntil { writer.snapshot.written == 10 })
        let db = try Database(path: path, mode: .readOnly)
        #expect(waitUntil { (try? db.pragma("freelist_count")?.int64) == 0 })
        // Batch bookkeeping for deleted rows is gone too (the 12th batch and the new one remain).
        #expect(waitUntil { (try? db.scalar("SELECT count(*) FROM event_batches")?.int64) == 2 })
        writer.close()
        #expect(try allEvents(path).count == 20)
        #expect(writer.snapshot.retentionErrors == 0)
        #expect(HistoryWriter.fileBytes(path) < bytesBefore / 2, "file did not shrink: \(bytesBefore) -> \(HistoryWriter.fileBytes(path))")
    }

    /// history_subchannels keeps a pair while any of its events can remain (its recorded last_id is at most
    /// `subchannelRefreshIDs` behind its newest event) and retention drops it once none can; a pair seen again
    /// is recorded again, so subchannel-only queries keep finding every row.
    @Test func subchannelPairsArePrunedOnlyWhenNoneOfTheirEventsRemain() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        let now: Int64 = 1_800_000_000_000_000
        let hour: Int64 = 3_600_000_000
        let span = HistoryWriter.subchannelRefreshIDs
        // Rows as a long-running writer leaves them: an old event of subchannel 1 at id 5 (pair recorded at
        // 5); a recent event of subchannel 2 at id 5 + span + 10, its pair recorded span - 1 ids earlier (a
        // lagging last_id, as the writer allows), and one of subchannel 3 recorded exactly.
        do {
            let db = try Database(path: path, mode: .readWrite(create: false))
            let recent = 5 + span + 10
            try db.execute("BEGIN")
            let insert = try db.prepare("""
                INSERT INTO events (id, ts, target_id, scope, subchannel, address, from_state, to_state, reason) VALUES (?, ?, 1, 1, ?, NULL, 1, 2, '')
                """)
            for (id, ts, sub) in [(Int64(5), now - 2 * hour, Int64(1)), (recent, now - 60_000_000, 2), (recent + 1, now - 60_000_000, 3)] {
                insert.reset()
                try insert.bind([.integer(id), .integer(ts), .integer(sub)])
                try insert.step()
            }
            try db.execute("INSERT INTO history_targets (id, name) VALUES (1, 't')")
            let pair = try db.prepare("INSERT INTO history_subchannels (subchannel, target_id, last_id) VALUES (?, 1, ?)")
            for (sub, lastID) in [(Int64(1), Int64(5)), (2, recent - span + 1), (3, recent + 1)] {
                pair.reset()
                try pair.bind([.integer(sub), .integer(lastID)])
                try pair.step()
            }
            let batch = try db.prepare("INSERT INTO event_batches (first_id, last_id, max_ts) VALUES (?, ?, ?)")
            for (first, last, maxTS) in [(Int64(5), Int64(5), now - 2 * hour), (recent, recent + 1, now - 60_000_000)] {
                batch.reset()
                try batch.bind([.integer(first), .integer(last), .integer(maxTS)])
                try batch.step()
            }
            try db.execute("COMMIT")
            try db.close()
        }
        var configuration = HistoryWriter.Configuration()
        configuration.retention = .seconds(3600)
        configuration.retentionInterval = .milliseconds(20)
        configuration.flushInterval = .milliseconds(2)
        configuration.clock = { now }
        let writer = try HistoryWriter(path: path, configuration: configuration)
        #expect(waitUntil { writer.snapshot.retentionDeleted == 1 && writer.snapshot.retentionRuns >= 1 })
        let db = try Database(path: path, mode: .readOnly)
        func pairs() throws -> [Int64] {
            let statement = try db.prepare("SELECT subchannel FROM history_subchannels ORDER BY subchannel")
            var subchannels: [Int64] = []
            while try statement.step() { subchannels.append(statement.int64(at: 0)) }
            return subchannels
        }
        #expect(try pairs() == [2, 3])  // 1 had no events left; 2's lagging last_id still covers its event
        let reader = try HistoryReader(path: path)
        #expect(try reader.events(HistoryQuery(subchannel: 2)).events.map(\.id) == [5 + span + 10])
        #expect(try reader.events(HistoryQuery(subchannel: 1)).events.isEmpty)
        // Subchannel 1 comes back (a new process reusing the id): recorded again and found.
        writer.append(HistoryEvent(time: now, target: "t", scope: .subchannel, subchannel: 1, from: .idle, to: .connecting))
        #expect(waitUntil { writer.snapshot.written == 1 })
        writer.close()
        #expect(try pairs() == [1, 2, 3])
        #expect(try reader.events(HistoryQuery(subchannel: 1)).events.map(\.id) == [5 + span + 12])
    }
}

@Suite struct TargetStoreTests {
    @Test func upsertListDelete() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        let store = try TargetStore(path: path)
        #expect(try store.upsert(name: "payments", spec: #"{"target":"dns:///payments:50051"}"#, now: 1))
        #expect(try store.upsert(name: "auth", spec: #"{"target":"auth:443"}"#, now: 2))
        #expect(try store.upsert(name: "payments", spec: #"{"target":"dns:///payments:50052"}"#, now: 3) == false)
        let all = try store.list()
        #expect(all.map(\.name) == ["auth", "payments"])
        #expect(all[1] == TargetStore.StoredTarget(name: "payments", spec: #"{"target":"dns:///payments:50052"}"#, createdAt: 1, updatedAt: 3))
        #expect(throws: SQLiteError.self) { try store.upsert(name: "bad", spec: "{not json") }
        #expect(try store.delete(name: "auth"))
        #expect(try store.delete(name: "auth") == false)
        #expect(try store.get(name: "auth") == nil)
        // Survives a reopen, alongside a running history writer.
        let writer = try HistoryWriter(path: path)
        writer.append(event(1))
        let reopened = try TargetStore(path: path)
        #expect(try reopened.list().map(\.name) == ["payments"])
        writer.close()
    }

    /// Regression: a target-store write must not leave a lock that blocks the history writer.
    @Test func targetStoreWritesDoNotBlockTheWriter() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        // With retention on (as the service runs it), a retention pass that finds nothing to delete
        // once left its statement open: the store's commits then locked the writer out for good.
        var configuration = HistoryWriter.Configuration()
        configuration.retention = .seconds(7 * 86_400)
        configuration.retentionInterval = .seconds(3600)
        let writer = try HistoryWriter(path: path, configuration: configuration)
        let reader = try HistoryReader(path: path)
        let store = try TargetStore(path: path)
        // The first retention run, on the empty database, finds nothing to delete.
        let start = ContinuousClock.now
        while writer.snapshot.retentionRuns < 1, ContinuousClock.now < start + .seconds(10) { Thread.sleep(forTimeInterval: 0.002) }
        #expect(writer.snapshot.retentionRuns == 1)
        _ = try store.list()
        writer.append(event(1))
        _ = try reader.events(HistoryQuery())
        try store.upsert(name: "a", spec: #"{"target":"a:1"}"#)
        _ = try reader.events(HistoryQuery())
        try store.upsert(name: "a", spec: #"{"target":"a:2"}"#)
        _ = try store.list()
        try store.delete(name: "a")
        for i in 2...50 { writer.append(event(i)) }
        let deadline = ContinuousClock.now + .seconds(10)
        while writer.snapshot.written < 50, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(writer.snapshot.written == 50)
        #expect(writer.snapshot.writeErrors == 0)
        writer.close()
        #expect(writer.snapshot.dropped == 0)
    }
}
