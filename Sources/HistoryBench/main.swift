// history-bench [--events N] [--targets T] [--rounds R] [--variants] [--query-rows N [--offered E] [--queries Q]]
//
// Ingest benchmark: events/s into the production schema through HistoryWriter, against a bare batched
// insert (one prepared statement, BEGIN/COMMIT per --batch rows as the writer's batchSize, same pragmas) into the same schema, and the
// bare insert into schema variants (to show what each index costs). Optionally builds a database of
// --query-rows rows (bulk path, see queryBench) and measures the latency of one target's newest 1,000 events
// (and the other query shapes) while HistoryWriter ingests at --offered events/s.
// Not a test: it prints numbers, plus one `BENCH {json}` line per figure for bench/parts/30-history.sh.
// Every database it creates lives under --dir (a temporary directory by default), removed at exit.
import Vocabulary
import CSQLite
import Foundation
import History

func runBench() throws {
    var arg_eventCount = 1_000_000
    var arg_targetCount = 1000
    var arg_directory = NSTemporaryDirectory() + "history-bench-\(getpid())"
    var arg_queryRows = 0
    var arg_rounds = 3
    var arg_batch = 16_384
    var arg_checkpoint = 10_000
    var arg_variants = false
    var arg_offered = 150_000
    var arg_queries = 300
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--events": arg_eventCount = Int(arguments.popFirst() ?? "") ?? arg_eventCount
        case "--targets": arg_targetCount = Int(arguments.popFirst() ?? "") ?? arg_targetCount
        case "--dir": arg_directory = arguments.popFirst() ?? arg_directory
        case "--rounds": arg_rounds = Int(arguments.popFirst() ?? "") ?? 3
        case "--variants": arg_variants = true
        case "--batch": arg_batch = Int(arguments.popFirst() ?? "") ?? arg_batch
        case "--checkpoint": arg_checkpoint = Int(arguments.popFirst() ?? "") ?? 10_000
        case "--query-rows": arg_queryRows = Int(arguments.popFirst() ?? "") ?? 0
        case "--offered": arg_offered = Int(arguments.popFirst() ?? "") ?? arg_offered
        case "--queries": arg_queries = Int(arguments.popFirst() ?? "") ?? arg_queries
        default:
            print("usage: history-bench [--events N] [--targets T] [--rounds R] [--batch B] [--checkpoint PAGES] [--variants] [--dir DIR] [--query-rows N [--offered EVENTS_PER_S] [--queries Q]]")
            exit(2)
        }
    }
    let batch = arg_batch, checkpoint = arg_checkpoint
    let targetCount = arg_targetCount, queryRows = arg_queryRows, directory = arg_directory, eventCount = arg_eventCount
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    /// Synthetic churn: each target has 4 subchannels; 1 in 5 of its events is a channel event.
    @Sendable func makeEvents(_ count: Int, startID: Int = 0, base: Int64) -> [HistoryEvent] {
        let states = ConnectivityState.allCases
        let reasons = ["connection refused", "GOAWAY", "health: NOT_SERVING", "resolver update", "connected"]
        return (0..<count).map { i in
            let n = startID + i
            let target = n % targetCount
            let channel = (n / targetCount) % 5 == 0  // every target has channel and subchannel events
            let sub = Int64(target * 4 + (n / targetCount) % 4)
            return HistoryEvent(time: base + Int64(n) * 10, target: "target-\(target)", scope: channel ? .channel : .subchannel,
                                subchannel: channel ? nil : sub, address: channel ? nil : "10.\(target / 256 % 256).\(target % 256).\(sub % 4 + 1):50051",
                                from: states[n % 5], to: states[(n + 1) % 5], reason: reasons[n % 5])
        }
    }

    func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func freshDatabase(_ name: String) throws -> String {
        let path = directory + "/" + name + ".db"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try Migrator().migrate(path: path)
        return path
    }

    /// Total microseconds some task waited for a CPU (`/proc/pressure/cpu`, "some ... total="); nil without PSI.
    func cpuPressureMicros() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/pressure/cpu", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("some") }),
              let total = line.split(separator: " ").first(where: { $0.hasPrefix("total=") }) else { return nil }
        return Int64(total.dropFirst("total=".count))
    }

    /// CPU time of this process (user + system, all threads): on a shared machine it shows work apart from waiting.
    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    @Sendable func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    let base = HistoryTime.micros(Date())
    let events = arg_rounds > 0 || arg_variants ? makeEvents(eventCount, base: base) : []

    /// Bare batched insert into `path`, after `ddl` adjusts the schema: the simplest correct load of the same
    /// schema — one prepared INSERT per event, BEGIN/COMMIT per `batch` rows, same pragmas as the writer;
    /// target names interned through a dictionary (INSERT on first sight) and each (subchannel, target) pair
    /// inserted once (INSERT OR IGNORE), which is what the schema needs for every query to answer. No
    /// event_batches rows, no counters, no queue: what HistoryWriter does beyond this is its overhead.
    func bare(_ label: String, ddl: String = "", quiet: Bool = false) throws -> Double {
        let path = try freshDatabase("bare-\(label.filter { $0.isLetter || $0.isNumber })")
        defer { removeDatabase(path) }
        let database = try Database(path: path, mode: .readWrite(create: false))
        _ = try database.pragma("journal_mode = WAL")
        try database.execute("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = \(checkpoint);")
        if !ddl.isEmpty { try database.execute(ddl) }
        let insert = try database.prepare("""
            INSERT INTO events (ts, target_id, scope, subchannel, address, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, persistent: true)
        let insertTarget = try database.prepare("INSERT INTO history_targets (name) VALUES (?)", persistent: true)
        let insertPair = try database.prepare(
            "INSERT OR IGNORE INTO history_subchannels (subchannel, target_id, last_id) VALUES (?, ?, ?)", persistent: true)
        var targetIDs: [String: Int64] = [:]
        struct Pair: Hashable { var subchannel: Int64; var target: Int64 }
        var pairs: Set<Pair> = []
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = cpuSeconds()
        var index = 0
        while index < events.count {
            try database.execute("BEGIN IMMEDIATE")
            for event in events[index..<min(index + batch, events.count)] {
                var targetID = targetIDs[event.target] ?? 0
                if targetID == 0 {
                    insertTarget.reset()
                    try insertTarget.bind(event.target, at: 1)
                    try insertTarget.step()
                    targetID = database.lastInsertRowID
                    targetIDs[event.target] = targetID
                }
                insert.reset()
                try insert.bind(event.time, at: 1)
                try insert.bind(targetID, at: 2)
                try insert.bind(event.scope.code, at: 3)
                try insert.bind(event.subchannel, at: 4)
                try insert.bind(event.address, at: 5)
                try insert.bind(event.from.code, at: 6)
                try insert.bind(event.to.code, at: 7)
                try insert.bind(event.reason, at: 8)
                try insert.step()
                if let subchannel = event.subchannel, pairs.insert(Pair(subchannel: subchannel, target: targetID)).inserted {
                    insertPair.reset()
                    try insertPair.bind(subchannel, at: 1)
                    try insertPair.bind(targetID, at: 2)
                    try insertPair.bind(database.lastInsertRowID, at: 3)
                    try insertPair.step()
                }
            }
            try database.execute("COMMIT")
            index += batch
        }
        let rate = Double(events.count) / seconds(start.duration(to: clock.now))
        if !quiet { print(String(format: "bare insert  %-44@ %9.0f events/s (CPU %.2f s)", label as NSString, rate, cpuSeconds() - cpuStart)) }
        return rate
    }

    func writer(threads: Int, quiet: Bool = false) throws -> Double {
        let path = try freshDatabase("writer-\(threads)")
        defer { removeDatabase(path) }
        var configuration = HistoryWriter.Configuration()
        configuration.batchSize = batch
        configuration.walAutocheckpointPages = checkpoint
        let writer = try HistoryWriter(path: path, configuration: configuration)
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = cpuSeconds()
        let per = events.count / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for event in events[(t * per)..<((t + 1) * per)] { writer.append(event) }
        }
        let appended = seconds(start.duration(to: clock.now))
        while writer.snapshot.written < Int64(per * threads) { usleep(200) }
        let rate = Double(per * threads) / seconds(start.duration(to: clock.now))
        let cpu = cpuSeconds() - cpuStart
        writer.close()
        let snapshot = writer.snapshot
        if !quiet {
            print(String(format: "HistoryWriter production schema, %d appender thread(s): %9.0f events/s (errors %lld, dropped %lld; appends took %.2f s, CPU %.2f s)",
                         threads, rate, snapshot.writeErrors, snapshot.dropped, appended, cpu))
        }
        return rate
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    /// One machine-readable line per figure: `BENCH {json}` (bench/parts/30-history.sh reads them).
    func result(_ fields: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print("BENCH " + String(decoding: data, as: UTF8.self))
    }

    print("events: \(eventCount), targets: \(targetCount), batch: \(batch), wal_autocheckpoint: \(checkpoint), dir: \(directory)")
    if arg_rounds > 0 {
        // Alternate the two measurements so machine noise hits both alike; report the medians.
        var bareRates: [Double] = []
        var writerRates: [Double] = []
        for _ in 0..<arg_rounds {
            bareRates.append(try bare("production schema"))
            writerRates.append(try writer(threads: 1))
        }
        let w4 = try writer(threads: 4)
        print(String(format: "median of %d rounds: bare %.0f events/s, HistoryWriter %.0f events/s, ratio %.2f; 4 appenders: %.0f events/s",
                     arg_rounds, median(bareRates), median(writerRates), median(writerRates) / median(bareRates), w4))
        result(["figure": "ingest", "events": eventCount, "targets": targetCount, "rounds": arg_rounds,
                "writer_eps": median(writerRates), "bare_eps": median(bareRates),
                "ratio": median(writerRates) / median(bareRates), "writer_4_appenders_eps": w4,
                "writer_rounds": writerRates, "bare_rounds": bareRates])
    }
    if arg_variants {
        // What each schema choice costs, bare inserts in the same run (migration 0002's comment cites these).
        _ = try bare("production (events_by_target)")
        _ = try bare("no index", ddl: "DROP INDEX events_by_target;")
        _ = try bare("+ (subchannel) index as in 0001", ddl: "CREATE INDEX e_s ON events (subchannel) WHERE subchannel IS NOT NULL;")
        _ = try bare("(target_id, ts) instead of (target_id)", ddl: "DROP INDEX events_by_target; CREATE INDEX e_tt ON events (target_id, ts);")
        _ = try bare("+ index on ts", ddl: "CREATE INDEX e_ts ON events (ts);")
        _ = try bare("production, default 2 MiB cache", ddl: "PRAGMA cache_size = -2000;")
    }

    /// A `queryRows`-row database built by a bulk path, then "one target's newest 1,000 events" (the
    /// dashboard's query) and the API's target query while HistoryWriter ingests at a fixed offered rate.
    ///
    /// Bulk path: the migrated schema with `events_by_target` dropped, rows inserted in 100k-row
    /// transactions with `synchronous = OFF`, one `event_batches` row per 4,096 rows (as the writer would
    /// record), `history_subchannels` from one GROUP BY, then the index re-created (one sorted build). The
    /// result is the same schema and content the writer would have produced, ~10x faster to build.
    func queryBench() throws {
        let path = directory + "/query.db"
        defer { removeDatabase(path) }
        let clock = ContinuousClock()
        let buildStart = clock.now
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try Migrator().migrate(path: path)
        do {
            let database = try Database(path: path, mode: .readWrite(create: false))
            try database.execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; DROP INDEX events_by_target;")
            try database.execute("BEGIN")
            let insertTarget = try database.prepare("INSERT INTO history_targets (id, name) VALUES (?, ?)")
            for target in 0..<targetCount {
                insertTarget.reset()
                try insertTarget.bind(Int64(target + 1), at: 1)
                try insertTarget.bind("target-\(target)", at: 2)
                try insertTarget.step()
            }
            try database.execute("COMMIT")
            let insert = try database.prepare("""
                INSERT INTO events (id, ts, target_id, scope, subchannel, address, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, persistent: true)
            let insertBatch = try database.prepare("INSERT INTO event_batches (first_id, last_id, max_ts) VALUES (?, ?, ?)", persistent: true)
            let reasons = ["connection refused", "GOAWAY", "health: NOT_SERVING", "resolver update", "connected"]
            var n = 0
            while n < queryRows {
                try database.execute("BEGIN")
                let end = min(n + 100_000, queryRows)
                while n < end {
                    let target = n % targetCount
                    let channel = (n / targetCount) % 5 == 0  // every target has channel and subchannel events
                    let sub = Int64(target * 4 + (n / targetCount) % 4)
                    insert.reset()
                    try insert.bind(Int64(n + 1), at: 1)
                    try insert.bind(base + Int64(n) * 10, at: 2)
                    try insert.bind(Int64(target + 1), at: 3)
                    try insert.bind(channel ? Int64(0) : 1, at: 4)
                    try insert.bind(channel ? nil : sub, at: 5)
                    try insert.bind(channel ? nil : "10.\(target / 256 % 256).\(target % 256).\(sub % 4 + 1):50051", at: 6)
                    try insert.bind(Int64(n % 5), at: 7)
                    try insert.bind(Int64((n + 1) % 5), at: 8)
                    try insert.bind(reasons[n % 5], at: 9)
                    try insert.step()
                    n += 1
                    if n % 4096 == 0 || n == queryRows {
                        insertBatch.reset()
                        try insertBatch.bind(Int64((n - 1) / 4096 * 4096 + 1), at: 1)
                        try insertBatch.bind(Int64(n), at: 2)
                        try insertBatch.bind(base + Int64(n - 1) * 10, at: 3)
                        try insertBatch.step()
                    }
                }
                try database.execute("COMMIT")
            }
            try database.execute("""
                INSERT INTO history_subchannels (subchannel, target_id, last_id)
                    SELECT subchannel, target_id, max(id) FROM events WHERE subchannel IS NOT NULL GROUP BY subchannel, target_id;
                CREATE INDEX events_by_target ON events (target_id);
                PRAGMA wal_checkpoint(TRUNCATE);
                """)
            try database.close()
        }
        let buildSeconds = seconds(buildStart.duration(to: clock.now))
        print(String(format: "built %d rows by the bulk path in %.1f s", queryRows, buildSeconds))

        // Pre-generated ingest chunks (generation would otherwise compete with the queries for the CPU).
        let offered = arg_offered
        let chunk = max(1, offered / 100)  // one chunk every 10 ms
        let chunks = (0..<20).map { makeEvents(chunk, startID: queryRows + $0 * chunk, base: base) }
        let writer = try HistoryWriter(path: path)
        let reader = try HistoryReader(path: path)
        let stop = ManagedAtomicFlag()
        let ingest = Thread {
            let clock = ContinuousClock()
            var next = clock.now
            var i = 0
            while !stop.isSet {
                writer.append(contentsOf: chunks[i % chunks.count])
                i += 1
                next = next + .milliseconds(10)
                let now = clock.now
                if next > now { usleep(UInt32(seconds(now.duration(to: next)) * 1e6)) } else { next = now }
            }
        }
        let writtenBefore = writer.snapshot.written
        let pressureBefore = cpuPressureMicros()
        let ingestStart = clock.now
        ingest.start()
        var newest: [Double] = []
        var firstPage: [Double] = []
        var sincePage: [Double] = []
        var subchannelPage: [Double] = []
        var availabilityTimes: [Double] = []
        let perTarget = queryRows / targetCount
        for i in 0..<arg_queries {
            let targetNumber = i * 7 % targetCount
            let target = "target-\(targetNumber)"
            var t0 = clock.now
            let latest = try reader.newestEvents(target: target, limit: 1000)
            newest.append(seconds(t0.duration(to: clock.now)) * 1000)
            precondition(latest.count == 1000, "newest: \(latest.count) rows")
            t0 = clock.now
            _ = try reader.events(HistoryQuery(target: target, limit: 1000))
            firstPage.append(seconds(t0.duration(to: clock.now)) * 1000)
            // The API form of "newest ~1,000": since = the time of the target's 1,000th newest event.
            t0 = clock.now
            _ = try reader.events(HistoryQuery(target: target, since: base + Int64(queryRows - 1_000 * targetCount) * 10, limit: 1000))
            sincePage.append(seconds(t0.duration(to: clock.now)) * 1000)
            // The slower shapes, sampled less often so the ingest backlog stays small.
            guard i % 5 == 0 else { continue }
            t0 = clock.now
            let subchannelRows = try reader.events(HistoryQuery(subchannel: Int64(targetNumber * 4 + i % 4), limit: 1000)).events.count
            precondition(subchannelRows > 0, "subchannel: \(subchannelRows) rows")
            subchannelPage.append(seconds(t0.duration(to: clock.now)) * 1000)
            t0 = clock.now
            _ = try reader.availability(target: target, window: .seconds(Int64(perTarget / 100)), now: base + Int64(queryRows) * 10)
            availabilityTimes.append(seconds(t0.duration(to: clock.now)) * 1000)
        }
        stop.set()
        while !ingest.isFinished { usleep(1000) }
        let ingestSeconds = seconds(ingestStart.duration(to: clock.now))
        // Share of the phase during which some runnable task of the machine waited for a CPU (Linux PSI,
        // /proc/pressure/cpu "some"): on a shared machine it tells a slow p99 of the code from a busy machine.
        let pressure = pressureBefore.flatMap { before in cpuPressureMicros().map { Double($0 - before) / 1e6 / ingestSeconds * 100 } }
        writer.close()
        let written = writer.snapshot.written - writtenBefore
        func p(_ values: [Double], _ q: Double) -> Double { values.sorted()[min(values.count - 1, Int(Double(values.count) * q))] }
        func line(_ name: String, _ values: [Double]) {
            print(String(format: "%-44@ p50 %6.2f ms, p99 %6.2f ms, max %6.2f ms", name as NSString, p(values, 0.5), p(values, 0.99), values.max()!))
        }
        line("target newest 1000 (newestEvents)", newest)
        line("target first page of 1000 (events)", firstPage)
        line("target newest ~1000 (events, since)", sincePage)
        line("subchannel-only first page of 1000", subchannelPage)
        line("availability (1% of the time range)", availabilityTimes)
        let achieved = Double(written) / ingestSeconds
        print(String(format: "while ingesting: offered %d events/s, committed %.0f events/s (errors %lld); CPU pressure (some) %.0f%% of the time",
                     offered, achieved, writer.snapshot.writeErrors, pressure ?? -1))
        result(["figure": "query", "rows": queryRows, "targets": targetCount, "queries": arg_queries,
                "newest_p50_ms": p(newest, 0.5), "newest_p99_ms": p(newest, 0.99),
                "since_p50_ms": p(sincePage, 0.5), "since_p99_ms": p(sincePage, 0.99),
                "first_page_p99_ms": p(firstPage, 0.99), "subchannel_p99_ms": p(subchannelPage, 0.99),
                "availability_p99_ms": p(availabilityTimes, 0.99),
                "offered_eps": offered, "ingest_eps": achieved, "build_seconds": buildSeconds,
                "cpu_pressure_pct": pressure ?? -1])
    }

    if queryRows > 0 { try queryBench() }
}

do { try runBench() } catch { print("history-bench: \(error)"); exit(1) }

final class ManagedAtomicFlag: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
