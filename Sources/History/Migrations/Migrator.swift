import CSQLite
import Foundation

/// Brings a database file to the schema of the embedded migrations.
///
/// Everything that could refuse is checked before the first write: the file's header (a non-SQLite file is
/// never opened read-write), `PRAGMA schema_version`, the recorded checksums and versions. Then each pending
/// migration runs in its own `BEGIN IMMEDIATE` transaction together with its `schema_migrations` row, so a
/// crash leaves the database at a whole version. A fresh database gets `auto_vacuum=INCREMENTAL` (which must
/// precede the first table and the switch to WAL) and WAL mode.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration] = EmbeddedMigrations.all) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// What `migrate` did.
    public struct Report: Sendable, Equatable {
        /// Versions applied by this call, in order.
        public var applied: [Int]
        /// The database's version afterwards.
        public var version: Int
    }

    /// The newest version this binary knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Opens (creating if missing) and migrates the database at `path`.
    ///
    /// `progress` receives a ``MigrationProgress`` at most once per `progressInterval` while a migration
    /// writes rows, and once when it has committed (nothing for a new database, which has no rows to move).
    /// `availableBytes` says how much the file system can still
    /// take (``DiskSpace/available(forFileAt:)`` by default; tests pass their own).
    @discardableResult
    public func migrate(
        path: String, now: @autoclosure () -> Date = Date(), progressInterval: Duration = .seconds(2),
        progress: ((MigrationProgress) -> Void)? = nil,
        availableBytes: (String) -> Int64? = DiskSpace.available(forFileAt:)
    ) throws(MigrationError) -> Report {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            throw MigrationError(
                .cannotOpen, "history database \(path) is a symbolic link; refusing to follow it (give the file's real path)")
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if exists { try Self.checkHeader(path: path) }
        let database: Database
        do {
            database = try Database(path: path, mode: .readWrite(create: !exists))
        } catch {
            let reason = Self.diagnoseDirectory(of: path) ?? error.message
            throw MigrationError(.cannotOpen, "cannot open history database \(path): \(reason)", underlying: error)
        }
        defer { try? database.close() }
        return try migrate(
            database: database, now: now(), progressInterval: progressInterval, progress: progress,
            availableBytes: availableBytes)
    }

    /// Migrates an open read-write connection.
    @discardableResult
    public func migrate(
        database: Database, now: @autoclosure () -> Date = Date(), progressInterval: Duration = .seconds(2),
        progress: ((MigrationProgress) -> Void)? = nil,
        availableBytes: (String) -> Int64? = DiskSpace.available(forFileAt:)
    ) throws(MigrationError) -> Report {
        let path = database.path
        func wrap<T>(_ what: String, _ body: () throws(SQLiteError) -> T) throws(MigrationError) -> T {
            do { return try body() } catch {
                if error.code == SQLITE_NOTADB {
                    throw MigrationError(.notADatabase, "\(path) is not an SQLite database; refusing to touch it", underlying: error)
                }
                if error.code == SQLITE_CANTOPEN || error.code == SQLITE_READONLY || error.code == SQLITE_PERM {
                    throw MigrationError(.cannotOpen, "cannot write history database \(path): \(error.message)", underlying: error)
                }
                throw MigrationError(.sqlite, "\(what) failed for \(path): \(error)", underlying: error)
            }
        }

        // Reads only: the first access verifies the header.
        _ = try wrap("reading the schema version") { () throws(SQLiteError) in try database.pragma("schema_version") }
        let objects = try wrap("reading the schema") { () throws(SQLiteError) -> [String] in
            let statement = try database.prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
            var names: [String] = []
            while try statement.step() { names.append(statement.string(at: 0)) }
            return names
        }
        let fresh = objects.isEmpty
        if !fresh && !objects.contains("schema_migrations") {
            throw MigrationError(.foreignDatabase,
                                 "\(path) is an SQLite database without schema_migrations (tables: \(objects.sorted().prefix(5).joined(separator: ", "))); refusing to migrate it")
        }
        let recorded = fresh ? [:] : try wrap("reading schema_migrations") { () throws(SQLiteError) in try Self.applied(database) }
        try verify(recorded: recorded, path: path)
        let pending = migrations.filter { recorded[$0.version] == nil }

        // A migration of existing rows needs room for a second copy of them: refuse before writing anything.
        var rowsToRewrite: Int64 = 0
        if !fresh && !pending.isEmpty {
            let (used, rows) = try wrap("measuring the database") { () throws(SQLiteError) in try Self.size(database) }
            rowsToRewrite = rows
            let needed = DiskSpace.required(forMigrating: used)
            if let free = availableBytes(path), free < needed {
                throw MigrationError(
                    .insufficientDisk,
                    "not enough free disk space to migrate \(path): pending \(pending.map(\.label).joined(separator: ", ")) rewrites \(rows) rows and needs about \(Self.mebibytes(needed)) free, but the file system has \(Self.mebibytes(free)); nothing was changed — free some space (or move the database to a larger volume) and run `ccpool migrate` again")
            }
        }

        // Writes from here on.
        if fresh {
            try wrap("setting auto_vacuum") { () throws(SQLiteError) in
                try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
            }
        }
        _ = try wrap("enabling WAL") { () throws(SQLiteError) in try database.pragma("journal_mode = WAL") }

        var applied: [Int] = []
        for migration in pending {
            var pendingReport: MigrationRowCounter?
            let didApply = try wrap("applying migration \(migration.version)_\(migration.name)") { () throws(SQLiteError) -> Bool in
                try database.execute("BEGIN IMMEDIATE")
                do throws(SQLiteError) {
                    // Another process may have applied it between our read and our lock.
                    if try database.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'")?.int64 == 1,
                       try database.scalar("SELECT 1 FROM schema_migrations WHERE version = ?", .integer(Int64(migration.version))) != nil {
                        try database.execute("ROLLBACK")
                        return false
                    }
                    if let progress, !fresh {
                        let counter = MigrationRowCounter(
                            migration: migration, rowsTotal: rowsToRewrite, interval: progressInterval, report: progress)
                        try counter.counting(on: database) { () throws(SQLiteError) in try database.execute(migration.sql) }
                        pendingReport = counter
                    } else {
                        try database.execute(migration.sql)
                    }
                    let insert = try database.prepare(
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)")
                    try insert.bind([.integer(Int64(migration.version)), .text(migration.name), .text(migration.checksum),
                                     .integer(Int64((now().timeIntervalSince1970 * 1_000_000).rounded()))])
                    try insert.step()
                    try database.execute("COMMIT")
                    return true
                } catch {
                    database.rollbackIfNeeded()
                    throw error
                }
            }
            if didApply {
                applied.append(migration.version)
                pendingReport?.finish()
            }
        }
        if !applied.isEmpty && !fresh {
            // Give the WAL's copy of the rewritten rows back to the file system now, not at the next checkpoint.
            _ = try? database.pragma("wal_checkpoint(TRUNCATE)")
        }
        let final = try wrap("reading schema_migrations") { () throws(SQLiteError) in try Self.applied(database) }
        return Report(applied: applied, version: final.keys.max() ?? 0)
    }

    /// The migrations a database with existing history still needs, read without writing anything; empty for
    /// a missing or empty file (creating the schema touches no existing rows) and for an up-to-date database.
    /// Throws what `migrate` would throw for a file it refuses.
    public func pendingOnExistingData(path: String) throws(MigrationError) -> [Migration] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        try Self.checkHeader(path: path)
        let database: Database
        do {
            database = try Database(path: path, mode: .readOnly)
        } catch {
            throw MigrationError(.cannotOpen, "cannot open history database \(path): \(error.message)", underlying: error)
        }
        defer { try? database.close() }
        do {
            let statement = try database.prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
            var names: [String] = []
            while try statement.step() { names.append(statement.string(at: 0)) }
            if names.isEmpty { return [] }
            guard names.contains("schema_migrations") else {
                throw MigrationError(.foreignDatabase, "\(path) is an SQLite database without schema_migrations; refusing to use it")
            }
            let recorded = try Self.applied(database)
            try verify(recorded: recorded, path: path)
            return migrations.filter { recorded[$0.version] == nil }
        } catch let error as MigrationError {
            throw error
        } catch let error as SQLiteError {
            if error.code == SQLITE_NOTADB {
                throw MigrationError(.notADatabase, "\(path) is not an SQLite database; refusing to touch it", underlying: error)
            }
            throw MigrationError(.sqlite, "reading the schema of \(path) failed: \(error)", underlying: error)
        } catch {
            throw MigrationError(.sqlite, "reading the schema of \(path) failed: \(error)")
        }
    }

    /// Checks recorded migrations against the embedded ones without writing anything.
    public func verify(recorded: [Int: (name: String, checksum: String)], path: String) throws(MigrationError) {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, row) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError(.futureVersion,
                                     "\(path) has migration \(version) (\(row.name)) but this binary knows only up to \(latestVersion); it was migrated by a newer ccpool — refusing to start")
            }
            if migration.checksum != row.checksum {
                throw MigrationError(.checksumMismatch,
                                     "migration \(version)_\(migration.name) was applied to \(path) with checksum \(row.checksum) but the embedded file has \(migration.checksum); a migration file was changed after it was applied — refusing to start")
            }
        }
    }

    /// Bytes of the database's live pages (file pages minus free ones) and the rows of `events`, if it exists.
    static func size(_ database: Database) throws(SQLiteError) -> (usedBytes: Int64, eventRows: Int64) {
        let pageSize = try database.pragma("page_size")?.int64 ?? 4096
        let pages = try database.pragma("page_count")?.int64 ?? 0
        let free = try database.pragma("freelist_count")?.int64 ?? 0
        let hasEvents = try database.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'events'")?.int64 == 1
        let rows = hasEvents ? try database.scalar("SELECT count(*) FROM events")?.int64 ?? 0 : 0
        return ((pages - free) * pageSize, rows)
    }

    static func mebibytes(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    static func applied(_ database: Database) throws(SQLiteError) -> [Int: (name: String, checksum: String)] {
        let statement = try database.prepare("SELECT version, name, checksum FROM schema_migrations")
        var rows: [Int: (name: String, checksum: String)] = [:]
        while try statement.step() {
            rows[Int(statement.int64(at: 0))] = (statement.string(at: 1), statement.string(at: 2))
        }
        return rows
    }

    /// Why the directory that should hold `path` cannot take a new file, if we can tell (SQLite's own errno
    /// is often that of its read-only fallback open, e.g. ENOENT, which hides the real cause).
    static func diagnoseDirectory(of path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            return "directory \(directory) does not exist (or a parent of it is not a directory)"
        }
        if !isDirectory.boolValue { return "\(directory) is not a directory" }
        if access(directory, W_OK) != 0 {
            return "directory \(directory) is not writable (\(String(cString: strerror(errno))))"
        }
        return nil
    }

    /// Refuses a non-empty file that does not start with the SQLite header, before SQLite touches it.
    static func checkHeader(path: String) throws(MigrationError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MigrationError(.cannotOpen, "cannot read \(path)")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file is an empty database to SQLite
        if header != Data("SQLite format 3\u{0}".utf8) {
            throw MigrationError(.notADatabase, "\(path) is not an SQLite database; refusing to touch it")
        }
    }
}
