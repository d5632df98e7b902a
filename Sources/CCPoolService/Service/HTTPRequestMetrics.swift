import Foundation
import MetricsExposition
import Synchronization

/// Counts answered requests by handler and status code, and times them (`ccpool_http_*`).
public final class HTTPRequestMetrics: Sendable {
    private struct State {
        var counts: [String: [Int: UInt64]] = [:]
        var durations: [String: HistogramSnapshot] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    func record(handler: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.counts[handler, default: [:]][status, default: 0] += 1
            state.durations[handler, default: HistogramSnapshot(bounds: HistogramSnapshot.httpBounds)].observe(seconds)
        }
    }

    var snapshot: HTTPMetrics {
        // Copied under the lock (the dictionaries are copy-on-write: a few retains), sorted outside it: every
        // request records here, so the lock is held as briefly as possible (a contended Mutex sleeps in the
        // kernel on Linux).
        let state = state.withLock { $0 }
        var requests: [HTTPMetrics.RequestCount] = []
        for handler in state.counts.keys.sorted() {
            for (code, count) in state.counts[handler]!.sorted(by: { $0.key < $1.key }) {
                requests.append(.init(handler: handler, code: code, count: count))
            }
        }
        let durations = state.durations.keys.sorted().map { HTTPMetrics.Duration(handler: $0, histogram: state.durations[$0]!) }
        return HTTPMetrics(requests: requests, durations: durations)
    }
}
