import Synchronization

/// A fixed set of read-only history connections, lent out one caller at a time, never waited for.
///
/// One shared connection behind one lock let a single slow scan queue every other reader (and the HTTP thread
/// each one held). Here each reader has its own connection, so queries run side by side (WAL readers do not
/// block each other or the writer), and the number of readers is the cap on history work in flight: when
/// every reader is lent out, ``withReader(_:)`` answers nil at once and the caller refuses the request
/// (`503 overloaded`) instead of queueing it behind the others. Each reader's work runs on a thread of its own
/// at lower CPU priority (``BackgroundThread``) while the borrowing HTTP thread sleeps, so scans never take the
/// CPU from probes and scrapes.
public final class HistoryReaderPool: Sendable {
    private let readers: [HistoryReader]
    private let threads: [BackgroundThread]
    /// Indexes of the readers not lent out.
    private let free: Mutex<[Int]>

    /// Opens `count` read-only connections to `path`; each statement may run at most `queryTimeout`.
    public init(
        path: String, count: Int, queryTimeout: Duration?, scanWindow: Int64? = nil, busyTimeout: Duration = .seconds(2)
    ) throws(SQLiteError) {
        precondition(count >= 1, "a reader pool needs at least one reader")
        var readers: [HistoryReader] = []
        for _ in 0..<count {
            readers.append(
                try HistoryReader(path: path, busyTimeout: busyTimeout, queryTimeout: queryTimeout, scanWindow: scanWindow))
        }
        self.readers = readers
        self.threads = readers.map { _ in BackgroundThread() }
        self.free = Mutex(Array(readers.indices))
    }

    deinit {
        for thread in threads { thread.stop() }
    }

    /// How many readers there are (the cap on concurrent history work).
    public var count: Int { readers.count }

    /// Readers not lent out right now.
    public var available: Int { free.withLock { $0.count } }

    /// Runs `body` with a reader of its own (on that reader's thread, the caller waiting), or returns nil at
    /// once when every reader is busy.
    public func withReader<T>(_ body: (HistoryReader) throws(SQLiteError) -> T) throws(SQLiteError) -> T? {
        guard let index = free.withLock({ $0.popLast() }) else { return nil }
        defer { free.withLock { $0.append(index) } }
        let reader = readers[index]
        return try threads[index].run { () throws(SQLiteError) -> T in try body(reader) }
    }
}
