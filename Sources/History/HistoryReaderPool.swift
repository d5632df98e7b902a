import Synchronization

/// A fixed set of read-only history connections, lent out one caller at a time, never waited for.
///
/// One shared connection behind one lock let a single slow scan queue every other reader (and the HTTP thread
/// each one held). Here each reader has its own connection, so queries run side by side (WAL readers do not
/// block each other or the writer), and the number of readers is the cap on history work in flight: when
/// every reader is lent out, ``withReader(_:)`` answers nil at once and the caller refuses the request
/// (`503 overloaded`) instead of queueing it behind the others.
public final class HistoryReaderPool: Sendable {
    private let readers: [HistoryReader]
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
        self.free = Mutex(Array(readers.indices))
    }

    /// How many readers there are (the cap on concurrent history work).
    public var count: Int { readers.count }

    /// Readers not lent out right now.
    public var available: Int { free.withLock { $0.count } }

    /// Runs `body` with a reader of its own, or returns nil at once when every reader is busy.
    public func withReader<T>(_ body: (HistoryReader) throws(SQLiteError) -> T) throws(SQLiteError) -> T? {
        guard let index = free.withLock({ $0.popLast() }) else { return nil }
        defer { free.withLock { $0.append(index) } }
        return try body(readers[index])
    }
}
