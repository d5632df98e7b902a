import History

/// `serve` with `pending_migrations: refuse` found history that needs migrating; nothing was written.
public struct PendingMigrationsError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var pending: [Migration]

    public var description: String {
        let names = pending.map(\.label).joined(separator: ", ")
        return "the history database \(path) needs migration \(names) (pending_migrations: refuse); run `ccpool migrate --database \(path)` first (it shows progress and checks free disk space), or set pending_migrations: apply"
    }
}
