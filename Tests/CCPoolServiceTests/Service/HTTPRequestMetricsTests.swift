import Dispatch
import MetricsExposition
import Testing

@testable import CCPoolService

/// Request counts and times recorded from many threads at once (each into its own part) add up exactly.
@Suite struct HTTPRequestMetricsTests {
    @Test func recordsFromManyThreadsAddUp() {
        let metrics = HTTPRequestMetrics()
        let threads = 6
        let perThread = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                let handler = i % 3 == 0 ? "/healthz" : "/metrics"
                metrics.record(handler: handler, status: i % 5 == 0 ? 404 : 200, seconds: 0.001 * Double(t + 1))
            }
        }
        let snapshot = metrics.snapshot
        // Per thread: i % 3 == 0 → /healthz (667 of 2,000); i % 5 == 0 → 404 (400 of 2,000; 134 of them /healthz).
        let counts = Dictionary(uniqueKeysWithValues: snapshot.requests.map { ("\($0.handler) \($0.code)", $0.count) })
        #expect(counts == [
            "/healthz 200": UInt64(threads * (667 - 134)), "/healthz 404": UInt64(threads * 134),
            "/metrics 200": UInt64(threads * (1_333 - 266)), "/metrics 404": UInt64(threads * 266),
        ])
        // Sorted by handler, then code.
        #expect(snapshot.requests.map(\.handler) == ["/healthz", "/healthz", "/metrics", "/metrics"])
        #expect(snapshot.requests.map(\.code) == [200, 404, 200, 404])
        let durations = Dictionary(uniqueKeysWithValues: snapshot.durations.map { ($0.handler, $0.histogram) })
        #expect(durations["/healthz"]?.count == UInt64(threads * 667))
        #expect(durations["/metrics"]?.count == UInt64(threads * 1_333))
        // Sum over threads t of 667 × 0.001 × (t + 1).
        let expectedSum = (1...threads).reduce(0.0) { $0 + 667 * 0.001 * Double($1) }
        #expect(abs((durations["/healthz"]?.sum ?? 0) - expectedSum) < 1e-6)
    }

    @Test func aSnapshotOfNothingIsEmpty() {
        let snapshot = HTTPRequestMetrics().snapshot
        #expect(snapshot.requests.isEmpty)
        #expect(snapshot.durations.isEmpty)
    }
}
