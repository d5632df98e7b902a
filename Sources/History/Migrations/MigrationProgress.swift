import CSQLite
import Foundation

/// How far a migration has got: rows it has written so far against the rows it has to rewrite.
///
/// `rowsTotal` is the number of rows in `events` when the migration started (the table a rewrite copies);
/// `rowsDone` counts every row the migration inserts or updates (SQLite's update hook), so it can pass
/// `rowsTotal` by the handful of rows of small side tables. Index builds write no rows: `rowsDone` then
/// stays put until the migration's final report.
public struct MigrationProgress: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var rowsDone: Int64
    public var rowsTotal: Int64
    /// Time since this migration started.
    public var elapsed: Duration
    /// True for the one report sent when the migration has committed.
    public var finished: Bool

    public init(version: Int, name: String, rowsDone: Int64, rowsTotal: Int64, elapsed: Duration, finished: Bool) {
        self.version = version
        self.name = name
        self.rowsDone = rowsDone
        self.rowsTotal = rowsTotal
        self.elapsed = elapsed
        self.finished = finished
    }

    var seconds: Double {
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Rows written per second so far (0 before the first row).
    public var rowsPerSecond: Double { seconds > 0 ? Double(rowsDone) / seconds : 0 }

    /// Estimated time left at the current rate; nil until there is a rate, 0 once every row is written.
    public var estimatedSecondsLeft: Double? {
        if finished || rowsDone >= rowsTotal { return 0 }
        let rate = rowsPerSecond
        return rate > 0 ? Double(rowsTotal - rowsDone) / rate : nil
    }

    /// "0002_interned_targets: 1,200,000 / 5,000,000 rows (24%), 410,000 rows/s, about 9 s left".
    public var summary: String {
        let label = Migration.label(version: version, name: name)
        if finished {
            return "\(label): done, \(Self.grouped(rowsDone)) rows in \(String(format: "%.1f", seconds)) s (\(Self.grouped(Int64(rowsPerSecond))) rows/s)"
        }
        let percent = rowsTotal > 0 ? min(100, Int(Double(rowsDone) * 100 / Double(rowsTotal))) : 100
        let left = estimatedSecondsLeft.map { $0 == 0 ? "finishing (indexes)" : "about \(Self.duration($0)) left" } ?? "estimating"
        return "\(label): \(Self.grouped(rowsDone)) / \(Self.grouped(rowsTotal)) rows (\(percent)%), \(Self.grouped(Int64(rowsPerSecond))) rows/s, \(left)"
    }

    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (value < 0 ? "-" : "") + out
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}

/// Counts the rows a migration writes on one connection and hands a ``MigrationProgress`` to `report` at most
/// once per `interval` (checked every 4,096 rows, so the hook costs next to nothing per row).
///
/// SQLite calls the update hook synchronously, on the thread running the migration's statement, so the
/// counter is only ever touched by that thread while the hook is installed.
final class MigrationRowCounter {
    private let report: (MigrationProgress) -> Void
    private let interval: Duration
    private var progress: MigrationProgress
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastReport: ContinuousClock.Instant

    init(migration: Migration, rowsTotal: Int64, interval: Duration, report: @escaping (MigrationProgress) -> Void) {
        self.report = report
        self.interval = interval
        self.progress = MigrationProgress(
            version: migration.version, name: migration.name, rowsDone: 0, rowsTotal: rowsTotal, elapsed: .zero, finished: false)
        self.start = clock.now
        self.lastReport = start
    }

    func row() {
        progress.rowsDone += 1
        guard progress.rowsDone & 4095 == 0 else { return }
        let now = clock.now
        guard now - lastReport >= interval else { return }
        lastReport = now
        progress.elapsed = now - start
        report(progress)
    }

    func finish() {
        progress.elapsed = clock.now - start
        progress.finished = true
        report(progress)
    }

    /// Runs `body` with the update hook counting rows on `database`, and removes the hook afterwards.
    func counting<T>(on database: Database, _ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        let context = Unmanaged.passRetained(self)
        sqlite3_update_hook(database.handle, { context, _, _, _, _ in
            guard let context else { return }
            Unmanaged<MigrationRowCounter>.fromOpaque(context).takeUnretainedValue().row()
        }, context.toOpaque())
        defer {
            sqlite3_update_hook(database.handle, nil, nil)
            context.release()
        }
        return try body()
    }
}
