import Synchronization

/// Keeps the rendered target families (``MetricsRenderer/writeTargetFamilies(_:into:)``) of one pool version,
/// per format (as text, and as a compressed gzip prefix), and renders the process-wide families after them
/// fresh for every scrape.
///
/// On a large pool the target families are all but a few dozen lines of the exposition (megabytes at
/// thousands of subchannels) and change only when the pool changes, while the process-wide families
/// (HTTP requests, CPU time, memory) change on every scrape. Caching the whole body by a version that
/// folds in the clock re-rendered (and re-compressed) megabytes on every scrape of an unchanged pool; this
/// renders and compresses them once per pool version, and a scrape of an unchanged pool costs only the
/// small tail.
///
/// When the pool has changed, the target families are rendered again, but only the targets whose metrics
/// changed: every target's fragment is kept from the last render (``MetricsRenderer``'s reuse). And a scrape
/// that queued behind a render takes its bytes when that render's snapshot is newer than the scrape, so under
/// constant churn renders do not queue up one per scrape.
///
/// Thread-safe: one `Mutex`; the target families are rendered under it (others asking meanwhile wait for
/// that render instead of repeating it).
public final class TargetFamiliesCache: Sendable {
    private struct State: ~Copyable {
        var version: UInt64?
        /// When the kept bytes' version was first asked for: every snapshot behind them is newer.
        var since: ContinuousClock.Instant?
        var rendered: [ExpositionFormat: [ArraySlice<UInt8>]] = [:]
        var compressed: [ExpositionFormat: Gzip.Prefix] = [:]
        /// Every target's fragment of the last render, per format, reused for targets that did not change.
        var fragments: [ExpositionFormat: TargetFragments] = [:]
        var renders = 0
        /// The size of the last render, reserved up front for the next one.
        var lastSize = 4096

        /// Makes the kept bytes those of `version`, unless they are newer than the request (rendered from
        /// a snapshot taken after it `arrived`: a scrape that queued behind a render takes that render).
        mutating func start(_ version: UInt64, arrived: ContinuousClock.Instant) {
            guard self.version != version else { return }
            if let since, since > arrived, !rendered.isEmpty || !compressed.isEmpty { return }
            self.version = version
            since = .now
            rendered.removeAll()
            compressed.removeAll()
        }

        mutating func render(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> [ArraySlice<UInt8>] {
            var kept: TargetFragments? = fragments[format] ?? TargetFragments()
            let chunks = MetricsRenderer.targetFamilyChunks(snapshot, format: format, reusing: &kept)
            fragments[format] = kept
            lastSize = chunks.reduce(0) { $0 + $1.count }
            renders += 1
            return chunks
        }

        /// The kept target families for `format`, rendered from `snapshot()` when there are none.
        mutating func targetChunks(_ format: ExpositionFormat, _ snapshot: () -> MetricsSnapshot) -> [ArraySlice<UInt8>] {
            if let kept = rendered[format] { return kept }
            let chunks = render(snapshot(), format)
            rendered[format] = chunks
            return chunks
        }

        /// The kept gzip prefix for `format`, compressed (and rendered from `snapshot()`) when there is none.
        mutating func gzipPrefix(
            _ format: ExpositionFormat, level: Int32, _ snapshot: () -> MetricsSnapshot
        ) -> Result<Gzip.Prefix, Gzip.Failure> {
            if let kept = compressed[format] { return .success(kept) }
            let chunks = targetChunks(format, snapshot)
            var text: [UInt8] = []
            text.reserveCapacity(lastSize)
            for chunk in chunks { text.append(contentsOf: chunk) }
            do throws(Gzip.Failure) {
                let prefix = try Gzip.compressPrefix(text, level: level)
                compressed[format] = prefix
                return .success(prefix)
            } catch {
                return .failure(error)
            }
        }
    }

    private let state = Mutex(State())
    private let gzipLevel: Int32

    public init(gzipLevel: Int32 = 1) {
        self.gzipLevel = gzipLevel
    }

    /// How many times the target families have been rendered (for tests).
    public var renderCount: Int { state.withLock { $0.renders } }

    /// The whole exposition for `format` in two parts: the target families of pool version `version` (from the
    /// cache, or rendered now from `snapshot(true)`), and the process-wide families rendered now (from
    /// `snapshot(false)` on a cache hit: `snapshot(false)` need not carry targets). The exposition is `targets`
    /// followed by `rest`.
    public func render(
        version: UInt64, format: ExpositionFormat, arrived: ContinuousClock.Instant = .now,
        snapshot: (_ withTargets: Bool) -> MetricsSnapshot
    ) -> (targets: [ArraySlice<UInt8>], rest: [UInt8]) {
        var fresh: MetricsSnapshot?
        let targets = state.withLock { state in
            state.start(version, arrived: arrived)
            return state.targetChunks(format) {
                fresh = snapshot(true)
                return fresh!
            }
        }
        return (targets, Self.tail(fresh ?? snapshot(false), format))
    }

    /// The whole exposition for `format` as one gzip body: the target families compressed once per pool version
    /// and kept compressed, the process-wide tail compressed now.
    public func renderGzip(
        version: UInt64, format: ExpositionFormat, arrived: ContinuousClock.Instant = .now,
        snapshot: (_ withTargets: Bool) -> MetricsSnapshot
    ) throws(Gzip.Failure) -> [UInt8] {
        var fresh: MetricsSnapshot?
        let level = gzipLevel
        let prefix = state.withLock { state in
            state.start(version, arrived: arrived)
            return state.gzipPrefix(format, level: level) {
                fresh = snapshot(true)
                return fresh!
            }
        }
        return try Gzip.compress(Self.tail(fresh ?? snapshot(false), format), after: prefix.get(), level: level)
    }

    /// Renders (and with `gzip` compresses) the target families of `version` ahead of the next scrape, unless
    /// they are kept already; `snapshot` must carry the targets.
    public func prepare(version: UInt64, format: ExpositionFormat, gzip: Bool, snapshot: () -> MetricsSnapshot) {
        let level = gzipLevel
        state.withLock { state in
            state.start(version, arrived: .now)
            if gzip {
                _ = state.gzipPrefix(format, level: level, snapshot)
            } else {
                _ = state.targetChunks(format, snapshot)
            }
        }
    }

    private static func tail(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> [UInt8] {
        var writer = ExpositionWriter(format: format, reservingCapacity: 8192)
        MetricsRenderer.writeProcessFamilies(snapshot, into: &writer)
        return writer.bytes
    }
}
