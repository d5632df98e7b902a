import CSQLite
import Foundation

/// One SQLite connection. Owns the `sqlite3*` handle and closes it on `close()` or deinit.
///
/// Rules: a `Database` and its statements are used by one thread at a time (the connection is opened in
/// multi-thread mode, `SQLITE_OPEN_NOMUTEX`); hand it to another thread only when the first is done with it.
/// Every value goes through `Statement.bind`; `execute(_:)` is for fixed SQL text only.
public final class Database {
    /// How to open the file.
    public enum Mode: Sendable, Equatable {
        /// Read-write; `create` also creates a missing file (never an existing non-database, see `Migrator`).
        case readWrite(create: Bool)
        /// Read-only: never writes the database file (it may still create or map the WAL index in WAL mode).
        case readOnly
    }

    /// `PRAGMA synchronous` values the writer offers. WAL + NORMAL survives process crashes; the last
    /// commits may roll back on power loss. FULL also survives power loss at the cost of an fsync per commit.
    public enum Synchronous: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    let handle: OpaquePointer
    public let path: String
    private var isOpen = true

    /// Opens `path`. `busyTimeout` makes SQLite wait (sleeping) that long on a locked database before
    /// returning `SQLITE_BUSY`.
    public init(path: String, mode: Mode, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        _ = Self.processSetup
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWrite(let create): flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let result = sqlite3_open_v2(path, &db, flags, nil)
        guard result == SQLITE_OK, let db else {
            var error = SQLiteError(result: result, handle: db, sql: nil)
            let errno = db.map { sqlite3_system_errno($0) } ?? 0
            if errno != 0 { error.message += " (\(String(cString: strerror(errno))))" }
            error.message += ": \(path)"
            sqlite3_close_v2(db)
            throw error
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: ms))
    }

    /// Process-wide SQLite settings, applied once before the first connection: memory statistics off (they
    /// take a global mutex on every allocation, which showed up in the ingest profile).
    private static let processSetup: Void = {
        _ = ccpool_sqlite3_config_int(SQLITE_CONFIG_MEMSTATUS, 0)
        _ = sqlite3_initialize()
    }()

    deinit {
        if isOpen { sqlite3_close_v2(handle) }
    }

    /// Closes the connection. Statements still alive keep it open until they are deallocated (close_v2).
    public func close() throws(SQLiteError) {
        guard isOpen else { return }
        isOpen = false
        let result = sqlite3_close_v2(handle)
        if result != SQLITE_OK { throw SQLiteError(result: result, handle: handle, sql: nil) }
    }

    /// Runs fixed SQL (one or more statements, no parameters).
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if result != SQLITE_OK {
            var error = SQLiteError(result: result, handle: handle, sql: sql)
            if let errorMessage {
                error.message = String(cString: errorMessage)
                sqlite3_free(errorMessage)
            }
            throw error
        }
    }

    /// Prepares one statement. `persistent` hints SQLite that it will be reused many times.
    public func prepare(_ sql: String, persistent: Bool = false) throws(SQLiteError) -> Statement {
        try Statement(database: self, sql: sql, persistent: persistent)
    }

    /// Runs `sql` with `bindings` and returns the first column of the first row, if any.
    public func scalar(_ sql: String, _ bindings: SQLiteValue?...) throws(SQLiteError) -> SQLiteValue? {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return statement.value(at: 0)
    }

    /// The value of `PRAGMA name` (first column of the first row).
    public func pragma(_ name: String) throws(SQLiteError) -> SQLiteValue? {
        try scalar("PRAGMA \(name)")
    }

    /// Runs `body` in a transaction and commits, or rolls back when `body` or the commit throws.
    /// `immediate` takes the write lock at the start (use for writes, so busy waits happen up front).
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            rollbackIfNeeded()
            throw error
        }
    }

    /// Rolls back an open transaction, if any (SQLite may already have rolled back after FULL or IOERR).
    public func rollbackIfNeeded() {
        if !isAutocommit { try? execute("ROLLBACK") }
    }

    /// False while a transaction is open.
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }
    /// Rowid of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A value read from or bound to SQLite.
public enum SQLiteValue: Sendable, Equatable, Hashable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int64: Int64? { if case .integer(let v) = self { v } else { nil } }
    public var string: String? { if case .text(let v) = self { v } else { nil } }
}
