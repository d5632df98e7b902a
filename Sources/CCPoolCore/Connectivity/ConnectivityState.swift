/// The five connectivity states of a gRPC channel or subchannel, spelled as gRPC spells them.
///
/// `SHUTDOWN` is terminal. A change to the same state is not a transition: it is never recorded,
/// counted or delivered (see ``TransitionRules``).
public enum ConnectivityState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case idle = "IDLE"
    case connecting = "CONNECTING"
    case ready = "READY"
    case transientFailure = "TRANSIENT_FAILURE"
    case shutdown = "SHUTDOWN"

    public var description: String { self.rawValue }
}

/// Whether a transition belongs to a channel (a ClientConn) or one of its subchannels (SubConns).
///
/// The two scopes have slightly different legal moves: only subchannels go TF → IDLE, at the end of
/// their connection backoff.
public enum TransitionScope: String, Sendable, Hashable, CaseIterable {
    case channel
    case subchannel
}
