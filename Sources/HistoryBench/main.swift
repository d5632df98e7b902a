// history-bench [--events N] [--targets T] [--dir DIR] [--query-rows N]
//
// Ingest benchmark: events/s into the production schema through HistoryWriter, against a bare batched
// insert (one prepared statement, BEGIN/COMMIT per 4,096 rows, same pragmas) into the same schema, and the
// bare insert into schema variants (to show what each index costs). Optionally builds a database of
// --query-rows rows and measures the latency of one target's newest 1,000 events while the writer ingests.
// Not a test: it prints numbers.
import CSQLite
import Foundation
import History

func runBench() throws {
    var arg_eventCount = 1_000_000
    var arg_targetCount = 1000
    var arg_directory = NSTemporaryDirectory() + "history-bench-\(getpid())"
    var arg_queryRows = 0
    var arg_rounds = 3
    var arg_batch = 4096
    var arg_checkpoint = 10_000
    var arg_variants = false
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--events": arg_eventCount = Int(arguments.popFirst() ?? "") ?? arg_eventCount
        case "--targets": arg_targetCount = Int(arguments.popFirst() ?? "") ?? arg_targetCount
        case "--dir": arg_directory = arguments.popFirst() ?? arg_directory
        case "--rounds": arg_rounds = Int(arguments.popFirst() ?? "") ?? 3
        case "--variants": arg_variants = true
        case "--batch": arg_batch = Int(arguments.popFirst() ?? "") ?? 4096
        case "--checkpoint": arg_checkpoint = Int(arguments.popFirst() ?? "") ?? 10_000
        case "--query-rows": arg_queryRows = Int(arguments.popFirst() ?? "") ?? 0
        default:
            print("usage: history-bench [--events N] [--targets T] [--dir DIR] [--query-rows N]")
            exit(2)
        }
    }
    let batch = arg_batch, checkpoint = arg_checkpoint
    let targetCount = arg_targetCount, queryRows = arg_queryRows, directory = arg_directory, eventCount = arg_eventCount
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

    /// Synthetic churn: each target has 4 subchannels; 1 in 5 events is a channel event.
    @Sendable func makeEvents(_ count: Int, startID: Int = 0, base: Int64) -> [HistoryEvent] {
        let states = HistoryEvent.State.allCases
        let reasons = ["connection refused", "GOAWAY", "health: NOT_SERVING", "resolver update", "connected"]
        return (0..<count).map { i in
            let n = startID + i
            let target = n % targetCount
            let channel = n % 5 == 0
            let sub = Int64(target * 4 + (n / targetCount) % 4)
            return HistoryEvent(time: base + Int64(n) * 10, target: "target-\(target)", scope: channel ? .channel : .subchannel,
                                subchannel: channel ? nil : sub, address: channel ? nil : "10.\(target / 256 % 256).\(target % 256).\(sub % 4 + 1):50051",
                                from: states[n % 5], to: states[(n + 1) % 5], reason: reasons[n % 5])
        }
    }

    func freshDatabase(_ name: String) throws -> String {
        let path = directory + "/" + name + ".db"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try Migrator().migrate(path: path)
        return path
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    let base = HistoryTime.micros(Date())
    let events = makeEvents(eventCount, base: base)

    /// Bare batched insert into `path`, after `ddl` adjusts the schema.
    func bare(_ label: String, ddl: String = "") throws -> Double {
        let path = try freshDatabase("bare-\(label)")
        let database = try Database(path: path, mode: .readWrite(create: false))
        _ = try database.pragma("journal_mode = WAL")
        try database.execute("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = \(checkpoint);")
        if !ddl.isEmpty { try database.execute(ddl) }
        let insert = try database.prepare("""
            INSERT INTO events (ts, target, scope, subchannel, address, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, persistent: true)
        let clock = ContinuousClock()
        let start = clock.now
        var index = 0
        while index < events.count {
            try database.execute("BEGIN IMMEDIATE")
            for event in events[index..<min(index + batch, events.count)] {
                insert.reset()
                try insert.bind(event.time, at: 1)
                try insert.bind(event.target, at: 2)
                try insert.bind(event.scope.staticText, at: 3)
                try insert.bind(event.subchannel, at: 4)
                try insert.bind(event.address, at: 5)
                try insert.bind(event.from.staticText, at: 6)
                try insert.bind(event.to.staticText, at: 7)
                try insert.bind(event.reason, at: 8)
                try insert.step()
            }
            try database.execute("COMMIT")
            index += batch
        }
        let rate = Double(events.count) / seconds(start.duration(to: clock.now))
        print(String(format: "bare insert  %-34@ %9.0f events/s", label as NSString, rate))
        return rate
    }

    func writer(threads: Int) throws -> Double {
        let path = try freshDatabase("writer-\(threads)")
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = batch
        configuration.walAutocheckpointPages = checkpoint
        let writer = try HistoryWriter(path: path, configuration: configuration)
        let clock = ContinuousClock()
        let start = clock.now
        let per = events.count / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for event in events[(t * per)..<((t + 1) * per)] { writer.append(event) }
        }
        while writer.snapshot.written < Int64(per * threads) { usleep(200) }
        let rate = Double(per * threads) / seconds(start.duration(to: clock.now))
        writer.close()
        let snapshot = writer.snapshot
        print(String(format: "HistoryWriter production schema, %d appender thread(s): %9.0f events/s (errors %lld, dropped %lld)",
                     threads, rate, snapshot.writeErrors, snapshot.dropped))
        return rate
    }

    print("events: \(eventCount), targets: \(targetCount), batch: \(batch), wal_autocheckpoint: \(checkpoint), dir: \(directory)")
    // Alternate the two measurements so machine noise hits both alike; report the medians.
    var bareRates: [Double] = []
    var writerRates: [Double] = []
    for _ in 0..<arg_rounds {
        bareRates.append(try bare("production schema"))
        writerRates.append(try writer(threads: 1))
    }
    let w4 = try writer(threads: 4)
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print(String(format: "median of %d rounds: bare %.0f events/s, HistoryWriter %.0f events/s, ratio %.2f; 4 appenders: %.0f events/s",
                 arg_rounds, median(bareRates), median(writerRates), median(writerRates) / median(bareRates), w4))
    if arg_variants {
        _ = try bare("no indexes", ddl: "DROP INDEX events_by_target; DROP INDEX events_by_subchannel;")
        _ = try bare("target index only", ddl: "DROP INDEX events_by_subchannel;")
        _ = try bare("production + index on ts", ddl: "CREATE INDEX e_ts ON events (ts);")
        _ = try bare("(target, ts) instead of (target)", ddl: "DROP INDEX events_by_target; CREATE INDEX e_tt ON events (target, ts);")
        _ = try bare("production, default 2 MiB cache", ddl: "PRAGMA cache_size = -2000;")
    }

    if queryRows > 0 {
        // A big database, then "one target's newest 1,000 events" while the writer ingests.
        let path = try freshDatabase("query")
        let writer = try HistoryWriter(path: path)
        var loaded = 0
        while loaded < queryRows {
            let chunk = min(500_000, queryRows - loaded)
            writer.append(contentsOf: makeEvents(chunk, startID: loaded, base: base))
            loaded += chunk
            while writer.snapshot.queueDepth > 100_000 { usleep(1000) }
        }
        while writer.snapshot.queueDepth > 0 { usleep(1000) }
        print("loaded \(queryRows) rows")
        let reader = try HistoryReader(path: path)
        let stop = ManagedAtomicFlag()
        let ingest = Thread {
            var n = queryRows
            while !stop.isSet {
                writer.append(contentsOf: makeEvents(2000, startID: n, base: base))
                n += 2000
                usleep(10_000)  // ~200k events/s offered
            }
        }
        ingest.start()
        let clock = ContinuousClock()
        var latencies: [Double] = []
        var latest: [Double] = []
        for i in 0..<500 {
            let target = "target-\(i * 7 % targetCount)"
            var t0 = clock.now
            _ = try reader.events(HistoryQuery(target: target, limit: 1000))
            latencies.append(seconds(t0.duration(to: clock.now)) * 1000)
            // The newest 1,000 of one target: since = a recent time.
            t0 = clock.now
            _ = try reader.events(HistoryQuery(target: target, since: base + Int64(queryRows - 1_000 * targetCount) * 10, limit: 1000))
            latest.append(seconds(t0.duration(to: clock.now)) * 1000)
        }
        // Time-only queries (no target): events_by_ts range plus a sort of the range for ORDER BY id.
        var narrow: [Double] = []
        var wide: [Double] = []
        for _ in 0..<20 {
            var t0 = clock.now
            _ = try reader.events(HistoryQuery(since: base + Int64(queryRows) * 10 * 99 / 100, limit: 1000))
            narrow.append(seconds(t0.duration(to: clock.now)) * 1000)
            t0 = clock.now
            _ = try reader.events(HistoryQuery(since: base + Int64(queryRows) * 10 / 2, limit: 1000))
            wide.append(seconds(t0.duration(to: clock.now)) * 1000)
        }
        stop.set()
        writer.close()
        func p(_ values: [Double], _ q: Double) -> Double { values.sorted()[min(values.count - 1, Int(Double(values.count) * q))] }
        print(String(format: "target first page (1000 rows): p50 %.2f ms, p99 %.2f ms", p(latencies, 0.5), p(latencies, 0.99)))
        print(String(format: "target newest ~1000 rows (since): p50 %.2f ms, p99 %.2f ms  (writer written %lld, errors %lld)",
                     p(latest, 0.5), p(latest, 0.99), writer.snapshot.written, writer.snapshot.writeErrors))
        print(String(format: "time-only, newest 1%% of rows: p50 %.2f ms, max %.2f ms; newest 50%%: p50 %.2f ms, max %.2f ms",
                     p(narrow, 0.5), narrow.max()!, p(wide, 0.5), wide.max()!))
    }


}

do { try runBench() } catch { print("history-bench: \(error)"); exit(1) }

final class ManagedAtomicFlag: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
