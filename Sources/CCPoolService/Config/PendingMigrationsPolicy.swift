/// `pending_migrations`: what `ccpool serve` does when the database holds history that the embedded migrations
/// have yet to bring up to date.
///
/// Applying a migration that rewrites millions of rows can take longer than a startup probe allows; a pod
/// killed mid-migration rolls back and starts again for ever. `refuse` makes `serve` stop at once with a
/// message instead, and leaves the migration to `ccpool migrate` (an init container, or an operator), which
/// shows progress and checks free disk space first. A missing or empty database is created either way.
public enum PendingMigrationsPolicy: String, CaseIterable, Hashable, Sendable {
    /// Apply pending migrations before listening (the binary's default, convenient on a laptop).
    case apply
    /// Exit 1 with a message to run `ccpool migrate` (the container image's default).
    case refuse
}
