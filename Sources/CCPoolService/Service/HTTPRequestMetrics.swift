import Foundation
import MetricsExposition
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Counts answered requests by handler and status code, and times them (`ccpool_http_*`).
///
/// Every request records here, from every HTTP thread at once. With one lock the threads queued on it: a
/// contended `Mutex` sleeps in the kernel on Linux, and at 100,000 requests a second that was half of a
/// `/healthz` answer's cost. So each thread records into a part of its own (found through a thread-specific
/// key), whose lock only a snapshot ever contends for; a snapshot adds the parts up.
public final class HTTPRequestMetrics: Sendable {
    private struct Counts {
        var requests: [String: [Int: UInt64]] = [:]
        var durations: [String: HistogramSnapshot] = [:]

        mutating func add(_ other: Counts) {
            for (handler, codes) in other.requests {
                requests[handler, default: [:]].merge(codes, uniquingKeysWith: +)
            }
            for (handler, histogram) in other.durations {
                durations[handler, default: HistogramSnapshot(bounds: histogram.bounds)].add(histogram)
            }
        }
    }

    /// One thread's counts.
    private final class Part: Sendable {
        let counts = Mutex(Counts())
    }

    private let parts = Mutex<[Part]>([])
    /// Each thread's part; the value is unretained (`parts` keeps the part alive as long as `self`).
    private let key: pthread_key_t

    public init() {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "out of thread-specific keys")
        self.key = key
    }

    deinit { pthread_key_delete(key) }

    func record(handler: String, status: Int, seconds: Double) {
        part().counts.withLock { counts in
            counts.requests[handler, default: [:]][status, default: 0] += 1
            counts.durations[handler, default: HistogramSnapshot(bounds: HistogramSnapshot.httpBounds)].observe(seconds)
        }
    }

    private func part() -> Part {
        if let mine = pthread_getspecific(key) { return Unmanaged<Part>.fromOpaque(mine).takeUnretainedValue() }
        let part = Part()
        parts.withLock { $0.append(part) }
        pthread_setspecific(key, Unmanaged.passUnretained(part).toOpaque())
        return part
    }

    var snapshot: HTTPMetrics {
        var total = Counts()
        for part in parts.withLock({ $0 }) {
            // Copied under the part's lock (copy-on-write: a few retains), added up outside it.
            total.add(part.counts.withLock { $0 })
        }
        var requests: [HTTPMetrics.RequestCount] = []
        for handler in total.requests.keys.sorted() {
            for (code, count) in total.requests[handler]!.sorted(by: { $0.key < $1.key }) {
                requests.append(.init(handler: handler, code: code, count: count))
            }
        }
        let durations = total.durations.keys.sorted().map { HTTPMetrics.Duration(handler: $0, histogram: total.durations[$0]!) }
        return HTTPMetrics(requests: requests, durations: durations)
    }
}
