import MetricsExposition
import Synchronization
import Testing

@testable import CCPoolService

/// The `/metrics` warmer: renders the variants scrapers asked for once the pool's version has settled.
@Suite struct MetricsWarmerTests {
    /// Records what the warmer prepared.
    final class Prepared: Sendable {
        let calls = Mutex<[(ExpositionFormat, Bool, UInt64)]>([])
        func versions() -> [UInt64] { calls.withLock { $0.map(\.2) } }
    }

    @Test("a settled new version is prepared once, for each variant scrapers asked for")
    func preparesSettledVersions() async {
        let version = Atomic<UInt64>(1)
        let prepared = Prepared()
        let warmer = MetricsWarmer(version: { version.load(ordering: .relaxed) }) { format, gzip, v in
            prepared.calls.withLock { $0.append((format, gzip, v)) }
        }
        // The variant a scraper asked for is prepared for each new version once it settles.
        warmer.noteScrape(format: .openMetrics, gzip: true)
        version.store(5, ordering: .relaxed)
        #expect(await eventually { prepared.versions().contains(5) })
        let forFive = prepared.calls.withLock { $0.filter { $0.2 == 5 } }
        #expect(forFive.count == 1)
        #expect(forFive.first?.0 == .openMetrics && forFive.first?.1 == true)

        warmer.noteScrape(format: .prometheusText, gzip: false)
        version.store(6, ordering: .relaxed)
        #expect(await eventually { prepared.versions().filter { $0 == 6 }.count == 2 })
        #expect(prepared.versions().filter { $0 == 5 }.count == 1)
    }

    @Test("what the warmer prepares is what the next scrape of that version gets, without a render")
    func preparedFamiliesServeTheScrape() throws {
        let cache = TargetFamiliesCache()
        let snapshot = MetricsSnapshot.synthetic(version: 3, targets: 30, subchannelsPerTarget: 2)
        cache.prepare(version: 3, format: .prometheusText, gzip: false) { snapshot }
        cache.prepare(version: 3, format: .prometheusText, gzip: true) { snapshot }
        #expect(cache.renderCount == 1)  // the gzip prefix is compressed from the kept text
        let (targets, rest) = cache.render(version: 3, format: .prometheusText) { _ in snapshot }
        #expect(targets.flatMap { $0.withUnsafeBytes { Array($0) } } + rest.withUnsafeBytes { Array($0) } == MetricsRenderer.render(snapshot, format: .prometheusText))
        _ = try cache.renderGzip(version: 3, format: .prometheusText) { _ in snapshot }
        #expect(cache.renderCount == 1)
    }
}
