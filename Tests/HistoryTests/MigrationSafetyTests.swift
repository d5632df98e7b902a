import CSQLite
import Foundation
@testable import History
import Testing

/// The parts of migrating that keep a large database safe: progress reports, the free-space check before a
/// rewrite, and the read-only look at what is pending.
@Suite struct MigrationSafetyTests {
    /// A version-1 database holding `rows` events over 10 targets.
    static func versionOne(_ path: String, rows: Int) throws {
        try Migrator(migrations: [EmbeddedMigrations.all[0]]).migrate(path: path)
        let db = try Database(path: path, mode: .readWrite(create: false))
        defer { try? db.close() }
        try db.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
            INSERT INTO events (id, ts, target, scope, subchannel, address, from_state, to_state, reason)
            SELECT i, 1700000000000000 + i, 't' || (i % 10), 'subchannel', i % 7, '127.0.0.1:1', 'CONNECTING', 'READY', ''
            FROM n
            """)
    }

    @Test func progressCountsRowsUpToTheTotalAndEndsWithOneFinishedReport() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try Self.versionOne(path, rows: 50_000)
        var reports: [MigrationProgress] = []
        let report = try Migrator().migrate(path: path, progressInterval: .zero, progress: { reports.append($0) })
        #expect(report.applied == [2])
        let running = reports.filter { !$0.finished }
        #expect(running.count >= 10)  // one per 4,096 rows with a zero interval
        #expect(running.allSatisfy { $0.version == 2 && $0.rowsTotal == 50_000 })
        #expect(running.map(\.rowsDone) == running.map(\.rowsDone).sorted())
        let last = try #require(reports.last)
        #expect(last.finished && reports.filter(\.finished).count == 1)
        // every events row plus the 10 interned targets; history_subchannels is WITHOUT ROWID (not counted)
        #expect(last.rowsDone == 50_010)
        #expect(last.summary.hasPrefix("0002_interned_targets: done, 50,010 rows in "))
    }

    @Test func noProgressForAFreshDatabase() throws {
        let dir = TempDirectory()
        var reports: [MigrationProgress] = []
        try Migrator().migrate(path: dir.file("h.db"), progressInterval: .zero, progress: { reports.append($0) })
        #expect(reports.isEmpty)
    }

    @Test func refusesARewriteWithoutRoomAndChangesNothing() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try Self.versionOne(path, rows: 20_000)
        let before = fileBytes(path)
        var asked: [String] = []
        #expect {
            try Migrator().migrate(path: path, availableBytes: { asked.append($0); return 1 << 20 })
        } throws: { error in
            let error = error as! MigrationError
            return error.code == .insufficientDisk && error.message.contains("0002_interned_targets")
                && error.message.contains("rewrites 20000 rows") && error.message.contains("nothing was changed")
        }
        #expect(asked == [path])
        #expect(fileBytes(path) == before)
        #expect(try Migrator().pendingOnExistingData(path: path).map(\.version) == [2])
        // With room, the same file migrates.
        let report = try Migrator().migrate(path: path, availableBytes: { _ in 1 << 40 })
        #expect(report.applied == [2])
    }

    @Test func freshDatabasesAndUpToDateOnesNeedNoDiskCheck() throws {
        let dir = TempDirectory()
        var asked = 0
        try Migrator().migrate(path: dir.file("h.db"), availableBytes: { _ in asked += 1; return 0 })
        try Migrator().migrate(path: dir.file("h.db"), availableBytes: { _ in asked += 1; return 0 })
        #expect(asked == 0)
    }

    @Test func theRequirementCoversTheLiveSizeAgain() {
        #expect(DiskSpace.required(forMigrating: 0) == 8 << 20)
        #expect(DiskSpace.required(forMigrating: 1_000 << 20) == (1_100 << 20) + (8 << 20))
        let dir = TempDirectory()
        #expect((DiskSpace.available(forFileAt: dir.file("h.db")) ?? 0) > 0)
    }

    @Test func pendingOnExistingDataReadsWithoutWriting() throws {
        let dir = TempDirectory()
        #expect(try Migrator().pendingOnExistingData(path: dir.file("missing.db")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing.db")))
        FileManager.default.createFile(atPath: dir.file("empty.db"), contents: Data())
        #expect(try Migrator().pendingOnExistingData(path: dir.file("empty.db")).isEmpty)
        try Migrator().migrate(path: dir.file("current.db"))
        #expect(try Migrator().pendingOnExistingData(path: dir.file("current.db")).isEmpty)
        FileManager.default.createFile(atPath: dir.file("text.db"), contents: Data("not a database at all".utf8))
        #expect(throws: MigrationError.self) { try Migrator().pendingOnExistingData(path: dir.file("text.db")) }
    }

    @Test func progressArithmeticAndText() {
        var p = MigrationProgress(
            version: 2, name: "interned_targets", rowsDone: 1_200_000, rowsTotal: 5_000_000, elapsed: .seconds(3),
            finished: false)
        #expect(p.rowsPerSecond == 400_000)
        #expect(p.estimatedSecondsLeft == 9.5)
        #expect(p.summary == "0002_interned_targets: 1,200,000 / 5,000,000 rows (24%), 400,000 rows/s, about 10 s left")
        p.rowsDone = 5_000_000
        #expect(p.summary.hasSuffix("finishing (indexes)"))
        p.rowsDone = 0
        p.elapsed = .zero
        #expect(p.estimatedSecondsLeft == nil && p.summary.hasSuffix("estimating"))
        #expect(MigrationProgress.duration(7_325) == "2 h 2 min")
        #expect(MigrationProgress.duration(150) == "2 min 30 s")
    }
}
