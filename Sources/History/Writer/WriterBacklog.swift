/// Events the history writer dropped because its buffer was full while the database refused writes: one
/// `history_gaps` row, written by the first transaction that succeeds again.
struct HistoryGap: Sendable, Hashable {
    /// The last id committed before the drops; nil when nothing had been committed yet.
    var afterID: Int64?
    var fromTime: Int64
    var toTime: Int64
    var count: Int64
}

/// The events the writer thread holds, taken from the queue and not yet committed or dropped, and the gap
/// left by any it had to drop.
///
/// The oldest events go first when more than the cap are held: losing the oldest keeps the newest state of
/// every target, and the gap row says exactly which time range lost how many events.
struct WriterBacklog {
    private var events: [HistoryEvent] = []
    /// Index of the oldest event still held; events before it are committed or dropped.
    private var head = 0
    private(set) var gap: HistoryGap?

    var count: Int { events.count - head }
    var isEmpty: Bool { head == events.count }

    /// Moves everything in `queue` to the backlog (leaving it empty), then drops the oldest held events past
    /// `cap`, adding them to ``gap``. Returns how many it dropped.
    mutating func absorb(_ queue: inout [HistoryEvent], cap: Int, lastCommittedID: Int64) -> Int {
        if isEmpty {
            events.removeAll(keepingCapacity: true)
            head = 0
            swap(&events, &queue)
        } else {
            // Reclaim the committed prefix once it is most of the array.
            if head > 65_536 && head * 2 > events.count {
                events.removeFirst(head)
                head = 0
            }
            events.append(contentsOf: queue)
            queue.removeAll(keepingCapacity: true)
        }
        let excess = count - cap
        guard excess > 0 else { return 0 }
        let dropped = events[head..<(head + excess)]
        let from = dropped.lazy.map(\.time).min()!
        let to = dropped.lazy.map(\.time).max()!
        var gap = self.gap
            ?? HistoryGap(afterID: lastCommittedID == 0 ? nil : lastCommittedID, fromTime: from, toTime: to, count: 0)
        gap.fromTime = min(gap.fromTime, from)
        gap.toTime = max(gap.toTime, to)
        gap.count += Int64(excess)
        self.gap = gap
        head += excess
        return excess
    }

    /// The oldest events held, at most `size`: the next batch to commit.
    func nextBatch(size: Int) -> ArraySlice<HistoryEvent> {
        events[head..<min(head + size, events.count)]
    }

    /// The first `count` held events (and the gap) are committed.
    mutating func committed(_ count: Int) {
        head += count
        gap = nil
    }

    /// Gives up on everything held; returns how many events that was.
    mutating func dropAll() -> Int {
        let dropped = count
        head = events.count
        return dropped
    }
}
