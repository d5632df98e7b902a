import CSQLite

/// The history writer's read-write connection and its prepared statements; used only by the writer thread.
final class WriterConnection {
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

    init(path: String, configuration: HistoryWriter.Configuration) throws(SQLiteError) {
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
    func write(_ events: ArraySlice<HistoryEvent>, gap: HistoryGap?, now: Int64) throws(SQLiteError) -> Int64 {
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
