import Foundation
import HTTPServer
import MetricsExposition

/// `GET /metrics`: renders the pool's snapshot once per state version and serves the same bytes
/// (zero-copy) until the state changes.
///
/// The version folds in everything the families show except the HTTP request counters and the
/// process metrics, which would change on every scrape; those refresh with the next state change
/// or, at the latest, after a second.
struct MetricsEndpoint: Sendable {
    final class Body: Sendable {
        let buffer: SharedBuffer
        let contentType: String
        let contentEncoding: String?

        init(_ rendered: RenderedMetrics) {
            buffer = SharedBuffer(copying: rendered.bytes)
            contentType = rendered.contentType
            contentEncoding = rendered.contentEncoding
        }
    }

    let runtime: ServiceRuntime
    let cache = MetricsRenderCache<Body> { Body($0) }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        let format = ExpositionFormat.negotiate(accept: request.headers["Accept"])
        let gzip = acceptsGzip(request.headers["Accept-Encoding"])
        let version = currentVersion()
        let body = cache.body(version: version, format: format, gzip: gzip) { snapshot(version: version) }
        var headers: HTTPHeaders = ["Content-Type": body.contentType, "Vary": "Accept, Accept-Encoding"]
        if let encoding = body.contentEncoding { headers.add("Content-Encoding", encoding) }
        return HTTPResponse(status: 200, headers: headers, shared: body.buffer)
    }

    func currentVersion() -> UInt64 {
        let history = runtime.history.snapshot
        let (reloads, failures) = runtime.reloadCounters
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in [
            runtime.pool.version, UInt64(history.written), UInt64(history.queueDepth), UInt64(history.writeErrors),
            reloads, failures, UInt64(Date().timeIntervalSince1970),
        ] {
            hash = (hash ^ value) &* 0x0000_0100_0000_01b3
            hash ^= hash >> 29
        }
        return hash
    }

    func snapshot(version: UInt64) -> MetricsSnapshot {
        let pool = runtime.pool.snapshot()
        let history = runtime.history.snapshot
        let (reloads, failures) = runtime.reloadCounters
        return MetricsSnapshot(
            version: version, targets: MetricsSnapshotBuilder.targets(pool),
            subchannelSeries: runtime.settings.metricsSubchannelSeries,
            history: HistoryMetrics(
                eventsWritten: UInt64(max(0, history.written)), queueDepth: UInt64(max(0, history.queueDepth)),
                writeErrors: UInt64(max(0, history.writeErrors)), databaseBytes: UInt64(max(0, history.databaseBytes))),
            configReloads: reloads, configReloadFailures: failures, http: runtime.httpMetrics.snapshot,
            shardIndex: UInt64(runtime.replica.index), shardCount: UInt64(runtime.replica.count),
            build: BuildInfo(version: CCPoolVersion.version, revision: CCPoolVersion.revision, swiftVersion: CCPoolVersion.swift),
            process: ProcessMetrics.read())
    }
}

/// What `ccpool_build_info` reports.
public enum CCPoolVersion {
    public static let version = "0.1.0"
    /// The commit, from `CCPOOL_REVISION` in the process environment (set by the container image).
    public static let revision = ProcessInfo.processInfo.environment["CCPOOL_REVISION"] ?? "unknown"
    public static var swift: String {
        #if compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.x"
        #endif
    }
}
