import Vocabulary
import CSQLite
import Foundation

/// Answers history queries from a read-only connection.
///
/// **Owns** one read-only SQLite connection, guarded by a lock (one query at a time per reader; open several
/// readers for parallel queries — each open is cheap, see ``HistoryReaderPool``). In WAL mode a reader never
/// blocks the writer and sees the last committed batch. Each query is a single statement, so read transactions
/// stay short and do not hold back checkpoints.
///
/// The cost of one call is bounded: with a `queryTimeout` every call stops with an error
/// (``SQLiteError/isInterrupted``) once its statements have run that long, and with a `scanWindow` a query
/// that names no target nor subchannel looks at no more than that many ids (its page then ends early, with a
/// cursor that continues after the window).
public final class HistoryReader: @unchecked Sendable {  // `database` and `deadline` are used only while holding `lock`
    private let lock = NSLock()
    private let database: Database
    private let deadline: QueryDeadline
    private let queryTimeout: Duration?
    private let scanWindow: Int64?
    /// Interned target ids already looked up (an id never changes once committed). Guarded by `lock`.
    private var targetIDs: [String: Int64] = [:]

    public init(
        path: String, busyTimeout: Duration = .seconds(2), queryTimeout: Duration? = nil, scanWindow: Int64? = nil
    ) throws(SQLiteError) {
        database = try Database(path: path, mode: .readOnly, busyTimeout: busyTimeout)
        deadline = QueryDeadline(database: database)
        self.queryTimeout = queryTimeout
        self.scanWindow = scanWindow
    }

    /// Takes the lock and starts the call's deadline; ``release()`` ends both.
    private func acquire() {
        lock.lock()
        deadline.begin(queryTimeout)
    }

    private func release() {
        deadline.end()
        lock.unlock()
    }

    /// The stored row as `row(_:)` reads it; the target name comes from `history_targets` (one primary-key
    /// lookup per row, which never changes the plan of the outer query).
    static let columns = """
        id, ts, (SELECT name FROM history_targets WHERE history_targets.id = events.target_id), scope, subchannel, \
        address, from_state, to_state, reason
        """

    /// The SQL and bindings for `query` (exposed for `EXPLAIN QUERY PLAN` in tests and benchmarks).
    ///
    /// `lowerID` is the exact id bound derived from `since` (see `lowerBound(since:)`). `targetIDs` are the
    /// interned ids the query is limited to, when the caller resolved them: the target's id, or the targets a
    /// subchannel-only query's subchannel has belonged to (`history_subchannels`; one in the common case).
    /// Index choice is explicit: with a target (or a subchannel, through its targets), `events_by_target`
    /// (target_id, id) serves the filter and the id order (several targets need a sort); else the rowid. The
    /// other terms are written `+column` so the planner cannot switch to a plan that would need a sort.
    public static func sql(
        for query: HistoryQuery, lowerID: Int64? = nil, targetIDs: [Int64]? = nil, upperID: Int64? = nil
    ) -> (sql: String, bindings: [SQLiteValue]) {
        var clauses: [String] = []
        var bindings: [SQLiteValue] = []
        if let targetIDs, !targetIDs.isEmpty {
            clauses.append(targetIDs.count == 1
                           ? "target_id = ?" : "target_id IN (" + Array(repeating: "?", count: targetIDs.count).joined(separator: ", ") + ")")
            bindings += targetIDs.map { .integer($0) }
        } else if let target = query.target {
            clauses.append("target_id = (SELECT id FROM history_targets WHERE name = ?)")
            bindings.append(.text(target))
        } else if let subchannel = query.subchannel {
            clauses.append("target_id IN (SELECT target_id FROM history_subchannels WHERE subchannel = ?)")
            bindings.append(.integer(subchannel))
        }
        if let subchannel = query.subchannel {
            clauses.append("+subchannel = ?")
            bindings.append(.integer(subchannel))
        }
        if let scope = query.scope {
            clauses.append("+scope = ?")
            bindings.append(.integer(scope.code))
        }
        if let to = query.to {
            clauses.append("+to_state = ?")
            bindings.append(.integer(to.code))
        }
        if let since = query.since {
            clauses.append("+ts >= ?")
            bindings.append(.integer(since))
        }
        if let until = query.until {
            clauses.append("+ts < ?")
            bindings.append(.integer(until))
        }
        let after = [query.afterID, lowerID.map { $0 - 1 }].compactMap { $0 }.max()
        if let after {
            clauses.append("id > ?")
            bindings.append(.integer(after))
        }
        if let upperID {
            clauses.append("id <= ?")
            bindings.append(.integer(upperID))
        }
        var sql = "SELECT \(columns) FROM events"
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY id LIMIT ?"
        bindings.append(.integer(Int64(query.limit) + 1))
        return (sql, bindings)
    }

    /// The smallest id an event with `ts >= since` can have: the first id of the first committed batch whose
    /// running max time reaches `since` (nil: no event that recent exists).
    func lowerBound(since: Int64) throws(SQLiteError) -> Int64? {
        try database.scalar("SELECT first_id FROM event_batches WHERE max_ts >= ? ORDER BY max_ts, first_id LIMIT 1",
                            .integer(since))?.int64
    }

    /// The interned id of `target`; nil when no event of it was ever committed. Caller holds `lock`.
    func targetID(_ target: String) throws(SQLiteError) -> Int64? {
        if let id = targetIDs[target] { return id }
        guard let id = try database.scalar("SELECT id FROM history_targets WHERE name = ?", .text(target))?.int64 else { return nil }
        if targetIDs.count > 100_000 { targetIDs.removeAll() }
        targetIDs[target] = id
        return id
    }

    /// The ids of the targets `subchannel` has belonged to. Caller holds `lock`.
    func subchannelTargets(_ subchannel: Int64) throws(SQLiteError) -> [Int64] {
        let statement = try database.prepare("SELECT target_id FROM history_subchannels WHERE subchannel = ? ORDER BY target_id")
        try statement.bind(subchannel, at: 1)
        var ids: [Int64] = []
        while try statement.step() { ids.append(statement.int64(at: 0)) }
        return ids
    }

    /// Runs `query`: up to `limit` events in increasing id order, and a cursor when more match.
    public func events(_ query: HistoryQuery) throws(SQLiteError) -> HistoryPage {
        acquire()
        defer { release() }
        let none = HistoryPage(events: [], nextCursor: nil)
        var targetIDs: [Int64]?
        if let target = query.target {
            guard let id = try targetID(target) else { return none }
            targetIDs = [id]
        } else if let subchannel = query.subchannel {
            let ids = try subchannelTargets(subchannel)
            guard !ids.isEmpty else { return none }
            targetIDs = ids
        }
        var lowerID: Int64?
        if let since = query.since {
            guard let bound = try lowerBound(since: since) else { return none }
            lowerID = bound
        }
        // A scan of every target looks at one window of ids per page.
        var windowEnd: Int64?
        if targetIDs == nil, let scanWindow {
            guard let last = try database.scalar("SELECT max(id) FROM events")?.int64 else { return none }
            let after: Int64
            if let known = [query.afterID, lowerID.map { $0 - 1 }].compactMap({ $0 }).max() {
                after = known
            } else {
                after = (try database.scalar("SELECT min(id) FROM events")?.int64 ?? 1) - 1
            }
            if after + scanWindow < last { windowEnd = after + scanWindow }
        }
        let (sql, bindings) = Self.sql(for: query, lowerID: lowerID, targetIDs: targetIDs, upperID: windowEnd)
        let statement = try database.prepare(sql)
        try statement.bind(bindings)
        var events: [StoredEvent] = []
        events.reserveCapacity(min(query.limit, 1024))
        var more = false
        while try statement.step() {
            if events.count == query.limit { more = true; break }
            events.append(Self.row(statement))
        }
        if more { return HistoryPage(events: events, nextCursor: HistoryQuery.encodeCursor(afterID: events.last!.id)) }
        if let windowEnd {
            // The window ended before the page filled: more rows may match after it.
            return HistoryPage(events: events, nextCursor: HistoryQuery.encodeCursor(afterID: windowEnd))
        }
        return HistoryPage(events: events, nextCursor: nil)
    }

    static func row(_ statement: Statement) -> StoredEvent {
        StoredEvent(id: statement.int64(at: 0), event: HistoryEvent(
            time: statement.int64(at: 1),
            target: statement.string(at: 2),
            scope: TransitionScope(code: statement.int64(at: 3)) ?? .channel,
            subchannel: statement.optionalInt64(at: 4),
            address: statement.optionalString(at: 5),
            from: ConnectivityState(code: statement.int64(at: 6)) ?? .idle,
            to: ConnectivityState(code: statement.int64(at: 7)) ?? .idle,
            reason: statement.string(at: 8)))
    }

    /// The newest events of `target` with `since <= ts < until`, newest first (by `id`), at most `limit`.
    ///
    /// For views that show "the latest N" (the dashboard's timeline and event list): one backward range scan of
    /// `events_by_target` that stops after `limit` rows. A target's events are written by its one shard in
    /// order, so for one target `id` order is time order.
    public func newestEvents(target: String, since: Int64? = nil, until: Int64? = nil, limit: Int) throws(SQLiteError) -> [StoredEvent] {
        acquire()
        defer { release() }
        guard let targetID = try targetID(target) else { return [] }
        var sql = "SELECT \(Self.columns) FROM events WHERE target_id = ?"
        var bindings: [SQLiteValue] = [.integer(targetID)]
        if let since {
            sql += " AND +ts >= ?"
            bindings.append(.integer(since))
        }
        if let until {
            sql += " AND +ts < ?"
            bindings.append(.integer(until))
        }
        sql += " ORDER BY id DESC LIMIT ?"
        bindings.append(.integer(Int64(max(0, limit))))
        let statement = try database.prepare(sql)
        try statement.bind(bindings)
        var events: [StoredEvent] = []
        while try statement.step() { events.append(Self.row(statement)) }
        return events
    }

    /// The last event of `target`'s channel (`subchannel == nil`) or of one of its subchannels with `ts < time`
    /// (and `id < beforeID` when given): what that object's state was at `time`. Nil when there is none.
    ///
    /// Both walk `events_by_target` (target_id, id) backwards past the events at or after `time` (and, for
    /// a subchannel, past the target's other rows).
    public func lastEvent(target: String, subchannel: Int64?, before time: Int64, beforeID: Int64? = nil) throws(SQLiteError) -> StoredEvent? {
        acquire()
        defer { release() }
        guard let targetID = try targetID(target) else { return nil }
        var sql: String
        var bindings: [SQLiteValue]
        if let subchannel {
            sql = "SELECT \(Self.columns) FROM events WHERE target_id = ? AND +subchannel = ? AND +scope = 1 AND +ts < ?"
            bindings = [.integer(targetID), .integer(subchannel), .integer(time)]
        } else {
            sql = "SELECT \(Self.columns) FROM events WHERE target_id = ? AND +scope = 0 AND +ts < ?"
            bindings = [.integer(targetID), .integer(time)]
        }
        if let beforeID {
            sql += " AND id < ?"
            bindings.append(.integer(beforeID))
        }
        sql += " ORDER BY id DESC LIMIT 1"
        let statement = try database.prepare(sql)
        try statement.bind(bindings)
        return try statement.step() ? Self.row(statement) : nil
    }

    /// READY time of `target`'s channel in `[now - window, now)`.
    ///
    /// The state at the window's start is the `to` of the last channel event before it (not READY when there
    /// is none); each channel event inside the window switches the state at its time. Events are taken in
    /// (time, id) order.
    public func availability(target: String, window: Duration, now: Int64) throws(SQLiteError) -> Availability {
        let windowMicros = window.components.seconds * 1_000_000 + window.components.attoseconds / 1_000_000_000_000
        let start = now - windowMicros
        acquire()
        defer { release() }
        let windowSeconds = Double(windowMicros) / 1_000_000
        guard let targetID = try targetID(target) else {
            return Availability(windowSeconds: windowSeconds, readySeconds: 0, readyFraction: 0, transitions: 0)
        }
        let readyCode = ConnectivityState.ready.code
        let before = try database.prepare("""
            SELECT to_state FROM events
            WHERE target_id = ? AND +scope = 0 AND +ts < ? ORDER BY ts DESC, id DESC LIMIT 1
            """)
        try before.bind([.integer(targetID), .integer(start)])
        var ready = try before.step() ? before.int64(at: 0) == readyCode : false
        let inside = try database.prepare("""
            SELECT ts, to_state FROM events
            WHERE target_id = ? AND +scope = 0 AND +ts >= ? AND +ts < ? ORDER BY ts, id
            """)
        try inside.bind([.integer(targetID), .integer(start), .integer(now)])
        var readyMicros: Int64 = 0
        var transitions = 0
        var cursor = start
        while try inside.step() {
            let ts = inside.int64(at: 0)
            if ready { readyMicros += ts - cursor }
            cursor = ts
            ready = inside.int64(at: 1) == readyCode
            transitions += 1
        }
        if ready { readyMicros += now - cursor }
        let readySeconds = Double(readyMicros) / 1_000_000
        return Availability(windowSeconds: windowSeconds, readySeconds: readySeconds,
                            readyFraction: windowMicros > 0 ? readySeconds / windowSeconds : 0, transitions: transitions)
    }

    /// A recorded gap: events dropped while the database was not writable.
    public struct Gap: Sendable, Equatable {
        public var afterID: Int64?
        public var fromTime: Int64
        public var toTime: Int64
        public var dropped: Int64
    }

    public func gaps() throws(SQLiteError) -> [Gap] {
        acquire()
        defer { release() }
        let statement = try database.prepare("SELECT after_id, from_ts, to_ts, dropped FROM history_gaps ORDER BY id")
        var gaps: [Gap] = []
        while try statement.step() {
            gaps.append(Gap(afterID: statement.optionalInt64(at: 0), fromTime: statement.int64(at: 1),
                            toTime: statement.int64(at: 2), dropped: statement.int64(at: 3)))
        }
        return gaps
    }
}
