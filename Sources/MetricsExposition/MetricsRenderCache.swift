import Synchronization

/// One rendered `/metrics` body: the bytes as sent (gzip-compressed when `contentEncoding` is `gzip`) and the
/// headers that go with them. Immutable.
public final class RenderedMetrics: Sendable {
    public let version: UInt64
    public let format: ExpositionFormat
    /// `"gzip"` or nil.
    public let contentEncoding: String?
    public let bytes: [UInt8]

    public init(version: UInt64, format: ExpositionFormat, contentEncoding: String?, bytes: [UInt8]) {
        self.version = version
        self.format = format
        self.contentEncoding = contentEncoding
        self.bytes = bytes
    }

    public var contentType: String { format.contentType }
}

/// Caches rendered `/metrics` bodies by snapshot version, format and encoding.
///
/// A scrape of an unchanged pool (same `version`) gets the very same immutable body back, with no render and
/// no copy. When the state has changed, a scrape reuses a body whose snapshot was taken *after the scrape
/// arrived* (it is as fresh as a render of its own would be), so scrapes that queue behind a render share it
/// instead of rendering one after another; otherwise it renders. Under constant churn this bounds the work to
/// one render at a time per (format, encoding), whatever the scrape rate. `Body` is what is kept: the
/// `RenderedMetrics` itself, or something built from it once per render — the HTTP layer keeps a
/// `SharedBuffer` that libmicrohttpd sends without copying.
///
/// Thread-safe: all state is behind one `Mutex`; rendering happens under it (a render is milliseconds and
/// scrapes waiting meanwhile take its result). Callers on MHD threads never touch Swift concurrency.
public final class MetricsRenderCache<Body: Sendable>: Sendable {
    private struct Key: Hashable {
        var format: ExpositionFormat
        var gzip: Bool
    }

    private struct Entry {
        var version: UInt64
        /// When the snapshot behind `body` was taken.
        var takenAt: ContinuousClock.Instant
        var body: Body
    }

    private struct State: ~Copyable {
        var entries: [Key: Entry] = [:]
        var renderer = MetricsRenderer(reuseUnchangedTargets: true)
        var renders = 0
    }

    private let state = Mutex(State())
    private let makeBody: @Sendable (RenderedMetrics) -> Body
    private let gzipLevel: Int32

    /// `makeBody` turns a fresh render into what the cache keeps (called once per render).
    public init(gzipLevel: Int32 = 1, makeBody: @escaping @Sendable (RenderedMetrics) -> Body) {
        self.makeBody = makeBody
        self.gzipLevel = gzipLevel
    }

    /// How many times the cache has rendered (for tests and metrics).
    public var renderCount: Int { state.withLock { $0.renders } }

    /// The body for `version` in `format`, gzip-compressed if `gzip`. `snapshot` is called only when the cache
    /// has nothing as fresh as the request; the snapshot it returns must carry `version`.
    ///
    /// - Parameter arrived: when the request arrived (tests pass an earlier instant to stand for a scrape
    ///   that queued behind a render).
    public func body(
        version: UInt64, format: ExpositionFormat, gzip: Bool, arrived: ContinuousClock.Instant = .now,
        snapshot: () -> MetricsSnapshot
    ) -> Body {
        let key = Key(format: format, gzip: gzip)
        return state.withLock { state in
            if let entry = state.entries[key], entry.version == version || entry.takenAt > arrived {
                return entry.body
            }
            let takenAt = ContinuousClock.now
            let snapshot = snapshot()
            let level = gzipLevel
            let rendered: RenderedMetrics = state.renderer.render(snapshot, format: format) { bytes in
                if gzip, let compressed = try? Gzip.compress(bytes, level: level) {
                    return RenderedMetrics(
                        version: version, format: format, contentEncoding: "gzip", bytes: compressed)
                }
                return RenderedMetrics(version: version, format: format, contentEncoding: nil, bytes: bytes)
            }
            state.renders += 1
            let body = makeBody(rendered)
            state.entries[key] = Entry(version: version, takenAt: takenAt, body: body)
            // Bodies of other keys from an older state are dropped as soon as the state moves on.
            state.entries = state.entries.filter { $0.key == key || $0.value.version == version }
            return body
        }
    }
}

extension MetricsRenderCache where Body == RenderedMetrics {
    /// A cache that keeps the `RenderedMetrics` themselves.
    public convenience init(gzipLevel: Int32 = 1) {
        self.init(gzipLevel: gzipLevel, makeBody: { $0 })
    }
}
