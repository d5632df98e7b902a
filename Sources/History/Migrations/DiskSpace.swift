import Foundation

/// Free space on the file system that holds a database, and what a pending migration needs of it.
public enum DiskSpace {
    /// Bytes an unprivileged process may still write in the directory of `path` (statvfs `f_bavail`), or nil
    /// when the file system does not say.
    public static func available(forFileAt path: String) -> Int64? {
        let directory = (path as NSString).deletingLastPathComponent
        var info = statvfs()
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Free space a migration of a database with `usedBytes` of live pages needs: a rewrite writes the new
    /// copy of the table and its index into the WAL, and the checkpoint then grows the file by about as much
    /// while the WAL still exists. The new copy is smaller than the old (interned names, integer states), so
    /// the database's live size again, plus a margin for SQLite's own bookkeeping, covers both.
    public static func required(forMigrating usedBytes: Int64) -> Int64 {
        usedBytes + usedBytes / 10 + 8 << 20
    }
}
