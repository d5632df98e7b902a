import CSQLite

/// A failed SQLite call: the primary and extended result codes, SQLite's message, and the SQL that failed.
///
/// The writer classifies these (busy, full, I/O) to decide whether to keep events and retry.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, ...): `extendedCode & 0xff`.
    public var code: Int32
    /// Extended result code (`SQLITE_IOERR_WRITE`, ...).
    public var extendedCode: Int32
    /// `sqlite3_errmsg` at the time of the failure (or `sqlite3_errstr` when there is no connection).
    public var message: String
    /// The statement that failed, when there is one.
    public var sql: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode ?? code
        self.code = (extendedCode ?? code) & 0xff
        self.message = message
        self.sql = sql
    }

    /// Reads the error state of `handle` after `result` came back from a call.
    init(result: Int32, handle: OpaquePointer?, sql: String?) {
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? result
        // The connection's last error may belong to another call if `result` is not an error of this one.
        let useExtended = (extended & 0xff) == (result & 0xff) ? extended : result
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(result))
        self.init(code: result & 0xff, extendedCode: useExtended, message: message, sql: sql)
    }

    /// `SQLITE_BUSY` or `SQLITE_LOCKED`: another connection holds the lock.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// `SQLITE_FULL`: the disk (or `max_page_count`) is full.
    public var isFull: Bool { code == SQLITE_FULL }
    /// `SQLITE_INTERRUPT`: the statement was stopped, e.g. by a query deadline.
    public var isInterrupted: Bool { code == SQLITE_INTERRUPT }
    /// `SQLITE_IOERR*`.
    public var isIOError: Bool { code == SQLITE_IOERR }

    /// A short closed-set name for the failure, usable as a reason or label: "busy", "full", "io", "other".
    public var kind: String {
        if isBusy { return "busy" }
        if isFull { return "full" }
        if isIOError { return "io" }
        return "other"
    }

    public var description: String {
        var text = "SQLite error \(code) (extended \(extendedCode)): \(message)"
        if let sql { text += " [SQL: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)]" }
        return text
    }
}
