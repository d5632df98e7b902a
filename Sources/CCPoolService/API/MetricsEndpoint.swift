import CCPoolCore
import Foundation
import HTTPServer
import MetricsExposition
import SharedBytes

/// `GET /metrics`: the target families (all but a few dozen lines on a large pool) are rendered, and
/// compressed for gzip, once per pool version and kept; the process-wide families after them (history,
/// HTTP requests, process metrics) are rendered fresh for every scrape. A scrape of an unchanged pool costs
/// those few lines, however many targets there are: the kept bytes are sent as they are, without a copy. (The whole body used to be
/// cached by a version that folded in the clock, so that every scrape more than a second after the last one
/// re-rendered, and re-compressed, megabytes.)
///
/// A pool whose target families reach the cache's streaming threshold (tens of megabytes at 15,000 targets)
/// gets plain scrapes written as they are sent instead (``TargetFamiliesCache/Exposition/stream(_:)``):
/// rendering that much into fresh memory took longer than writing it, and keeping it cost kilobytes per target.
///
/// After a pool-wide change, a ``MetricsWarmer`` renders the target families for the variants scrapers use
/// once the pool is quiet again, so the next scrape finds them kept.
struct MetricsEndpoint: Sendable {
    let runtime: ServiceRuntime
    let targetFamilies: TargetFamiliesCache
    let warmer: MetricsWarmer
    let processMetrics = ProcessMetricsSampler()
    /// Returns the memory of finished streamed scrapes to the kernel.
    let heapTrimmer: HeapTrimmer

    init(runtime: ServiceRuntime) {
        let targetFamilies = TargetFamiliesCache()
        self.runtime = runtime
        self.targetFamilies = targetFamilies
        self.heapTrimmer = HeapTrimmer(logger: runtime.logger)
        self.warmer = MetricsWarmer(version: { runtime.pool.version }) { format, gzip, version in
            targetFamilies.prepare(version: version, format: format, gzip: gzip) {
                Self.snapshot(of: runtime, version: version, withTargets: true, process: nil)
            }
        }
    }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        let format = ExpositionFormat.negotiate(accept: request.headers["Accept"])
        let gzip = acceptsGzip(request.headers["Accept-Encoding"])
        warmer.noteScrape(format: format, gzip: gzip)
        var headers: HTTPHeaders = ["Content-Type": format.contentType, "Vary": "Accept, Accept-Encoding"]
        let version = runtime.pool.version
        let snapshot = { (withTargets: Bool) in self.snapshot(version: version, withTargets: withTargets) }
        // zlib fails only out of memory; the plain body is then still an answer.
        if gzip, let zipped = try? targetFamilies.renderGzip(version: version, format: format, snapshot: snapshot) {
            headers.add("Content-Encoding", "gzip")
            return HTTPResponse(status: 200, headers: headers, parts: zipped)
        }
        switch targetFamilies.exposition(version: version, format: format, snapshot: snapshot) {
        case .parts(let parts):
            return HTTPResponse(status: 200, headers: headers, parts: parts)
        case .stream(let stream):
            // A streamed body is the exposition of a very large pool: its snapshot is tens of megabytes, freed
            // once the last byte is out.
            let trimmer = heapTrimmer
            return HTTPResponse(status: 200, headers: headers) { buffer in
                let count = stream.read(into: buffer)
                if count == 0 { trimmer.request() }
                return count
            }
        }
    }

    /// Everything `/metrics` shows; `withTargets: false` leaves the targets out (the process-wide
    /// families only), which spares copying every target's stats.
    func snapshot(version: UInt64, withTargets: Bool = true) -> MetricsSnapshot {
        Self.snapshot(of: runtime, version: version, withTargets: withTargets, process: processMetrics.current())
    }

    /// `process` is nil where only the target families are rendered (the warmer).
    static func snapshot(of runtime: ServiceRuntime, version: UInt64, withTargets: Bool, process: ProcessMetrics?)
        -> MetricsSnapshot
    {
        let targets = withTargets ? MetricsSnapshotBuilder.targets(runtime.pool) : []
        let history = runtime.history.snapshot
        let (reloads, failures) = runtime.reloadCounters
        var snapshot = MetricsSnapshot(
            version: version, targets: targets,
            subchannelSeries: runtime.settings.metricsSubchannelSeries,
            history: HistoryMetrics(
                eventsWritten: UInt64(max(0, history.written)), queueDepth: UInt64(max(0, history.queueDepth)),
                writeErrors: UInt64(max(0, history.writeErrors)), eventsDropped: UInt64(max(0, history.dropped)), databaseBytes: UInt64(max(0, history.databaseBytes))),
            configReloads: reloads, configReloadFailures: failures, http: runtime.httpMetrics.snapshot,
            shardIndex: UInt64(runtime.replica.index), shardCount: UInt64(runtime.replica.count),
            build: BuildInfo(version: CCPoolVersion.version, revision: CCPoolVersion.revision, swiftVersion: CCPoolVersion.swift),
            process: process, peers: runtime.peerMetrics.snapshot)
        snapshot.ruleViolations = RuleViolations(
            channel: UInt64(TransitionRules.violationCount(scope: .channel)),
            subchannel: UInt64(TransitionRules.violationCount(scope: .subchannel)))
        return snapshot
    }
}
