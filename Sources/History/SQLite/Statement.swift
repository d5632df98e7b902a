import CSQLite

/// One prepared statement of a `Database`. Keeps its database alive; finalized on deinit.
///
/// Parameters are bound by 1-based index; columns are read by 0-based index (SQLite's conventions).
/// Same threading rule as its `Database`.
public final class Statement {
    let handle: OpaquePointer
    public let database: Database
    public let sql: String

    init(database: Database, sql: String, persistent: Bool) throws(SQLiteError) {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let result = sqlite3_prepare_v3(database.handle, sql, -1, flags, &statement, nil)
        guard result == SQLITE_OK, let statement else {
            throw SQLiteError(result: result == SQLITE_OK ? SQLITE_MISUSE : result, handle: database.handle, sql: sql)
        }
        self.handle = statement
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    private func check(_ result: Int32) throws(SQLiteError) {
        if result != SQLITE_OK { throw SQLiteError(result: result, handle: database.handle, sql: sql) }
    }

    // MARK: Binding (1-based)

    public func bind(_ value: Int64?, at index: Int32) throws(SQLiteError) {
        try check(value.map { sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
    }

    public func bind(_ value: Int?, at index: Int32) throws(SQLiteError) {
        try bind(value.map(Int64.init), at: index)
    }

    public func bind(_ value: Double?, at index: Int32) throws(SQLiteError) {
        try check(value.map { sqlite3_bind_double(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
    }

    public func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        guard var value else { return try check(sqlite3_bind_null(handle, index)) }
        // Contiguous UTF-8 lets SQLite copy the bytes directly (SQLITE_TRANSIENT: it makes its own copy).
        let result: Int32 = value.withUTF8 { bytes in
            guard let base = bytes.baseAddress else {
                return sqlite3_bind_text(handle, index, "", 0, ccpool_sqlite_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), ccpool_sqlite_transient())
            }
        }
        try check(result)
    }

    /// Binds text that lives for the whole process (no copy by SQLite).
    public func bind(_ value: StaticText, at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_text(handle, index, value.pointer, value.count, ccpool_sqlite_static()))
    }

    public func bind(_ value: [UInt8]?, at index: Int32) throws(SQLiteError) {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        let result = value.withUnsafeBytes { bytes in
            sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), ccpool_sqlite_transient())
        }
        try check(result)
    }

    public func bind(_ value: SQLiteValue?, at index: Int32) throws(SQLiteError) {
        switch value {
        case nil: try check(sqlite3_bind_null(handle, index))
        case .integer(let v): try bind(v, at: index)
        case .real(let v): try bind(v, at: index)
        case .text(let v): try bind(v, at: index)
        case .blob(let v): try bind(v, at: index)
        }
    }

    /// Binds `values` to parameters 1, 2, ...
    public func bind(_ values: [SQLiteValue?]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
    }

    // MARK: Execution

    /// Advances: true when a row is available, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let result: throw SQLiteError(result: result, handle: database.handle, sql: sql)
        }
    }

    /// Makes the statement runnable again; bindings stay unless `clearBindings` is set.
    public func reset(clearBindings: Bool = false) {
        sqlite3_reset(handle)
        if clearBindings { sqlite3_clear_bindings(handle) }
    }

    // MARK: Columns (0-based)

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func isNull(at column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func int64(at column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func optionalInt64(at column: Int32) -> Int64? { isNull(at: column) ? nil : int64(at: column) }

    public func double(at column: Int32) -> Double { sqlite3_column_double(handle, column) }

    public func string(at column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func optionalString(at column: Int32) -> String? { isNull(at: column) ? nil : string(at: column) }

    public func value(at column: Int32) -> SQLiteValue? {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(int64(at: column))
        case SQLITE_FLOAT: return .real(double(at: column))
        case SQLITE_TEXT: return .text(string(at: column))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let bytes = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob([UInt8](UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return nil
        }
    }
}

/// NUL-terminated UTF-8 allocated once and never freed, so it can be bound with `SQLITE_STATIC`
/// (used for the few fixed strings of every row: scopes and state names).
public struct StaticText: @unchecked Sendable {  // immutable memory, never freed
    public let pointer: UnsafePointer<CChar>
    public let count: Int32

    public init(_ text: String) {
        let bytes = Array(text.utf8CString)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        buffer.initialize(from: bytes, count: bytes.count)
        pointer = UnsafePointer(buffer)
        count = Int32(bytes.count - 1)
    }
}
