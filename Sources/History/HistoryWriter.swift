import CSQLite
import Foundation

/// Writes `HistoryEvent`s to the `events` table in batches, on its own thread, without ever blocking callers.
///
/// **Owns** one read-write connection (used only by its writer thread) and an in-memory queue.
///
/// - `append(_:)` takes a lock for a few instructions and returns; it never waits on SQLite. The writer
///   thread commits a batch when `batchSize` events are queued or `flushInterval` after the first one.
/// - On a failed commit (`SQLITE_BUSY`, I/O error, `SQLITE_FULL`, anything) the batch is rolled back and kept,
///   `writeErrors` counts it, `isDegraded` reports the reason, and the writer retries with exponential
///   backoff. Events keep being accepted up to `maxBufferedEvents`; past that the writer drops the oldest
///   ones, counts each in `dropped`, and records one `history_gaps` row (time range and count) in the first
///   transaction that succeeds again.
/// - Invariant, at every snapshot: `written + queueDepth + dropped == appended`.
/// - Durability: WAL. With `synchronous=NORMAL` (default) a committed batch survives a crash of the process;
///   on power loss or an OS crash the last commits since the previous checkpoint-sync may roll back. `FULL`
///   syncs the WAL on every commit and survives power loss.
/// - Every commit also records its id range and the running maximum event time in `event_batches`, which
///   turns time bounds into exact id bounds for queries and retention (no index on `events.ts`).
/// - Retention (optional): rows older than `retention` are deleted oldest first (by id, below the first batch
///   whose running max time reaches the cutoff, so never a younger row; a batch goes once its newest event
///   is past the cutoff) in small transactions of `retentionBatchSize` rows, one batch per turn of the writer loop, so queued events never wait behind
///   more than one batch; then `PRAGMA incremental_vacuum` returns the free pages in small steps.
/// - `close()` drains everything accepted, commits, checkpoints (`wal_checkpoint(TRUNCATE)`) and closes.
///
/// - Target names are interned (`history_targets`, cached name -> id on the writer thread), and each
///   (subchannel, target) pair is recorded in `history_subchannels` when first seen and again every
///   `subchannelRefreshIDs` ids, so subchannel queries can go through the target index (migration 2).
///
/// The database must already be migrated (`Migrator`). The writer is not released until `close()`.
public final class HistoryWriter: @unchecked Sendable {  // shared state is guarded by `condition`
    /// How far (in ids) `history_subchannels.last_id` may lag behind a pair's newest event: the writer
    /// rewrites it when it sees the pair at least this many ids later. Retention drops a pair once
    /// `last_id + subchannelRefreshIDs <= min(events.id)`, when none of its events can remain.
    public static let subchannelRefreshIDs: Int64 = 1 << 20

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

    public let path: String
    public let configuration: Configuration

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [HistoryEvent] = []
    private var inWriter: Int64 = 0  // events the writer thread holds, not yet committed or dropped
    private var counters = Counters()
    private var dropRequested = false
    private var closing = false
    private var finished = false
    private var thread: Thread?

    // Used only by the writer thread after `init`.
    private var connection: Connection?

    /// Opens the (already migrated) database at `path` and starts the writer thread.
    public init(path: String, configuration: Configuration = Configuration()) throws(SQLiteError) {
        precondition(configuration.batchSize > 0 && configuration.maxBufferedEvents > 0)
        self.path = path
        self.configuration = configuration
        let connection = try Connection(path: path, configuration: configuration)
        self.connection = connection
        counters.lastCommittedID = connection.maxID
        counters.databaseBytes = Self.fileBytes(path)
        let thread = Thread { [self] in self.run() }
        thread.name = "ccpool-history-writer"
        self.thread = thread
        thread.start()
    }

    /// Queues `event`. Never blocks on I/O. Returns false (and does not count it) once `close()` has begun.
    @discardableResult
    public func append(_ event: HistoryEvent) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        pending.append(event)
        counters.appended += 1
        let count = pending.count
        if count == 1 || count == configuration.batchSize {
            condition.broadcast()
        } else if !dropRequested && Int64(count) + inWriter > Int64(configuration.maxBufferedEvents) {
            dropRequested = true
            condition.broadcast()
        }
        return true
    }

    /// Queues every event of `events` (one lock round).
    @discardableResult
    public func append(contentsOf events: some Sequence<HistoryEvent>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        let before = pending.count
        pending.append(contentsOf: events)
        counters.appended += Int64(pending.count - before)
        if before < configuration.batchSize && pending.count > 0 { condition.broadcast() }
        if !dropRequested && Int64(pending.count) + inWriter > Int64(configuration.maxBufferedEvents) {
            dropRequested = true
            condition.broadcast()
        }
        return true
    }

    /// A consistent snapshot of the counters. Never waits on SQLite.
    public var snapshot: Counters {
        condition.lock()
        defer { condition.unlock() }
        var copy = counters
        copy.queueDepth = Int64(pending.count) + inWriter
        return copy
    }

    public var isDegraded: Bool { snapshot.isDegraded }

    /// Drains everything accepted, commits, checkpoints and closes. Idempotent; blocks until done.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    // MARK: - Writer thread

    private struct Gap {
        var afterID: Int64?
        var fromTime: Int64
        var toTime: Int64
        var count: Int64
    }

    private enum RetentionPhase {
        case idle(nextRun: ContinuousClock.Instant)
        case deleting(cutoff: Int64)
        case vacuuming
    }

    private func run() {
        let connection = self.connection!
        self.connection = nil
        let clock = ContinuousClock()
        var local: [HistoryEvent] = []
        var head = 0
        var gap: Gap?
        var backoff = configuration.retryInitialBackoff
        var retryAt: ContinuousClock.Instant?
        var closeDeadline: ContinuousClock.Instant?
        var retention: RetentionPhase = .idle(nextRun: clock.now)

        func retentionDue() -> Bool {
            guard configuration.retention != nil else { return false }
            if case .idle(let next) = retention { return clock.now >= next }
            return true
        }

        /// Moves `pending` into `local` and drops the oldest past the cap. Caller holds the lock.
        func absorbAndEnforceCap() {
            if head == local.count {
                local.removeAll(keepingCapacity: true)
                head = 0
                swap(&local, &pending)
            } else {
                if head > 65_536 && head * 2 > local.count {
                    local.removeFirst(head)
                    head = 0
                }
                local.append(contentsOf: pending)
                pending.removeAll(keepingCapacity: true)
            }
            dropRequested = false
            let excess = (local.count - head) - configuration.maxBufferedEvents
            if excess > 0 {
                let dropped = local[head..<(head + excess)]
                let from = dropped.lazy.map(\.time).min()!
                let to = dropped.lazy.map(\.time).max()!
                if gap == nil {
                    gap = Gap(afterID: counters.lastCommittedID == 0 ? nil : counters.lastCommittedID,
                              fromTime: from, toTime: to, count: 0)
                }
                gap!.fromTime = min(gap!.fromTime, from)
                gap!.toTime = max(gap!.toTime, to)
                gap!.count += Int64(excess)
                counters.dropped += Int64(excess)
                head += excess
            }
            inWriter = Int64(local.count - head)
        }

        while true {
            // 1. Wait for work, then take what is queued.
            condition.lock()
            if let until = retryAt {
                // Backing off after a failure: wake early only to enforce the cap. Closing does not cut the
                // backoff short (that would spin); `closeTimeout` bounds how long close keeps retrying.
                while clock.now < until {
                    if dropRequested { absorbAndEnforceCap() }
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(clock.now.duration(to: until))))
                }
                retryAt = nil
            } else if head == local.count && pending.isEmpty && !closing {
                while pending.isEmpty && !closing {
                    if configuration.retention == nil {
                        condition.wait()
                    } else if retentionDue() {
                        break
                    } else if case .idle(let next) = retention {
                        _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(clock.now.duration(to: next))))
                    }
                }
                if !pending.isEmpty && !closing {
                    let deadline = Date(timeIntervalSinceNow: Self.seconds(configuration.flushInterval))
                    while pending.count < configuration.batchSize && !closing && !dropRequested {
                        if !condition.wait(until: deadline) { break }
                    }
                }
            }
            absorbAndEnforceCap()
            let isClosing = closing
            condition.unlock()

            if isClosing && closeDeadline == nil { closeDeadline = clock.now + configuration.closeTimeout }

            // 2. Write one batch, or do one retention step when nothing is queued.
            if head == local.count {
                if isClosing { break }
                if retentionDue() { retention = retentionStep(connection, retention, clock: clock) }
                continue
            }
            let end = min(head + configuration.batchSize, local.count)
            configuration.beforeEachBatch?(connection.database)
            do {
                let lastID = try connection.write(local[head..<end], gap: gap, now: configuration.clock())
                let bytes = Self.fileBytes(path)
                condition.lock()
                counters.written += Int64(end - head)
                inWriter -= Int64(end - head)
                counters.lastCommittedID = lastID
                counters.degradedReason = nil
                counters.databaseBytes = bytes
                if gap != nil { counters.gapsWritten += 1 }
                condition.unlock()
                head = end
                gap = nil
                backoff = configuration.retryInitialBackoff
                // Interleave retention with ingest: at most one small step per committed batch.
                if retentionDue() { retention = retentionStep(connection, retention, clock: clock) }
            } catch {
                condition.lock()
                counters.writeErrors += 1
                counters.degradedReason = "history writes failing (\(error.kind)): \(error.message)"
                if isClosing, let closeDeadline, clock.now >= closeDeadline {
                    // Give up: count everything still held as dropped so the invariant holds.
                    absorbAndEnforceCap()
                    counters.dropped += Int64(local.count - head)
                    head = local.count
                    inWriter = 0
                    condition.unlock()
                    break
                }
                condition.unlock()
                retryAt = clock.now + backoff
                backoff = min(backoff * 2, configuration.retryMaxBackoff)
            }
        }

        connection.close()
        let bytes = Self.fileBytes(path)
        condition.lock()
        counters.databaseBytes = bytes
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// One step of retention: a DELETE batch, or an incremental_vacuum step, or scheduling the next run.
    private func retentionStep(_ connection: Connection, _ phase: RetentionPhase, clock: ContinuousClock) -> RetentionPhase {
        guard let retention = configuration.retention else { return phase }
        let retentionMicros = retention.components.seconds * 1_000_000 + retention.components.attoseconds / 1_000_000_000_000
        do {
            switch phase {
            case .idle:
                return .deleting(cutoff: configuration.clock() - retentionMicros)
            case .deleting(let cutoff):
                let deleted = try connection.deleteOlder(than: cutoff, limit: configuration.retentionBatchSize)
                condition.lock()
                counters.retentionDeleted += Int64(deleted)
                condition.unlock()
                return deleted < configuration.retentionBatchSize ? .vacuuming : phase
            case .vacuuming:
                let remaining = try connection.vacuumStep(pages: configuration.vacuumPagesPerStep)
                if remaining > 0 { return .vacuuming }
                let bytes = Self.fileBytes(path)
                condition.lock()
                counters.databaseBytes = bytes
                counters.retentionRuns += 1
                condition.unlock()
                return .idle(nextRun: clock.now + configuration.retentionInterval)
            }
        } catch {
            condition.lock()
            counters.retentionErrors += 1
            condition.unlock()
            return .idle(nextRun: clock.now + configuration.retentionInterval)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Size of the database file plus its WAL.
    public static func fileBytes(_ path: String) -> Int64 {
        var total: Int64 = 0
        for file in [path, path + "-wal"] {
            var info = stat()
            if stat(file, &info) == 0 { total += Int64(info.st_size) }
        }
        return total
    }

    /// The writer thread's connection and its prepared statements.
    private final class Connection {
        let database: Database
        let begin: Statement
        let commit: Statement
        let insert: Statement
        let lookupTarget: Statement
        let insertTarget: Statement
        let upsertSubchannel: Statement
        let insertGap: Statement
        let insertBatch: Statement
        let retentionBound: Statement
        let deleteOld: Statement
        let deleteOldBatches: Statement
        let deleteOldGaps: Statement
        let deleteOldSubchannels: Statement
        let maxID: Int64
        /// Interned target names (ids never change once committed). Entries added by a transaction that
        /// rolls back are forgotten with the whole cache.
        var targetIDs: [String: Int64] = [:]
        /// The `last_id` this writer last wrote for each (subchannel, target_id) pair.
        var subchannelLastIDs: [SubchannelKey: Int64] = [:]

        struct SubchannelKey: Hashable {
            var subchannel: Int64
            var target: Int64
        }
        /// max(ts) over every committed event (the `event_batches.max_ts` of the last batch).
        var runningMaxTime: Int64

        init(path: String, configuration: Configuration) throws(SQLiteError) {
            database = try Database(path: path, mode: .readWrite(create: false), busyTimeout: configuration.busyTimeout)
            _ = try database.pragma("journal_mode = WAL")
            try database.execute("PRAGMA synchronous = \(configuration.synchronous.rawValue)")
            try database.execute("PRAGMA cache_size = -\(max(configuration.cacheSizeKiB, 0))")
            _ = try database.pragma("wal_autocheckpoint = \(max(configuration.walAutocheckpointPages, 0))")
            // After a checkpoint resets the WAL, truncate the file back to at most 64 MiB.
            _ = try database.pragma("journal_size_limit = 67108864")
            begin = try database.prepare("BEGIN IMMEDIATE", persistent: true)
            commit = try database.prepare("COMMIT", persistent: true)
            insert = try database.prepare("""
                INSERT INTO events (ts, target_id, scope, subchannel, address, from_state, to_state, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, persistent: true)
            lookupTarget = try database.prepare("SELECT id FROM history_targets WHERE name = ?", persistent: true)
            insertTarget = try database.prepare("INSERT INTO history_targets (name) VALUES (?)", persistent: true)
            upsertSubchannel = try database.prepare("""
                INSERT INTO history_subchannels (subchannel, target_id, last_id) VALUES (?, ?, ?)
                ON CONFLICT (subchannel, target_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)
                """, persistent: true)
            insertGap = try database.prepare(
                "INSERT INTO history_gaps (after_id, from_ts, to_ts, dropped, recorded_at) VALUES (?, ?, ?, ?, ?)",
                persistent: true)
            insertBatch = try database.prepare(
                "INSERT INTO event_batches (first_id, last_id, max_ts) VALUES (?, ?, ?)", persistent: true)
            // Retention bound: every event below the first batch whose running max_ts reaches the cutoff is
            // older than the cutoff. Never the newest row, so ids are never reused.
            retentionBound = try database.prepare("""
                SELECT min(coalesce((SELECT first_id FROM event_batches WHERE max_ts >= ?1 ORDER BY max_ts, first_id LIMIT 1),
                                    (SELECT max(id) FROM events)),
                           (SELECT max(id) FROM events))
                """, persistent: true)
            deleteOld = try database.prepare("""
                DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ?1 ORDER BY id LIMIT ?2)
                """, persistent: true)
            deleteOldBatches = try database.prepare(
                "DELETE FROM event_batches WHERE last_id < (SELECT coalesce(min(id), 0) FROM events)", persistent: true)
            deleteOldGaps = try database.prepare("DELETE FROM history_gaps WHERE to_ts < ?", persistent: true)
            deleteOldSubchannels = try database.prepare("""
                DELETE FROM history_subchannels WHERE last_id <= (SELECT coalesce(min(id), 0) FROM events) - ?
                """, persistent: true)
            maxID = try database.scalar("SELECT coalesce(max(id), 0) FROM events")?.int64 ?? 0
            runningMaxTime = try database.scalar("SELECT max(max_ts) FROM event_batches")?.int64 ?? Int64.min
        }

        /// The id of `name` in `history_targets`, inserting it when new (inside the caller's transaction).
        func targetID(_ name: String) throws(SQLiteError) -> Int64 {
            if let id = targetIDs[name] { return id }
            lookupTarget.reset()
            defer { lookupTarget.reset() }
            try lookupTarget.bind(name, at: 1)
            let id: Int64
            if try lookupTarget.step() {
                id = lookupTarget.int64(at: 0)
            } else {
                insertTarget.reset()
                try insertTarget.bind(name, at: 1)
                try insertTarget.step()
                id = database.lastInsertRowID
            }
            targetIDs[name] = id
            return id
        }

        /// Commits `events` (and `gap`) in one transaction; returns the last row id.
        func write(_ events: ArraySlice<HistoryEvent>, gap: Gap?, now: Int64) throws(SQLiteError) -> Int64 {
            begin.reset()
            try begin.step()
            do {
                if let gap {
                    insertGap.reset()
                    try insertGap.bind(gap.afterID, at: 1)
                    try insertGap.bind(gap.fromTime, at: 2)
                    try insertGap.bind(gap.toTime, at: 3)
                    try insertGap.bind(gap.count, at: 4)
                    try insertGap.bind(now, at: 5)
                    try insertGap.step()
                }
                var batchMax = runningMaxTime
                var firstID: Int64 = 0
                if subchannelLastIDs.count > 1_000_000 { subchannelLastIDs.removeAll() }  // churned-away pairs
                var lastTarget = ""
                var lastTargetID: Int64 = 0
                for event in events {
                    batchMax = max(batchMax, event.time)
                    if event.target != lastTarget || lastTargetID == 0 {
                        lastTargetID = try targetID(event.target)
                        lastTarget = event.target
                    }
                    insert.reset()
                    try insert.bind(event.time, at: 1)
                    try insert.bind(lastTargetID, at: 2)
                    try insert.bind(event.scope.code, at: 3)
                    try insert.bind(event.subchannel, at: 4)
                    try insert.bind(event.address, at: 5)
                    try insert.bind(event.from.code, at: 6)
                    try insert.bind(event.to.code, at: 7)
                    try insert.bind(event.reason, at: 8)
                    try insert.step()
                    let id = database.lastInsertRowID
                    if firstID == 0 { firstID = id }
                    if let subchannel = event.subchannel {
                        let key = SubchannelKey(subchannel: subchannel, target: lastTargetID)
                        if let recorded = subchannelLastIDs[key], id - recorded < HistoryWriter.subchannelRefreshIDs {
                            // recorded recently enough: every event of the pair stays below recorded + refresh span
                        } else {
                            upsertSubchannel.reset()
                            try upsertSubchannel.bind(subchannel, at: 1)
                            try upsertSubchannel.bind(lastTargetID, at: 2)
                            try upsertSubchannel.bind(id, at: 3)
                            try upsertSubchannel.step()
                            subchannelLastIDs[key] = id
                        }
                    }
                }
                let lastID = database.lastInsertRowID
                insertBatch.reset()
                try insertBatch.bind(firstID, at: 1)
                try insertBatch.bind(lastID, at: 2)
                try insertBatch.bind(batchMax, at: 3)
                try insertBatch.step()
                commit.reset()
                try commit.step()
                runningMaxTime = batchMax
                return lastID
            } catch {
                insert.reset()
                lookupTarget.reset()
                insertTarget.reset()
                upsertSubchannel.reset()
                // The rolled-back transaction may have interned names or recorded pairs: forget the caches.
                targetIDs.removeAll()
                subchannelLastIDs.removeAll()
                insertGap.reset()
                insertBatch.reset()
                commit.reset()
                database.rollbackIfNeeded()
                throw error
            }
        }

        /// Deletes up to `limit` events older than `cutoff` (and gap rows older than it); returns the count.
        func deleteOlder(than cutoff: Int64, limit: Int) throws(SQLiteError) -> Int {
            retentionBound.reset()
            // Always reset: a statement left on a row keeps a read transaction open, and once
            // another connection (the target store) commits, every later BEGIN IMMEDIATE of this
            // connection fails with SQLITE_BUSY_SNAPSHOT.
            defer { retentionBound.reset() }
            try retentionBound.bind(cutoff, at: 1)
            guard try retentionBound.step(), let bound = retentionBound.optionalInt64(at: 0) else { return 0 }
            retentionBound.reset()
            deleteOld.reset()
            try deleteOld.bind(bound, at: 1)
            try deleteOld.bind(Int64(limit), at: 2)
            try deleteOld.step()
            let deleted = database.changes
            deleteOldBatches.reset()
            try deleteOldBatches.step()
            deleteOldGaps.reset()
            try deleteOldGaps.bind(cutoff, at: 1)
            try deleteOldGaps.step()
            if deleted < limit {
                // The run's last step: drop the (subchannel, target) pairs none of whose events can remain
                // (one scan of that small table per run, not per step).
                deleteOldSubchannels.reset()
                try deleteOldSubchannels.bind(HistoryWriter.subchannelRefreshIDs, at: 1)
                try deleteOldSubchannels.step()
            }
            return deleted
        }

        /// Frees up to `pages` free pages; returns how many free pages remain.
        func vacuumStep(pages: Int) throws(SQLiteError) -> Int64 {
            try database.execute("PRAGMA incremental_vacuum(\(max(pages, 1)))")
            return try database.pragma("freelist_count")?.int64 ?? 0
        }

        func close() {
            _ = try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            try? database.close()
        }
    }
}
