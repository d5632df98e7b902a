/// The five connectivity states of a gRPC channel or subchannel, spelled as gRPC spells them.
///
/// `SHUTDOWN` is terminal. A change to the same state is not a transition: it is never recorded, counted or
/// delivered. The core, the history and the metrics all use this one type.
public enum ConnectivityState: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case idle = "IDLE"
    case connecting = "CONNECTING"
    case ready = "READY"
    case transientFailure = "TRANSIENT_FAILURE"
    case shutdown = "SHUTDOWN"

    public var description: String { self.rawValue }

    /// The position in ``allCases``, for dense per-state counters. The history stores it as the state's
    /// code, so the order of the cases never changes.
    public var index: Int {
        switch self {
        case .idle: 0
        case .connecting: 1
        case .ready: 2
        case .transientFailure: 3
        case .shutdown: 4
        }
    }
}

/// Whether a transition belongs to a channel (a ClientConn) or one of its subchannels (SubConns).
///
/// The two scopes have slightly different legal moves: only subchannels go TF → IDLE, at the end of their
/// connection backoff.
public enum TransitionScope: String, Sendable, Hashable, CaseIterable, Codable {
    case channel
    case subchannel
}
