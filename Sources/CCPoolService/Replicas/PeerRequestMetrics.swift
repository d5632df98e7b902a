import MetricsExposition
import Synchronization

/// Counts and times the requests this replica makes to its peers (`ccpool_peer_*`).
///
/// Peer requests are a few per forwarded or fanned-out request, far fewer than HTTP requests, so one
/// lock is enough; the lock is held only to add one observation or to copy the counts.
public final class PeerRequestMetrics: Sendable {
    private struct Counts {
        var requests: [String: [PeerMetrics.Outcome: UInt64]] = [:]
        var durations: [String: HistogramSnapshot] = [:]
    }

    private let counts = Mutex(Counts())

    public init() {}

    func record(peer: String, outcome: PeerMetrics.Outcome, seconds: Double) {
        counts.withLock { counts in
            counts.requests[peer, default: [:]][outcome, default: 0] += 1
            counts.durations[peer, default: HistogramSnapshot(bounds: HistogramSnapshot.httpBounds)].observe(seconds)
        }
    }

    public var snapshot: PeerMetrics {
        let copy = counts.withLock { $0 }
        var requests: [PeerMetrics.RequestCount] = []
        for peer in copy.requests.keys.sorted() {
            for (outcome, count) in copy.requests[peer]!.sorted(by: { $0.key < $1.key }) {
                requests.append(.init(peer: peer, outcome: outcome, count: count))
            }
        }
        let durations = copy.durations.keys.sorted().map { PeerMetrics.Duration(peer: $0, histogram: copy.durations[$0]!) }
        return PeerMetrics(requests: requests, durations: durations)
    }
}
