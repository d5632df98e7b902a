import CSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A time limit for the statements of one connection, enforced with SQLite's progress handler.
///
/// A query over a large history can run for seconds while it holds an HTTP thread; with a deadline the
/// statement stops with `SQLITE_INTERRUPT` (``SQLiteError/isInterrupted``) once it has run too long, wherever
/// the planner spends its time. The handler reads the monotonic clock every `checkEvery` virtual-machine steps
/// (about a microsecond of work each), so the overrun past the deadline is tiny.
///
/// **Owns** the handler registration of its connection: it holds the `Database` strongly and removes the
/// handler when it is deallocated, so SQLite never calls into a freed object. Same threading rule as the
/// connection: one thread at a time (the owner's lock).
final class QueryDeadline {
    private let database: Database
    /// `CLOCK_MONOTONIC` nanoseconds after which statements stop; 0 means no deadline.
    fileprivate var deadlineNanos: UInt64 = 0

    init(database: Database, checkEvery: Int32 = 1000) {
        self.database = database
        sqlite3_progress_handler(database.handle, checkEvery, queryDeadlineCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        sqlite3_progress_handler(database.handle, 0, nil, nil)
    }

    /// Limits the statements run from now on to `limit` (nil: no limit), until ``end()``.
    func begin(_ limit: Duration?) {
        guard let limit else { return }
        let nanos = UInt64(max(0, limit.components.seconds)) * 1_000_000_000
            + UInt64(max(0, limit.components.attoseconds / 1_000_000_000))
        deadlineNanos = Self.now() &+ max(1, nanos)
    }

    /// Removes the limit.
    func end() {
        deadlineNanos = 0
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// SQLite's progress callback: non-zero interrupts the running statement.
private let queryDeadlineCallback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { context in
    guard let context else { return 0 }
    let deadline = Unmanaged<QueryDeadline>.fromOpaque(context).takeUnretainedValue().deadlineNanos
    return deadline != 0 && QueryDeadline.now() > deadline ? 1 : 0
}
