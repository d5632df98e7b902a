extension HistoryWriter {
    /// A consistent snapshot of the writer's counters (for `ccpool_history_*` and `/readyz`).
    public struct Counters: Sendable, Equatable {
        /// Events accepted by `append`.
        public var appended: Int64 = 0
        /// Events committed (`ccpool_history_events_written_total`).
        public var written: Int64 = 0
        /// Events accepted and not yet committed or dropped (`ccpool_history_queue_depth`).
        public var queueDepth: Int64 = 0
        /// Failed commits, each retried (`ccpool_history_write_errors_total`).
        public var writeErrors: Int64 = 0
        /// Events dropped because the buffer was full while the database was not writable.
        public var dropped: Int64 = 0
        /// Gap rows committed.
        public var gapsWritten: Int64 = 0
        /// Rows deleted by retention, and retention steps that failed.
        public var retentionDeleted: Int64 = 0
        public var retentionErrors: Int64 = 0
        /// Retention runs completed (delete and vacuum phases done).
        public var retentionRuns: Int64 = 0
        /// Size of the database file plus its WAL (`ccpool_history_database_bytes`), as of the last commit.
        public var databaseBytes: Int64 = 0
        /// Highest `events.id` committed so far (0 before the first commit of this writer).
        public var lastCommittedID: Int64 = 0
        /// Why commits are failing right now; nil when healthy.
        public var degradedReason: String? = nil
        public var isDegraded: Bool { degradedReason != nil }
    }
}
