/// Why the `Migrator` refused to run. In every case it has written nothing.
public struct MigrationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The file exists and is not an SQLite database. It was not modified.
        case notADatabase = "not_a_database"
        /// An SQLite database with tables but no `schema_migrations`: not ours.
        case foreignDatabase = "foreign_database"
        /// An applied migration's recorded checksum differs from the embedded file's.
        case checksumMismatch = "checksum_mismatch"
        /// The database has a migration this binary does not know (it was migrated by a newer binary).
        case futureVersion = "future_version"
        /// The file or its directory cannot be opened or written (read-only, missing directory, ...).
        case cannotOpen = "cannot_open"
        /// The file system has too little free space for a migration that rewrites existing rows.
        case insufficientDisk = "insufficient_disk"
        /// An SQLite error while reading or applying migrations.
        case sqlite = "sqlite"
    }

    public var code: Code
    public var message: String
    public var underlying: SQLiteError?

    public init(_ code: Code, _ message: String, underlying: SQLiteError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
