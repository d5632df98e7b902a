import CSQLite
import Foundation
@testable import History
import Testing
import Vocabulary

@Suite struct HistoryQueryParsingTests {
    @Test func parsesEveryParameter() throws {
        let query = try HistoryQuery.parse([
            ("target", "payments.v1-a_b"), ("scope", "subchannel"), ("subchannel", "17"), ("to", "READY"),
            ("since", "2024-05-01T12:00:00Z"), ("until", "1714569600.5"), ("limit", "10000"),
            ("cursor", HistoryQuery.encodeCursor(afterID: 42)),
        ])
        #expect(query == HistoryQuery(target: "payments.v1-a_b", scope: .subchannel, subchannel: 17, to: .ready,
                                      since: 1_714_564_800_000_000, until: 1_714_569_600_500_000, limit: 10_000, afterID: 42))
        #expect(try HistoryQuery.parse([]) == HistoryQuery(limit: 1000))
    }

    @Test(arguments: [
        ("limit", "0"), ("limit", "10001"), ("limit", "ten"), ("limit", "-1"), ("limit", ""),
        ("scope", "Channel"), ("scope", "all"), ("to", "ready"), ("to", "UP"),
        ("subchannel", "-3"), ("subchannel", "x"), ("subchannel", "1.5"),
        ("since", "yesterday"), ("since", "2024-13-01T00:00:00Z"), ("since", "2024-02-30T00:00:00Z"),
        ("since", "2024-05-01 12:00"), ("until", "2024-05-01T12:00:00"), ("until", "2024-05-01T12:00:00.Z"),
        ("target", ""), ("target", "bad name"), ("target", "x'; DROP TABLE events; --"),
        ("target", String(repeating: "a", count: 129)),
        ("cursor", "nope"), ("cursor", "aWQ6LTE"), ("cursor", ""),
    ])
    func rejectsBadValues(parameter: String, value: String) {
        let error = #expect(throws: HistoryQueryError.self) { try HistoryQuery.parse([(parameter, value)]) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.parameter == parameter)
    }

    @Test func rejectsUnknownAndRepeatedParametersAndInvertedRanges() {
        let unknown = #expect(throws: HistoryQueryError.self) { try HistoryQuery.parse([("state", "READY")]) }
        #expect(unknown?.code == .unknownParameter)
        let repeated = #expect(throws: HistoryQueryError.self) { try HistoryQuery.parse([("limit", "1"), ("limit", "2")]) }
        #expect(repeated?.code == .duplicateParameter)
        let inverted = #expect(throws: HistoryQueryError.self) { try HistoryQuery.parse([("since", "200"), ("until", "100")]) }
        #expect(inverted?.code == .invalidParameter)
    }

    @Test func timesRoundTrip() {
        #expect(HistoryTime.parse("1970-01-01T00:00:00Z") == 0)
        #expect(HistoryTime.parse("2024-05-01T12:34:56.123456Z") == 1_714_566_896_123_456)
        #expect(HistoryTime.parse("2024-05-01T12:34:56.1234567891Z") == nil)  // more than 9 digits
        #expect(HistoryTime.parse("2024-05-01T12:34:56.123456789Z") == 1_714_566_896_123_456)
        #expect(HistoryTime.parse("2024-05-01T14:34:56.5+02:00") == 1_714_566_896_500_000)
        #expect(HistoryTime.parse("2024-05-01T10:04:56-02:30") == 1_714_566_896_000_000)
        #expect(HistoryTime.parse("1714566896") == 1_714_566_896_000_000)
        #expect(HistoryTime.parse("2000-02-29T00:00:00Z") == 951_782_400_000_000)
        #expect(RFC3339.format(micros: 1_714_566_896_123_456) == "2024-05-01T12:34:56.123456Z")
        #expect(RFC3339.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(micros: -1) == "1969-12-31T23:59:59.999999Z")
        var rng = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            let micros = Int64.random(in: -2_000_000_000_000_000...4_000_000_000_000_000, using: &rng)
            #expect(HistoryTime.parse(RFC3339.format(micros: micros)) == micros)
        }
        #expect(Availability.parseDuration("1h") == .seconds(3600))
        #expect(Availability.parseDuration("250ms") == .milliseconds(250))
        #expect(Availability.parseDuration("7d") == .seconds(7 * 86400))
        #expect(Availability.parseDuration("1x") == nil && Availability.parseDuration("h") == nil && Availability.parseDuration("-1s") == nil)
    }
}

@Suite struct HistoryQueryExecutionTests {
    /// Random filter combinations against an in-memory model, paginated with random limits.
    @Test(arguments: [UInt64(1), 2, 3])
    func randomFiltersMatchTheModelAndPagesCoverEachRowOnce(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        let targets = ["alpha", "beta", "gamma", "delta"]
        let base: Int64 = 1_700_000_000_000_000
        var model: [HistoryEvent] = []
        for _ in 0..<3_000 {
            let channel = Bool.random(using: &rng)
            let sub = Int64.random(in: 0..<12, using: &rng)
            model.append(HistoryEvent(
                time: base + Int64.random(in: 0..<1_000_000_000, using: &rng),  // not monotonic in id
                target: targets.randomElement(using: &rng)!, scope: channel ? .channel : .subchannel,
                subchannel: channel ? nil : sub, address: channel ? nil : "10.0.0.\(sub):443",
                from: ConnectivityState.allCases.randomElement(using: &rng)!,
                to: ConnectivityState.allCases.randomElement(using: &rng)!, reason: "r"))
        }
        // Many small batches, with times out of id order, so `since` goes through event_batches for real.
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = 37
        let writer = try HistoryWriter(path: path, configuration: configuration)
        writer.append(contentsOf: model)
        writer.close()
        let reader = try HistoryReader(path: path)

        for _ in 0..<150 {
            var query = HistoryQuery(limit: Int.random(in: 1...400, using: &rng))
            if Bool.random(using: &rng) { query.target = (targets + ["nobody"]).randomElement(using: &rng) }
            if Int.random(in: 0..<3, using: &rng) == 0 { query.scope = TransitionScope.allCases.randomElement(using: &rng) }
            if Int.random(in: 0..<3, using: &rng) == 0 { query.subchannel = Int64.random(in: 0..<13, using: &rng) }
            if Int.random(in: 0..<3, using: &rng) == 0 { query.to = ConnectivityState.allCases.randomElement(using: &rng) }
            if Bool.random(using: &rng) { query.since = base + Int64.random(in: 0..<1_000_000_000, using: &rng) }
            if Bool.random(using: &rng) { query.until = (query.since ?? base) + Int64.random(in: 0..<600_000_000, using: &rng) }
            let expected = model.enumerated().filter { _, e in
                (query.target.map { e.target == $0 } ?? true) && (query.scope.map { e.scope == $0 } ?? true)
                    && (query.subchannel.map { e.subchannel == $0 } ?? true) && (query.to.map { e.to == $0 } ?? true)
                    && (query.since.map { e.time >= $0 } ?? true) && (query.until.map { e.time < $0 } ?? true)
            }.map { StoredEvent(id: Int64($0.offset + 1), event: $0.element) }

            var got: [StoredEvent] = []
            var pages = 0
            while true {
                let page = try reader.events(query)
                pages += 1
                #expect(page.events.count <= query.limit)
                got += page.events
                guard let cursor = page.nextCursor else { break }
                #expect(page.events.count == query.limit)
                let id = try #require(HistoryQuery.decodeCursor(cursor))
                query.afterID = id
                if pages > 4000 { break }
            }
            #expect(got == expected, "query \(query)")
            #expect(Set(got.map(\.id)).count == got.count)
        }
    }

    /// The plans the queries get (measured with EXPLAIN QUERY PLAN on a populated, analyzed-free database):
    /// no query with a target or subchannel sorts; keyset pagination is part of the index range.
    @Test func queryPlansUseTheIntendedIndexes() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = 100
        let writer = try HistoryWriter(path: path, configuration: configuration)
        writer.append(contentsOf: (0..<5_000).map { event($0, target: "t\($0 % 50)") })
        writer.close()
        let db = try Database(path: path, mode: .readOnly)
        func plan(_ query: HistoryQuery, targetIDs: [Int64]? = nil) throws -> String {
            let (sql, bindings) = HistoryReader.sql(for: query, lowerID: 2, targetIDs: targetIDs)
            let statement = try db.prepare("EXPLAIN QUERY PLAN " + sql)
            try statement.bind(bindings)
            var lines: [String] = []
            while try statement.step() { lines.append(statement.string(at: 3)) }
            return lines.joined(separator: " | ")
        }
        // A target (resolved to its id by the reader, or by a subquery when not) walks (target_id, id).
        let byTarget = try plan(HistoryQuery(target: "t1", scope: .channel, to: .ready, since: 5, until: 10_000_000_000_000_000, afterID: 10), targetIDs: [2])
        #expect(byTarget.contains("USING INDEX events_by_target (target_id=? AND rowid>?)"), "\(byTarget)")
        #expect(!byTarget.contains("TEMP B-TREE"))
        let byTargetName = try plan(HistoryQuery(target: "t1", afterID: 10))
        #expect(byTargetName.contains("USING INDEX events_by_target (target_id=? AND rowid>?)"), "\(byTargetName)")
        #expect(!byTargetName.contains("TEMP B-TREE"))
        // A subchannel alone goes through its target (history_subchannels): the same index range, no sort...
        let bySubchannel = try plan(HistoryQuery(subchannel: 3, since: 5, afterID: 10), targetIDs: [4])
        #expect(bySubchannel.contains("USING INDEX events_by_target (target_id=? AND rowid>?)"), "\(bySubchannel)")
        #expect(!bySubchannel.contains("TEMP B-TREE"))
        // ...and when the id belonged to several targets (across restarts), their ranges plus a sort.
        let bySharedSubchannel = try plan(HistoryQuery(subchannel: 3, afterID: 10), targetIDs: [4, 9])
        #expect(bySharedSubchannel.contains("USING INDEX events_by_target (target_id=? AND rowid>?)"), "\(bySharedSubchannel)")
        let unfiltered = try plan(HistoryQuery(afterID: 10))
        #expect(unfiltered.contains("USING INTEGER PRIMARY KEY (rowid>?)"), "\(unfiltered)")
        let byTime = try plan(HistoryQuery(since: 5, until: 10, afterID: 3))
        #expect(byTime.contains("USING INTEGER PRIMARY KEY (rowid>?)"), "\(byTime)")
        #expect(!byTime.contains("TEMP B-TREE"))
        let bound = try db.prepare("EXPLAIN QUERY PLAN SELECT first_id FROM event_batches WHERE max_ts >= ? ORDER BY max_ts, first_id LIMIT 1")
        try bound.bind(5, at: 1)
        #expect(try bound.step())
        #expect(bound.string(at: 3).contains("USING COVERING INDEX event_batches_by_max_ts (max_ts>?)"), "\(bound.string(at: 3))")
        print("plans:\n  target: \(byTarget)\n  subchannel: \(bySubchannel)\n  shared subchannel: \(bySharedSubchannel)\n  unfiltered: \(unfiltered)\n  time only: \(byTime)")
    }

    @Test func availabilityCountsReadyTimeFromTheStateBeforeTheWindow() throws {
        let dir = TempDirectory()
        let path = try migratedDatabase(in: dir)
        let now: Int64 = 1_700_000_000_000_000
        let start = now - 60_000_000
        func channel(_ t: Int64, _ from: ConnectivityState, _ to: ConnectivityState, target: String = "p") -> HistoryEvent {
            HistoryEvent(time: t, target: target, scope: .channel, from: from, to: to)
        }
        let writer = try HistoryWriter(path: path)
        writer.append(contentsOf: [
            channel(start - 100_000_000, .connecting, .ready),           // READY when the window opens
            channel(start + 10_000_000, .ready, .transientFailure),      // 10 s READY
            HistoryEvent(time: start + 15_000_000, target: "p", scope: .subchannel, subchannel: 1, from: .ready, to: .idle),
            channel(start + 40_000_000, .transientFailure, .ready),      // READY again for the last 20 s
            channel(start + 20_000_000, .idle, .ready, target: "other"),
        ])
        writer.close()
        let reader = try HistoryReader(path: path)
        let a = try reader.availability(target: "p", window: .seconds(60), now: now)
        #expect(a == Availability(windowSeconds: 60, readySeconds: 30, readyFraction: 0.5, transitions: 2))
        let none = try reader.availability(target: "nobody", window: .seconds(60), now: now)
        #expect(none == Availability(windowSeconds: 60, readySeconds: 0, readyFraction: 0, transitions: 0))
        let other = try reader.availability(target: "other", window: .seconds(60), now: now)
        #expect(other.readySeconds == 40 && other.transitions == 1)
    }
}
