/// Requests a replica made to the other replicas to answer for the whole pool
/// (`ccpool_peer_requests_total{peer, outcome}` and `ccpool_peer_request_duration_seconds{peer}`).
public struct PeerMetrics: Sendable, Hashable {
    /// How a request to a peer ended; a closed set, so the label never carries free error text.
    public enum Outcome: String, Sendable, CaseIterable, Hashable, Comparable {
        /// The peer answered (any HTTP status: its answer is relayed).
        case answered
        /// No answer before the deadline.
        case timeout
        /// The connection could not be made or broke before an answer.
        case unreachable
        /// Anything else (a malformed answer, a request that could not be built).
        case error

        public static func < (lhs: Outcome, rhs: Outcome) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public struct RequestCount: Sendable, Hashable {
        public var peer: String
        public var outcome: Outcome
        public var count: UInt64
        public init(peer: String, outcome: Outcome, count: UInt64) {
            self.peer = peer
            self.outcome = outcome
            self.count = count
        }
    }

    public struct Duration: Sendable, Hashable {
        public var peer: String
        public var histogram: HistogramSnapshot
        public init(peer: String, histogram: HistogramSnapshot) {
            self.peer = peer
            self.histogram = histogram
        }
    }

    /// In render order (by peer, then outcome).
    public var requests: [RequestCount]
    /// In render order (by peer).
    public var durations: [Duration]

    public init(requests: [RequestCount] = [], durations: [Duration] = []) {
        self.requests = requests
        self.durations = durations
    }
}
