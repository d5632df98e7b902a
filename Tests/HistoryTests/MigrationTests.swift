import CSQLite
import Foundation
@testable import History
import Testing

@Suite struct MigrationTests {
    @Test func freshApplyCreatesSchemaWithIncrementalAutoVacuumAndWAL() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        let report = try Migrator().migrate(path: path)
        #expect(report.applied == [1])
        #expect(report.version == 1)
        let db = try Database(path: path, mode: .readOnly)
        #expect(try db.pragma("auto_vacuum")?.int64 == 2)
        #expect(try db.pragma("journal_mode")?.string == "wal")
        let tables = try db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        var names: [String] = []
        while try tables.step() { names.append(tables.string(at: 0)) }
        #expect(names == ["event_batches", "events", "history_gaps", "schema_migrations", "targets"])
        let row = try db.prepare("SELECT version, name, checksum FROM schema_migrations")
        #expect(try row.step())
        #expect(row.int64(at: 0) == 1 && row.string(at: 1) == "init")
        #expect(row.string(at: 2) == EmbeddedMigrations.all[0].checksum)
    }

    @Test func rerunIsIdempotent() throws {
        let dir = TempDirectory()
        let path = dir.file("h.db")
        try Migrator().migrate(path: path)
        let schemaBefore = try schemaDump(path)
        let second = try Migrator().migrate(path: path)
        #expect(second.applied == [])
        #expect(second.version == 1)
        #expect(try schemaDump(path) == schemaBefore)
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
