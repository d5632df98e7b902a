import Synchronization
import SharedBytes

/// Keeps the rendered target families (``MetricsRenderer/writeTargetFamilies(_:into:)``) of one pool version,
/// per format (as text for plain scrapes, as a compressed gzip prefix for gzip ones), and renders the
/// process-wide families after them fresh for every scrape.
///
/// On a large pool the target families are all but a few dozen lines of the exposition (megabytes at
/// thousands of subchannels) and change only when the pool changes, while the process-wide families
/// (HTTP requests, CPU time, memory) change on every scrape. Caching the whole body by a version that
/// folds in the clock re-rendered (and re-compressed) megabytes on every scrape of an unchanged pool; this
/// renders and compresses them once per pool version, and a scrape of an unchanged pool costs only the
/// small tail.
///
/// When the pool has changed, the target families are rendered again, whole (``TargetFamiliesWriter``
/// renders 100k series in a few milliseconds). A scrape that queued behind a render takes its bytes when that
/// render's snapshot is newer than the scrape, so under constant churn renders do not queue up one per scrape.
///
/// The kept bytes are a ``SharedBuffer``: the HTTP server sends them as they are, without a copy, followed
/// by the fresh tail. Plain target families too large to keep are not rendered here at all: such scrapes get
/// a ``MetricsStream`` (``exposition(version:format:arrived:snapshot:)``).
///
/// Thread-safe: one `Mutex`; the target families are rendered under it (others asking meanwhile wait for
/// that render instead of repeating it).
public final class TargetFamiliesCache: Sendable {
    private struct State: ~Copyable {
        var version: UInt64?
        /// When the kept bytes' version was first asked for: every snapshot behind them is newer.
        var since: ContinuousClock.Instant?
        var rendered: [ExpositionFormat: [SharedBuffer]] = [:]
        var compressed: [ExpositionFormat: Gzip.Prefix] = [:]
        var renders = 0
        /// The size of the last render, reserved up front for the next one.
        var lastSize = 4096
        /// Whether the last plain scrape found the target families too large to keep (then they are not
        /// rendered ahead for plain scrapes either).
        var streaming = false

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

        mutating func render(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> [SharedBuffer] {
            render(TargetFamiliesWriter(snapshot), format)
        }

        mutating func render(_ writer: borrowing TargetFamiliesWriter, _ format: ExpositionFormat) -> [SharedBuffer] {
            let parts = MetricsRenderer.renderTargetFamilies(writer, format: format, expectedSize: lastSize)
            lastSize = parts.reduce(0) { $0 + $1.count }
            renders += 1
            return parts
        }

        /// The kept target families for `format`, rendered from `snapshot()` when there are none.
        mutating func targetFamilies(_ format: ExpositionFormat, _ snapshot: () -> MetricsSnapshot) -> [SharedBuffer] {
            if let kept = rendered[format] { return kept }
            let bytes = render(snapshot(), format)
            rendered[format] = bytes
            return bytes
        }

        /// The kept gzip prefix for `format`, compressed (and rendered from `snapshot()`) when there is none.
        /// Text rendered only to be compressed is not kept: gzip scrapers (Prometheus's default) then keep
        /// the compressed bytes alone (1.4 MB instead of 36 MB at 15,000 subchannels), and a plain scrape of
        /// the same version, if one comes, renders the text again.
        mutating func gzipPrefix(
            _ format: ExpositionFormat, level: Int32, _ snapshot: () -> MetricsSnapshot
        ) -> Result<Gzip.Prefix, Gzip.Failure> {
            if let kept = compressed[format] { return .success(kept) }
            let parts = rendered[format] ?? render(snapshot(), format)
            do throws(Gzip.Failure) {
                let chunks = parts.map { UnsafeRawBufferPointer(start: $0.base, count: $0.count) }
                let prefix = try withExtendedLifetime(parts) { () throws(Gzip.Failure) in
                    try Gzip.compressPrefix(chunks: chunks, level: level)
                }
                compressed[format] = prefix
                return .success(prefix)
            } catch {
                return .failure(error)
            }
        }
    }

    /// What a plain scrape is answered with.
    public enum Exposition: Sendable {
        /// The kept target families followed by a fresh tail.
        case parts([SharedBuffer])
        /// The whole exposition of one snapshot, written as it is sent (nothing kept).
        case stream(MetricsStream)
    }

    private let state = Mutex(State())
    private let gzipLevel: Int32
    /// Target families expected to be at least this large are streamed to plain scrapes, not kept.
    private let streamingThreshold: Int

    /// Target families of at least `streamingThreshold` bytes are not kept for plain scrapes but streamed
    /// (``exposition(version:format:arrived:snapshot:)``). The default, 48 MiB, is about 13,000
    /// single-address targets or 7,000 targets of three addresses. Below it, the kept text makes a re-scrape
    /// of an unchanged pool a matter of sending it, and a gzip scrape compresses it without rendering again:
    /// at 5,000 targets × 3 addresses (33 MiB), kept: plain scrapes 22 ms (first 62 ms), a gzip scrape after
    /// them 53 ms; streamed: 42 ms each, and 125 ms for that gzip scrape. Above it, rendering into fresh memory
    /// dominates: at 15,000 single-address targets (55 MiB), kept: 222 ms for the first scrape; streamed:
    /// 78–96 ms each. Gzip scrapes keep the compressed bytes (about 1/40 of the text) at any size.
    public init(gzipLevel: Int32 = 1, streamingThreshold: Int = 48 << 20) {
        self.gzipLevel = gzipLevel
        self.streamingThreshold = streamingThreshold
    }

    /// The exposition for a plain scrape in `format`: the kept target families of `version` (rendered and kept
    /// now from `snapshot(true)` when they are not) and a fresh tail (from `snapshot(false)` on a hit), or, when
    /// the target families are expected to reach the streaming threshold, a stream of `snapshot(true)`.
    public func exposition(
        version: UInt64, format: ExpositionFormat, arrived: ContinuousClock.Instant = .now,
        snapshot: (_ withTargets: Bool) -> MetricsSnapshot
    ) -> Exposition {
        var fresh: MetricsSnapshot?
        let threshold = streamingThreshold
        // `.parts` holds the target families alone until the tail is added, outside the lock.
        let outcome: Exposition = state.withLock { state in
            state.start(version, arrived: arrived)
            if let kept = state.rendered[format] { return .parts(kept) }
            let taken = snapshot(true)
            fresh = taken
            let writer = TargetFamiliesWriter(taken)
            state.streaming = writer.estimatedSize >= threshold
            if state.streaming { return .stream(MetricsStream(writer, taken, format: format)) }
            let parts = state.render(writer, format)
            state.rendered[format] = parts
            return .parts(parts)
        }
        guard case .parts(let targets) = outcome else { return outcome }
        return .parts(targets + [Self.tail(fresh ?? snapshot(false), format).sharedBuffer()])
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
    ) -> (targets: [SharedBuffer], rest: SharedBuffer) {
        var fresh: MetricsSnapshot?
        let targets = state.withLock { state in
            state.start(version, arrived: arrived)
            return state.targetFamilies(format) {
                fresh = snapshot(true)
                return fresh!
            }
        }
        return (targets, Self.tail(fresh ?? snapshot(false), format).sharedBuffer())
    }

    /// The whole exposition for `format` as one gzip body, in two parts to send one after the other: the
    /// target families compressed once per pool version and kept (with the gzip header), and the
    /// process-wide tail compressed now (with the trailer).
    public func renderGzip(
        version: UInt64, format: ExpositionFormat, arrived: ContinuousClock.Instant = .now,
        snapshot: (_ withTargets: Bool) -> MetricsSnapshot
    ) throws(Gzip.Failure) -> [SharedBuffer] {
        var fresh: MetricsSnapshot?
        let level = gzipLevel
        let kept = state.withLock { state in
            state.start(version, arrived: arrived)
            return state.gzipPrefix(format, level: level) {
                fresh = snapshot(true)
                return fresh!
            }
        }
        let prefix = try kept.get()
        let tail = Self.tail(fresh ?? snapshot(false), format)
        let ending = try tail.withUnsafeBytes { tail in
            Result { () throws(Gzip.Failure) in try Gzip.ending(tail, after: prefix, level: level) }
        }.get()
        return [prefix.head, SharedBuffer(copying: ending)]
    }

    /// Renders (and with `gzip` compresses) the target families of `version` ahead of the next scrape, unless
    /// they are kept already or plain scrapes of this pool are streamed; `snapshot` must carry the targets.
    public func prepare(version: UInt64, format: ExpositionFormat, gzip: Bool, snapshot: () -> MetricsSnapshot) {
        let level = gzipLevel
        state.withLock { state in
            state.start(version, arrived: .now)
            if gzip {
                _ = state.gzipPrefix(format, level: level, snapshot)
            } else if !state.streaming {
                _ = state.targetFamilies(format, snapshot)
            }
        }
    }

    private static func tail(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> ExpositionWriter {
        var writer = ExpositionWriter(format: format, reservingCapacity: 8192)
        MetricsRenderer.writeProcessFamilies(snapshot, into: &writer)
        return writer
    }
}
