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
///   is past the cutoff) in small transactions of `retentionBatchSize` rows, one per turn of the writer
///   loop, so queued events never wait behind more than one; then `PRAGMA incremental_vacuum` returns the
///   free pages in small steps (see `HistoryWriter+Retention.swift`).
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
    private var connection: WriterConnection?

    /// Opens the (already migrated) database at `path` and starts the writer thread.
    public init(path: String, configuration: Configuration = Configuration()) throws(SQLiteError) {
        precondition(configuration.batchSize > 0 && configuration.maxBufferedEvents > 0)
        self.path = path
        self.configuration = configuration
        let connection = try WriterConnection(path: path, configuration: configuration)
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

    /// Changes the counters under the lock (for work done on the writer thread outside the queue's lock).
    func updateCounters(_ change: (inout Counters) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        change(&counters)
    }

    /// Drains everything accepted, commits, checkpoints and closes. Idempotent; blocks until done.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    // MARK: - Writer thread

    private func run() {
        let connection = self.connection!
        self.connection = nil
        let clock = ContinuousClock()
        var backlog = WriterBacklog()
        var backoff = configuration.retryInitialBackoff
        var retryAt: ContinuousClock.Instant?
        var closeDeadline: ContinuousClock.Instant?
        var retention = RetentionPhase.idle(nextRun: clock.now)

        func retentionDue() -> Bool {
            guard configuration.retention != nil else { return false }
            return retention.isDue(at: clock.now)
        }

        /// Moves `pending` into the backlog and drops the oldest past the cap. Caller holds the lock.
        func absorbAndEnforceCap() {
            let dropped = backlog.absorb(
                &pending, cap: configuration.maxBufferedEvents, lastCommittedID: counters.lastCommittedID)
            counters.dropped += Int64(dropped)
            dropRequested = false
            inWriter = Int64(backlog.count)
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
            } else if backlog.isEmpty && pending.isEmpty && !closing {
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
            if backlog.isEmpty {
                if isClosing { break }
                if retentionDue() { retention = retentionStep(connection, retention, clock: clock) }
                continue
            }
            let batch = backlog.nextBatch(size: configuration.batchSize)
            configuration.beforeEachBatch?(connection.database)
            do {
                let lastID = try connection.write(batch, gap: backlog.gap, now: configuration.clock())
                let bytes = Self.fileBytes(path)
                condition.lock()
                counters.written += Int64(batch.count)
                inWriter -= Int64(batch.count)
                counters.lastCommittedID = lastID
                counters.degradedReason = nil
                counters.databaseBytes = bytes
                if backlog.gap != nil { counters.gapsWritten += 1 }
                condition.unlock()
                backlog.committed(batch.count)
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
                    counters.dropped += Int64(backlog.dropAll())
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
}
