/// One numbered SQL file of `migrations/` (`0001_init.sql` is version 1, name "init").
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    /// Lowercase hex SHA-256 of the file's bytes, computed at build time by `embed-migrations`.
    public var checksum: String
    public var sql: String

    /// The file's name without `.sql`: "0002_interned_targets".
    public var label: String { Migration.label(version: version, name: name) }

    static func label(version: Int, name: String) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name
    }

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
