import CCPoolCore
import History

/// Sends the pool's transitions to the SQLite history writer (which never blocks: it queues).
struct HistorySink: TransitionSink {
    let writer: HistoryWriter

    func record(_ transition: TransitionRecord) {
        _ = writer.append(HistoryEvent(
            date: transition.time, target: transition.target,
            scope: transition.scope == .channel ? .channel : .subchannel,
            subchannel: transition.subchannel?.rawValue, address: transition.address,
            from: HistoryEvent.State(rawValue: transition.from.rawValue)!,
            to: HistoryEvent.State(rawValue: transition.to.rawValue)!,
            // A reason may quote a remote server (health message, GOAWAY data): stored without control
            // characters and cut to a bounded length.
            reason: ReasonText.sanitized(transition.reason)))
    }
}
