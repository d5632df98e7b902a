import Foundation

/// Targets added through the admin API, kept in the `targets` table so they survive restarts.
///
/// **Owns** one read-write connection on the history database, guarded by a lock. Writes are rare and
/// short (one row); they contend with the history writer only for the WAL write lock (busy timeout).
/// The spec is stored as given (TargetSpec JSON, validated by the caller; SQLite checks `json_valid`).
public final class TargetStore: @unchecked Sendable {  // `database` is used only while holding `lock`
    public struct StoredTarget: Sendable, Equatable {
        public var name: String
        public var spec: String
        public var createdAt: Int64
        public var updatedAt: Int64
    }

    private let lock = NSLock()
    private let database: Database

    /// Opens the (already migrated) database at `path`.
    public init(path: String, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        database = try Database(path: path, mode: .readWrite(create: false), busyTimeout: busyTimeout)
        _ = try database.pragma("journal_mode = WAL")
    }

    /// Inserts or replaces `name`'s spec. Returns true when the target was created, false when changed.
    @discardableResult
    public func upsert(name: String, spec: String, now: Int64 = HistoryTime.micros(Date())) throws(SQLiteError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        try database.execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            let exists = try database.scalar("SELECT 1 FROM targets WHERE name = ?", .text(name)) != nil
            let statement = exists
                ? try database.prepare("UPDATE targets SET spec = ?2, updated_at = ?3 WHERE name = ?1")
                : try database.prepare("INSERT INTO targets (name, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)")
            try statement.bind([.text(name), .text(spec), .integer(now)])
            try statement.step()
            try database.execute("COMMIT")
            return !exists
        } catch {
            database.rollbackIfNeeded()
            throw error
        }
    }

    /// Removes `name`. Returns false when it was not stored.
    @discardableResult
    public func delete(name: String) throws(SQLiteError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let statement = try database.prepare("DELETE FROM targets WHERE name = ?")
        try statement.bind(name, at: 1)
        try statement.step()
        return database.changes > 0
    }

    public func get(name: String) throws(SQLiteError) -> StoredTarget? {
        try fetch("SELECT name, spec, created_at, updated_at FROM targets WHERE name = ?", [.text(name)]).first
    }

    /// Every stored target, sorted by name.
    public func list() throws(SQLiteError) -> [StoredTarget] {
        try fetch("SELECT name, spec, created_at, updated_at FROM targets ORDER BY name", [])
    }

    private func fetch(_ sql: String, _ bindings: [SQLiteValue?]) throws(SQLiteError) -> [StoredTarget] {
        lock.lock()
        defer { lock.unlock() }
        let statement = try database.prepare(sql)
        try statement.bind(bindings)
        var rows: [StoredTarget] = []
        while try statement.step() {
            rows.append(StoredTarget(name: statement.string(at: 0), spec: statement.string(at: 1),
                                     createdAt: statement.int64(at: 2), updatedAt: statement.int64(at: 3)))
        }
        return rows
    }
}
