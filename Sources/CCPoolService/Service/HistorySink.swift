import ChannelPool
import History

/// Sends the pool's transitions to the SQLite history writer (which never blocks: it queues).
struct HistorySink: TransitionSink {
    let writer: HistoryWriter

    func record(_ transition: TransitionRecord) {
        _ = writer.append(HistoryEvent(
            date: transition.time, target: transition.target, scope: transition.scope,
            subchannel: transition.subchannel?.rawValue, address: transition.address,
            from: transition.from, to: transition.to,
            // A reason may quote a remote server (health message, GOAWAY data): stored without control
            // characters and cut to a bounded length.
            reason: ReasonText.sanitized(transition.reason)))
    }
}
