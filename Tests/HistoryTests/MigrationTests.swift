import Vocabulary
import CSQLite
import Foundation
@testable import History
import Testing

@Suite struct MigrationTests {
    @Test func freshApplyCreatesSchemaWithIncrementalAutoVacuumAndWAL() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        let report = try Migrator().migrate(path: path)
        #expect(report.applied == [1, 2])
        #expect(report.version == 2)
        let db = try Database(path: path, mode: .readOnly)
        #expect(try db.pragma("auto_vacuum")?.int64 == 2)
        #expect(try db.pragma("journal_mode")?.string == "wal")
        let tables = try db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        var names: [String] = []
        while try tables.step() { names.append(tables.string(at: 0)) }
        #expect(names == ["event_batches", "events", "history_gaps", "history_subchannels", "history_targets", "schema_migrations", "targets"])
        let row = try db.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        #expect(try row.step())
        #expect(row.int64(at: 0) == 1 && row.string(at: 1) == "init")
        #expect(row.string(at: 2) == EmbeddedMigrations.all[0].checksum)
        #expect(try row.step())
        #expect(row.int64(at: 0) == 2 && row.string(at: 1) == "interned_targets")
        #expect(row.string(at: 2) == EmbeddedMigrations.all[1].checksum)
        // The only index on events is (target_id[, id]).
        let indexes = try db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")
        var indexNames: [String] = []
        while try indexes.step() { indexNames.append(indexes.string(at: 0)) }
        #expect(indexNames == ["events_by_target"])
    }

    @Test func rerunIsIdempotent() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try Migrator().migrate(path: path)
        let schemaBefore = try schemaDump(path)
        let second = try Migrator().migrate(path: path)
        #expect(second.applied == [])
        #expect(second.version == 2)
        #expect(try schemaDump(path) == schemaBefore)
    }

    /// The checksum of 0001 is recorded in deployed databases: the file must never change.
    @Test func migrationOneIsUnchanged() {
        #expect(EmbeddedMigrations.all[0].checksum == Self.migrationOneChecksum)
    }
    static let migrationOneChecksum = "ab9654b74bbbf6b708a6563dbbff5cdc245fc9dc5af88da5d1e7f3feb310a94a"

    /// A database at version 1 with rows (written in 0001's schema, ids with gaps, a subchannel id shared by
    /// two targets, NULL addresses, empty reasons), migrated to 2: every row keeps its id and values and every
    /// query shape answers as before; a writer then continues after the highest id.
    @Test func versionOneWithRowsMigratesAndQueriesAnswerTheSame() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        let v1 = try Migrator(migrations: [EmbeddedMigrations.all[0]]).migrate(path: path)
        #expect(v1.version == 1)
        let base: Int64 = 1_700_000_000_000_000
        var rng = SeededRandom(seed: 7)
        var model: [StoredEvent] = []
        var id: Int64 = 0
        for n in 0..<2_000 {
            id += Int64.random(in: 1...3, using: &rng)  // gaps, as after retention or rolled-back inserts
            let target = ["alpha", "beta", "gamma"][n % 3]
            let channel = n % 4 == 0
            // Subchannel 5 belongs to alpha and to beta (ids are unique only within one process's life).
            let sub = Int64(n % 3 == 2 ? 6 + n % 2 : 5)
            model.append(StoredEvent(id: id, event: HistoryEvent(
                time: base + Int64(n) * 1_000_000 + Int64.random(in: 0..<500_000, using: &rng), target: target,
                scope: channel ? .channel : .subchannel, subchannel: channel ? nil : sub,
                address: channel || n % 5 == 0 ? nil : "10.0.0.\(sub):443",
                from: ConnectivityState.allCases[n % 5], to: ConnectivityState.allCases[(n * 3 + 1) % 5],
                reason: n % 7 == 0 ? "" : "reason \(n % 11)")))
        }
        do {
            let db = try Database(path: path, mode: .readWrite(create: false))
            try db.execute("BEGIN")
            let insert = try db.prepare("""
                INSERT INTO events (id, ts, target, scope, subchannel, address, from_state, to_state, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for row in model {
                insert.reset()
                try insert.bind([.integer(row.id), .integer(row.event.time), .text(row.event.target), .text(row.event.scope.rawValue),
                                 row.event.subchannel.map { .integer($0) }, row.event.address.map { .text($0) },
                                 .text(row.event.from.rawValue), .text(row.event.to.rawValue), .text(row.event.reason)])
                try insert.step()
            }
            // event_batches as the 0001 writer kept it: batches of 100 rows with the running max time.
            let batch = try db.prepare("INSERT INTO event_batches (first_id, last_id, max_ts) VALUES (?, ?, ?)")
            var runningMax = Int64.min
            for start in stride(from: 0, to: model.count, by: 100) {
                let rows = model[start..<min(start + 100, model.count)]
                runningMax = max(runningMax, rows.map(\.event.time).max()!)
                batch.reset()
                try batch.bind([.integer(rows.first!.id), .integer(rows.last!.id), .integer(runningMax)])
                try batch.step()
            }
            try db.execute("COMMIT")
            try db.close()
        }

        let report = try Migrator().migrate(path: path)
        #expect(report.applied == [2] && report.version == 2)
        let reader = try HistoryReader(path: path)
        #expect(try allEvents(path) == model)
        func matching(_ query: HistoryQuery) -> [StoredEvent] {
            model.filter { row in
                let e = row.event
                return (query.target.map { e.target == $0 } ?? true) && (query.scope.map { e.scope == $0 } ?? true)
                    && (query.subchannel.map { e.subchannel == $0 } ?? true) && (query.to.map { e.to == $0 } ?? true)
                    && (query.since.map { e.time >= $0 } ?? true) && (query.until.map { e.time < $0 } ?? true)
            }
        }
        let queries = [
            HistoryQuery(target: "alpha", limit: 10_000), HistoryQuery(target: "beta", scope: .channel, limit: 10_000),
            HistoryQuery(subchannel: 5, limit: 10_000), HistoryQuery(target: "beta", subchannel: 5, limit: 10_000),
            HistoryQuery(subchannel: 7, to: .ready, limit: 10_000), HistoryQuery(to: .shutdown, limit: 10_000),
            HistoryQuery(target: "gamma", since: base + 500_000_000, until: base + 1_500_000_000, limit: 10_000),
            HistoryQuery(since: base + 1_900_000_000, limit: 10_000), HistoryQuery(target: "nobody", limit: 10_000),
            HistoryQuery(subchannel: 99, limit: 10_000),
        ]
        for query in queries {
            #expect(try reader.events(query).events == matching(query), "\(query)")
        }
        // Pagination across the migrated rows.
        var paged: [StoredEvent] = []
        var query = HistoryQuery(subchannel: 5, limit: 97)
        while true {
            let page = try reader.events(query)
            paged += page.events
            guard let cursor = page.nextCursor else { break }
            query.afterID = HistoryQuery.decodeCursor(cursor)
        }
        #expect(paged == matching(HistoryQuery(subchannel: 5)))
        #expect(try reader.newestEvents(target: "alpha", limit: 10) == Array(matching(HistoryQuery(target: "alpha")).suffix(10).reversed()))
        let cut = base + 1_000_000_000
        #expect(try reader.lastEvent(target: "beta", subchannel: 5, before: cut)
                == matching(HistoryQuery(target: "beta", scope: .subchannel, subchannel: 5)).last { $0.event.time < cut })
        #expect(try reader.lastEvent(target: "gamma", subchannel: nil, before: cut)
                == matching(HistoryQuery(target: "gamma", scope: .channel)).last { $0.event.time < cut })
        // Availability from the model: the state before the window, then each channel event inside it.
        let now = base + 1_500_000_000
        let start = now - 600_000_000
        let channel = matching(HistoryQuery(target: "alpha", scope: .channel)).map(\.event).sorted { $0.time < $1.time }
        var ready = channel.last { $0.time < start }?.to == .ready
        var readyMicros: Int64 = 0
        var cursor = start
        var transitions = 0
        for e in channel where e.time >= start && e.time < now {
            if ready { readyMicros += e.time - cursor }
            cursor = e.time
            ready = e.to == .ready
            transitions += 1
        }
        if ready { readyMicros += now - cursor }
        let availability = try reader.availability(target: "alpha", window: .seconds(600), now: now)
        #expect(availability.transitions == transitions && transitions > 0)
        #expect(availability.readySeconds == Double(readyMicros) / 1_000_000)

        // The writer continues after the highest id and reuses the interned names.
        let writer = try HistoryWriter(path: path)
        writer.append(HistoryEvent(time: base + 3_000_000_000, target: "alpha", scope: .subchannel, subchannel: 5,
                                   address: "10.0.0.5:443", from: .ready, to: .idle, reason: "after"))
        writer.close()
        let after = try reader.events(HistoryQuery(subchannel: 5, limit: 10_000)).events
        #expect(after.count == matching(HistoryQuery(subchannel: 5)).count + 1)
        #expect(after.last?.id == model.last!.id + 1 && after.last?.event.reason == "after")
        let db = try Database(path: path, mode: .readOnly)
        #expect(try db.scalar("SELECT count(*) FROM history_targets")?.int64 == 3)
        #expect(try db.scalar("SELECT count(*) FROM history_subchannels")?.int64 == 4)  // (5, alpha), (5, beta), (6, gamma), (7, gamma)
    }

    @Test func changedChecksumIsRefusedAndNothingChanges() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try Migrator().migrate(path: path)
        try tamper(path, "UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 1")
        let before = fileBytes(path)
        #expect { try Migrator().migrate(path: path) } throws: { ($0 as? MigrationError)?.code == .checksumMismatch }
        #expect(fileBytes(path) == before)
        // Also when the binary's file changed (the other direction of the same check).
        var changed = EmbeddedMigrations.all
        changed[0].checksum = String(repeating: "0", count: 64)
        try tamper(path, "UPDATE schema_migrations SET checksum = '\(EmbeddedMigrations.all[0].checksum)'")
        let error = #expect(throws: MigrationError.self) { try Migrator(migrations: changed).migrate(path: path) }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.message.contains("0001_init") ?? false || error?.message.contains("1_init") ?? false)
    }

    @Test func futureVersionIsRefusedAndNothingChanges() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try Migrator().migrate(path: path)
        try tamper(path, "INSERT INTO schema_migrations VALUES (999, 'from_the_future', 'abc', 0)")
        let before = fileBytes(path)
        let error = #expect(throws: MigrationError.self) { try Migrator().migrate(path: path) }
        #expect(error?.code == .futureVersion)
        #expect(error?.message.contains("999") == true)
        #expect(fileBytes(path) == before)
    }

    @Test func nonSQLiteFileIsRefusedAndLeftByteForByte() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        var bytes = Data("this is not a database, it is someone's notes\n".utf8)
        var rng = SeededRandom(seed: 42)
        for _ in 0..<10_000 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: MigrationError.self) { try Migrator().migrate(path: path) }
        #expect(error?.code == .notADatabase)
        #expect(fileBytes(path) == bytes)
        for suffix in ["-wal", "-shm", "-journal"] { #expect(!FileManager.default.fileExists(atPath: path + suffix)) }
        // A file with the SQLite header but garbage after it: SQLite itself says NOTADB on the first read.
        var fake = Data("SQLite format 3\u{0}".utf8)
        fake.append(Data(repeating: 0xff, count: 4080))
        try fake.write(to: URL(fileURLWithPath: path))
        let second = #expect(throws: MigrationError.self) { try Migrator().migrate(path: path) }
        #expect(second?.code == .notADatabase)
        #expect(fileBytes(path) == fake)
    }

    @Test func foreignSQLiteDatabaseIsRefused() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try tamper(path, "CREATE TABLE something_else (x)", create: true)
        let before = fileBytes(path)
        let error = #expect(throws: MigrationError.self) { try Migrator().migrate(path: path) }
        #expect(error?.code == .foreignDatabase)
        #expect(fileBytes(path) == before)
    }

    /// Tests run as root, where chmod does not stop writes. Two real ways instead: a read-only tmpfs mount
    /// (EROFS, needs mount permission; skipped without it) and a path whose "directory" is a regular file
    /// (ENOTDIR, works everywhere).
    @Test func unwritableDirectoryGivesAClearError() throws {
        let dir = TempDirectory()
        let file = dir.file("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: MigrationError.self) { try Migrator().migrate(path: file + "/history.db") }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.contains("cannot open history database") == true)
        #expect(error?.message.contains("is not a directory") == true, "\(String(describing: error))")

        let readOnly = TempDirectory()
        if readOnly.mountTmpfs(options: "ro,size=1m") {
            let error = #expect(throws: MigrationError.self) { try Migrator().migrate(path: readOnly.file("history.db")) }
            #expect(error?.code == .cannotOpen)
            #expect(error?.message.lowercased().contains("read-only") == true, "\(String(describing: error))")
        } else {
            print("mount not permitted here; read-only tmpfs variant not run")
        }
    }

    /// The embedded migrations are exactly the files of migrations/ (names, text, SHA-256 of the bytes).
    @Test func embeddedMigrationsMatchTheFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == EmbeddedMigrations.all.count)
        for (file, migration) in zip(files, EmbeddedMigrations.all) {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            #expect(String(decoding: data, as: UTF8.self) == migration.sql)
            #expect(file == String(format: "%04d_%@.sql", migration.version, migration.name))
            // Cross-check our build-time SHA-256 with coreutils.
            let pipe = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [directory.appendingPathComponent(file).path]
            process.standardOutput = pipe
            try process.run()
            process.waitUntilExit()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(output.split(separator: " ").first.map(String.init) == migration.checksum)
        }
    }

    private func tamper(_ path: String, _ sql: String, create: Bool = false) throws {
        let db = try Database(path: path, mode: .readWrite(create: create))
        try db.execute(sql)
        try db.close()  // last connection: checkpoints and removes the WAL, so the main file holds everything
    }

    private func schemaDump(_ path: String) throws -> [String] {
        let db = try Database(path: path, mode: .readOnly)
        let statement = try db.prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name")
        var rows: [String] = []
        while try statement.step() { rows.append(statement.string(at: 0)) }
        let migrations = try db.prepare("SELECT version, name, checksum, applied_at FROM schema_migrations")
        while try migrations.step() { rows.append("\(migrations.int64(at: 0)) \(migrations.string(at: 1)) \(migrations.string(at: 2)) \(migrations.int64(at: 3))") }
        return rows
    }
}
