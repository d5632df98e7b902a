import CSQLite
import Foundation
@testable import History
import Testing

@Suite struct HistoryWriterTests {
    @Test func concurrentAppendersAreAllCommittedInPerThreadOrder() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = 500
        configuration.flushInterval = .milliseconds(5)
        let writer = try HistoryWriter(path: path, configuration: configuration)
        let threads = 8
        let perThread = 5_000
        // Sample the invariant while appends and commits are in flight.
        let sampler = Thread {
            for _ in 0..<200 {
                checkInvariant(writer.snapshot)
                usleep(500)
            }
        }
        sampler.start()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for n in 0..<perThread {
                #expect(writer.append(event(n, target: "thread-\(thread)", reason: "\(n)")))
            }
        }
        writer.close()
        let counters = writer.snapshot
        checkInvariant(counters)
        #expect(counters.appended == Int64(threads * perThread))
        #expect(counters.written == Int64(threads * perThread))
        #expect(counters.queueDepth == 0 && counters.dropped == 0 && counters.writeErrors == 0)
        #expect(counters.lastCommittedID == Int64(threads * perThread))
        #expect(counters.databaseBytes > 0)
        // close() checkpointed with TRUNCATE: the WAL is empty (or gone).
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)

        let rows = try allEvents(path)
        #expect(rows.count == threads * perThread)
        var perTarget: [String: [Int]] = [:]
        for row in rows { perTarget[row.event.target, default: []].append(Int(row.event.reason)!) }
        for thread in 0..<threads {
            #expect(perTarget["thread-\(thread)"] == Array(0..<perThread), "thread \(thread) out of order or missing")
        }
    }

    @Test func smallBatchIsCommittedByTime() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        var configuration = HistoryWriter.Configuration()
        configuration.flushInterval = .milliseconds(20)
        let writer = try HistoryWriter(path: path, configuration: configuration)
        defer { writer.close() }
        for n in 0..<10 { writer.append(event(n)) }
        #expect(waitUntil { writer.snapshot.written == 10 })
        #expect(try allEvents(path).count == 10)  // visible to a reader while the writer is open
    }

    @Test func closeDrainsEverythingAccepted() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = 1_000_000
        configuration.flushInterval = .seconds(3600)  // nothing would be written before close
        let writer = try HistoryWriter(path: path, configuration: configuration)
        writer.append(contentsOf: (0..<20_000).map { event($0) })
        writer.close()
        #expect(writer.snapshot.written == 20_000)
        #expect(!writer.append(event(1)))  // refused after close, and not counted
        #expect(writer.snapshot.appended == 20_000)
        writer.close()  // idempotent
        let rows = try allEvents(path)
        #expect(rows.map(\.event.reason) == (0..<20_000).map { "seq \($0)" })
    }

    @Test func busyDatabaseDegradesThenRecoversWithoutLoss() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        var configuration = HistoryWriter.Configuration()
        configuration.flushInterval = .milliseconds(2)
        configuration.busyTimeout = .milliseconds(10)
        configuration.retryInitialBackoff = .milliseconds(2)
        configuration.retryMaxBackoff = .milliseconds(20)
        let writer = try HistoryWriter(path: path, configuration: configuration)
        // Another connection holds the write lock.
        let blocker = try Database(path: path, mode: .readWrite(create: false), busyTimeout: .zero)
        try blocker.execute("BEGIN IMMEDIATE")
        for n in 0..<100 { writer.append(event(n)) }
        #expect(waitUntil { writer.snapshot.writeErrors >= 2 })
        let degraded = writer.snapshot
        #expect(degraded.isDegraded)
        #expect(degraded.degradedReason?.contains("busy") == true, "\(String(describing: degraded.degradedReason))")
        #expect(degraded.written == 0 && degraded.queueDepth == 100)
        checkInvariant(degraded)
        try blocker.execute("ROLLBACK")
        #expect(waitUntil { writer.snapshot.written == 100 })
        #expect(!writer.snapshot.isDegraded)
        writer.close()
        #expect(try allEvents(path).count == 100)
    }
}
