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
/// no copy; the first scrape after a change renders once (others asking for the same key meanwhile wait for
/// that render instead of repeating it) and the older bodies are dropped. `Body` is what is kept: the
/// `RenderedMetrics` itself, or something built from it once per render — the HTTP layer keeps a
/// `SharedBuffer` that libmicrohttpd sends without copying.
///
/// Thread-safe: all state is behind one `Mutex`; rendering happens under it (a render is milliseconds and
/// scrapes of a new version want its result anyway). Callers on MHD threads never touch Swift concurrency.
public final class MetricsRenderCache<Body: Sendable>: Sendable {
    private struct Key: Hashable {
        var format: ExpositionFormat
        var gzip: Bool
    }

    private struct State: ~Copyable {
        var version: UInt64?
        var bodies: [Key: Body] = [:]
        var renderer = MetricsRenderer()
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
    /// has nothing for that version; the snapshot it returns must carry `version`.
    public func body(
        version: UInt64, format: ExpositionFormat, gzip: Bool, snapshot: () -> MetricsSnapshot
    ) -> Body {
        let key = Key(format: format, gzip: gzip)
        return state.withLock { state in
            if state.version == version, let body = state.bodies[key] { return body }
            if state.version != version {
                state.version = version
                state.bodies.removeAll()
            }
            let snapshot = snapshot()
            let level = gzipLevel
            let rendered: RenderedMetrics = state.renderer.render(snapshot, format: format) { bytes in
                if gzip, let compressed = try? Gzip.compress(bytes, level: level) {
                    return RenderedMetrics(version: version, format: format, contentEncoding: "gzip", bytes: compressed)
                }
                return RenderedMetrics(version: version, format: format, contentEncoding: nil, bytes: bytes)
            }
            state.renders += 1
            let body = makeBody(rendered)
            state.bodies[key] = body
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
