import Vocabulary

/// Aggregates SubConn states into a channel state (docs/connection.md, "Balancers"; grpc-go's
/// `balancer.ConnectivityStateEvaluator`).
///
/// It counts SubConns per state and moves one count per recorded transition, so every
/// transition must be recorded exactly once, as a matched old → new pair: a dropped update
/// would leave a count wrong for the channel's life (the reason the SubConn-state buffer never
/// drops). A new SubConn is recorded as SHUTDOWN → IDLE, a removed one as old → SHUTDOWN;
/// SHUTDOWN itself is not counted.
public struct ConnectivityStateEvaluator: Sendable, Hashable {
    private var ready = 0
    private var connecting = 0
    private var idle = 0
    private var transientFailure = 0

    public init() {}

    /// Moves one SubConn from `old` to `new` and returns the aggregate.
    @discardableResult
    public mutating func recordTransition(from old: ConnectivityState, to new: ConnectivityState) -> ConnectivityState {
        adjust(old, by: -1)
        adjust(new, by: 1)
        return aggregate
    }

    /// READY if any is READY, else CONNECTING if any is, else IDLE if any is, else TF (also with
    /// no SubConns at all).
    public var aggregate: ConnectivityState {
        if ready > 0 { return .ready }
        if connecting > 0 { return .connecting }
        if idle > 0 { return .idle }
        return .transientFailure
    }

    public func count(_ state: ConnectivityState) -> Int {
        switch state {
        case .ready: return ready
        case .connecting: return connecting
        case .idle: return idle
        case .transientFailure: return transientFailure
        case .shutdown: return 0
        }
    }

    private mutating func adjust(_ state: ConnectivityState, by delta: Int) {
        switch state {
        case .ready: ready += delta
        case .connecting: connecting += delta
        case .idle: idle += delta
        case .transientFailure: transientFailure += delta
        case .shutdown: return
        }
        assert(ready >= 0 && connecting >= 0 && idle >= 0 && transientFailure >= 0, "unmatched transition into the evaluator")
    }
}
