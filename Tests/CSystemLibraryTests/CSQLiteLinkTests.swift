import CSQLite
import Testing

/// Proves the SQLite system library links and works through the shim (the History module
/// builds on it).
@Suite("CSQLite")
struct CSQLiteLinkTests {
    @Test("open an in-memory database, insert with a bound value, read it back")
    func roundTrip() throws {
        var db: OpaquePointer?
        #expect(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        defer { sqlite3_close_v2(db) }
        #expect(sqlite3_exec(db, "CREATE TABLE t (v TEXT)", nil, nil, nil) == SQLITE_OK)

        var insert: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?)", -1, &insert, nil) == SQLITE_OK)
        #expect(sqlite3_bind_text(insert, 1, "ccpool", -1, ccpool_sqlite_transient()) == SQLITE_OK)
        #expect(sqlite3_step(insert) == SQLITE_DONE)
        sqlite3_finalize(insert)

        var select: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "SELECT v FROM t", -1, &select, nil) == SQLITE_OK)
        defer { sqlite3_finalize(select) }
        #expect(sqlite3_step(select) == SQLITE_ROW)
        #expect(String(cString: sqlite3_column_text(select, 0)) == "ccpool")
    }

    @Test("the variadic sqlite3_db_config is reachable through its fixed-arity wrapper")
    func dbConfigWrapper() {
        var db: OpaquePointer?
        #expect(sqlite3_open(":memory:", &db) == SQLITE_OK)
        defer { sqlite3_close_v2(db) }
        var enabled: Int32 = -1
        #expect(ccpool_sqlite3_db_config_int(db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &enabled) == SQLITE_OK)
        #expect(enabled == 1)
    }
}
