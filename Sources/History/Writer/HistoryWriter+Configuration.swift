import Foundation

extension HistoryWriter {
    /// How the writer batches, retries, caps its memory and applies retention.
    public struct Configuration: Sendable {
        /// Commit when this many events are queued... Larger commits dirty the same ~one index page per target
        /// touched, so bigger batches write less WAL per event: 16,384 ingested ~40% faster than 4,096 in
        /// history-bench (1,000 targets, same runs), and a commit of that size takes well under 100 ms.
        public var batchSize = 16_384
        /// ...or this long after the first queued event.
        public var flushInterval: Duration = .milliseconds(50)
        public var synchronous: Database.Synchronous = .normal
        /// Events kept in memory (queued + being retried) before the oldest are dropped.
        public var maxBufferedEvents = 1_000_000
        /// First retry delay after a failed commit; doubles up to `retryMaxBackoff`.
        public var retryInitialBackoff: Duration = .milliseconds(10)
        public var retryMaxBackoff: Duration = .seconds(1)
        /// How long one commit waits for another connection's write lock before counting as failed.
        public var busyTimeout: Duration = .seconds(1)
        /// SQLite page cache of the writer connection: enough for the index pages every batch touches (one
        /// per target, and the table's tail). 8 MiB ingests as fast as 64 MiB did (1M events, 1,000 targets:
        /// 332k vs 343k events/s, same bench) and bounds how far the process grows while the cache fills.
        public var cacheSizeKiB = 8_192
        /// Delete events older than this; nil keeps everything.
        public var retention: Duration? = nil
        /// How often to look for rows past `retention`.
        public var retentionInterval: Duration = .seconds(60)
        /// `PRAGMA wal_autocheckpoint` (pages). Index pages dirtied by every batch are written to the WAL on
        /// each commit but to the database file only once per checkpoint, so a larger value trades WAL size
        /// (up to about this many pages) for ingest speed; see the benchmark numbers in the history notes.
        public var walAutocheckpointPages = 10_000
        /// Rows per retention DELETE transaction.
        public var retentionBatchSize = 1000
        /// Pages per `incremental_vacuum` step.
        public var vacuumPagesPerStep = 512
        /// How long `close()` keeps retrying a failing database before counting what is left as dropped.
        public var closeTimeout: Duration = .seconds(10)
        /// Now, in microseconds since the Unix epoch (retention cutoff, gap rows).
        public var clock: @Sendable () -> Int64 = { HistoryTime.micros(Date()) }
        /// Testing hook: runs on the writer thread with its connection before each batch (fault injection,
        /// e.g. lowering `PRAGMA max_page_count`, which is per connection). Nil in production.
        public var beforeEachBatch: (@Sendable (Database) -> Void)? = nil

        public init() {}
    }
}
