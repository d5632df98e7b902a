/// One numbered SQL file of `migrations/` (`0001_init.sql` is version 1, name "init").
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    /// Lowercase hex SHA-256 of the file's bytes, computed at build time by `embed-migrations`.
    public var checksum: String
    public var sql: String

    public init(version: Int, name: String, checksum: String, sql: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
        self.sql = sql
    }
}

/// The migrations compiled into this binary. `all` is generated from `migrations/*.sql` by the
/// `EmbedMigrations` build-tool plugin on every build, so it cannot drift from the files.
public enum EmbeddedMigrations {}
