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
