import CSQLite
import Foundation
@testable import History
import Testing

/// Full disk and write failures with real SQLite errors.
@Suite(.serialized) struct HistoryFaultTests {
    /// A real small filesystem: the database on a 16 MiB tmpfs that a filler file fills up.
    /// Needs mount permission (root with CAP_SYS_ADMIN); otherwise the max_page_count test below covers it.
    @Test func fullDiskKeepsEventsThenWritesThemAllThenDropsOldestPastTheCap() throws {
        let dir = TempDirectory()
        guard dir.mountTmpfs(options: "size=16m") else {
            print("mount not permitted here; tmpfs full-disk test not run (see maxPageCount test)")
            return
        }
        let path = try migratedDatabase(in: dir)
        let cap = 2_000
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = 200
        configuration.flushInterval = .milliseconds(2)
        configuration.maxBufferedEvents = cap
        configuration.retryInitialBackoff = .milliseconds(2)
        configuration.retryMaxBackoff = .milliseconds(20)
        let writer = try HistoryWriter(path: path, configuration: configuration)
        let padding = String(repeating: "x", count: 600)  // ~0.7 KB per row so the WAL must grow
        var n = 0
        func append(_ count: Int) {
            for _ in 0..<count { writer.append(event(n, reason: "seq \(n) \(padding)")); n += 1 }
        }
        append(100)
        #expect(waitUntil { writer.snapshot.written == 100 })

        // Fill the filesystem.
        let filler = dir.file("filler")
        fill(filler)
        append(1_500)  // below the cap
        #expect(waitUntil { writer.snapshot.writeErrors >= 3 })
        var counters = writer.snapshot
        #expect(counters.isDegraded)
        #expect(counters.degradedReason?.contains("full") == true || counters.degradedReason?.contains("io") == true,
                "\(String(describing: counters.degradedReason))")
        #expect(counters.dropped == 0)
        checkInvariant(counters)
        print("tmpfs full: \(counters.writeErrors) failed commits, degraded: \(counters.degradedReason ?? "-")")

        // Free the space: everything below the cap gets written, nothing lost.
        try FileManager.default.removeItem(atPath: filler)
        #expect(waitUntil { writer.snapshot.written == 1_600 })
        counters = writer.snapshot
        #expect(!counters.isDegraded && counters.dropped == 0 && counters.queueDepth == 0)

        // Fill again and go past the cap: the oldest are dropped and counted.
        fill(filler)
        let firstOfSecondWave = n
        append(cap + 700)
        #expect(waitUntil { writer.snapshot.writeErrors > counters.writeErrors && writer.snapshot.dropped >= 700 })
        try FileManager.default.removeItem(atPath: filler)
        #expect(waitUntil { writer.snapshot.queueDepth == 0 })
        writer.close()
        counters = writer.snapshot
        checkInvariant(counters)
        #expect(counters.dropped >= 700)
        #expect(counters.written + counters.dropped == Int64(n))
        #expect(counters.gapsWritten >= 1)

        try checkSingleGap(path: dir.file("history.db"), appended: n, before: firstOfSecondWave, dropped: counters.dropped)
    }

    /// Portable variant: `PRAGMA max_page_count` on the writer's own connection makes SQLite return a real
    /// SQLITE_FULL; raising it back is "freeing space".
    @Test func maxPageCountFullThenRecoveryThenGapPastTheCap() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        let limit = LockedFlag()
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = 100
        configuration.flushInterval = .milliseconds(2)
        configuration.maxBufferedEvents = 1_000
        configuration.retryInitialBackoff = .milliseconds(2)
        configuration.retryMaxBackoff = .milliseconds(10)
        configuration.beforeEachBatch = { database in
            let full = limit.value
            if full {
                // Cap the file at its current size: the next page it needs fails with SQLITE_FULL.
                let pages = (try? database.pragma("page_count")?.int64) ?? 1
                _ = try? database.pragma("max_page_count = \(pages)")
            } else {
                _ = try? database.pragma("max_page_count = 1073741823")
            }
        }
        let writer = try HistoryWriter(path: path, configuration: configuration)
        let padding = String(repeating: "y", count: 900)
        var n = 0
        func append(_ count: Int) { for _ in 0..<count { writer.append(event(n, reason: "seq \(n) \(padding)")); n += 1 } }
        append(50)
        #expect(waitUntil { writer.snapshot.written == 50 })

        limit.value = true
        append(800)
        #expect(waitUntil { writer.snapshot.writeErrors >= 3 })
        var counters = writer.snapshot
        #expect(counters.isDegraded && counters.degradedReason?.contains("full") == true, "\(counters)")
        checkInvariant(counters)
        limit.value = false
        #expect(waitUntil { writer.snapshot.written == 850 })
        #expect(!writer.snapshot.isDegraded && writer.snapshot.dropped == 0)

        limit.value = true
        append(1_300)  // 300 past the cap
        #expect(waitUntil { writer.snapshot.dropped >= 300 })
        counters = writer.snapshot
        checkInvariant(counters)
        limit.value = false
        writer.close()
        counters = writer.snapshot
        #expect(counters.written + counters.dropped == Int64(n) && counters.dropped >= 300 && counters.gapsWritten >= 1)
        try checkSingleGap(path: path, appended: n, before: 850, dropped: counters.dropped)
    }

    /// The committed rows are every event except one contiguous run of `dropped` events, all after
    /// `before` (which were all committed); one gap row per drop episode accounts for them, the first placed
    /// right after the last row committed before the run.
    private func checkSingleGap(path: String, appended: Int, before: Int, dropped: Int64,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try allEvents(path)
        let seqs = rows.map { Int($0.event.reason.split(separator: " ")[1])! }
        #expect(rows.count + Int(dropped) == appended, sourceLocation: sourceLocation)
        #expect(Array(seqs.prefix(before)) == Array(0..<before), sourceLocation: sourceLocation)
        let missing = Set(0..<appended).subtracting(seqs).sorted()
        #expect(missing.count == Int(dropped), sourceLocation: sourceLocation)
        #expect(missing.first.map { missing == Array($0..<($0 + missing.count)) } ?? false, "not contiguous", sourceLocation: sourceLocation)
        #expect(seqs == seqs.sorted(), sourceLocation: sourceLocation)
        let gaps = try HistoryReader(path: path).gaps()
        #expect(gaps.reduce(0) { $0 + $1.dropped } == dropped, sourceLocation: sourceLocation)
        if let first = missing.first, let gap = gaps.first {
            let lastBefore = rows.last { Int($0.event.reason.split(separator: " ")[1])! < first }
            #expect(gap.afterID == lastBefore?.id, sourceLocation: sourceLocation)
            #expect(gap.fromTime == event(first).time, sourceLocation: sourceLocation)
        }
    }

    /// Writes zeros until the filesystem is full.
    private func fill(_ path: String) {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        precondition(fd >= 0)
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
    }
}

final class LockedFlag: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
