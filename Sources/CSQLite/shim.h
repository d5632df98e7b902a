#ifndef CCPOOL_CSQLITE_SHIM_H
#define CCPOOL_CSQLITE_SHIM_H

#include <sqlite3.h>

/// `SQLITE_TRANSIENT` is a macro (a cast of -1) that Swift cannot import.
static inline sqlite3_destructor_type ccpool_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

/// Fixed-arity wrapper for the variadic `sqlite3_db_config` with one int option.
static inline int ccpool_sqlite3_db_config_int(sqlite3 *db, int op, int value, int *result) {
    return sqlite3_db_config(db, op, value, result);
}

/// Fixed-arity wrapper for the variadic `sqlite3_config` with no argument (e.g. SQLITE_CONFIG_MULTITHREAD).
static inline int ccpool_sqlite3_config_none(int op) {
    return sqlite3_config(op);
}

/// Fixed-arity wrapper for the variadic `sqlite3_config` with one int argument (e.g. SQLITE_CONFIG_MEMSTATUS).
static inline int ccpool_sqlite3_config_int(int op, int value) {
    return sqlite3_config(op, value);
}

/// `SQLITE_STATIC` (a cast of 0): for text that outlives the statement's use of it.
static inline sqlite3_destructor_type ccpool_sqlite_static(void) {
    return SQLITE_STATIC;
}

#endif
