import Dispatch
import MetricsExposition
import Synchronization

/// Renders `/metrics`' target families ahead of scrapes, once the pool has gone quiet after a change.
///
/// A scrape after a change would otherwise render every target itself (about 50 ms, more with gzip, at 15,000
/// subchannels). The warmer looks at the pool's version ten times a second; when it has stopped moving
/// (unchanged for one tick) and differs from the last one prepared, it renders the variants (format, gzip)
/// that scrapers asked for in the last ten minutes. Under constant churn it does nothing: each scrape renders
/// the version it finds. When nothing changes it costs one atomic load a tick.
final class MetricsWarmer: Sendable {
    private struct Variant: Hashable {
        var format: ExpositionFormat
        var gzip: Bool
    }

    private struct State {
        var asked: [Variant: ContinuousClock.Instant] = [:]
        var lastSeen: UInt64 = 0
        var lastPrepared: UInt64 = 0
    }

    private static let tick = DispatchTimeInterval.milliseconds(100)
    private static let remembered = Duration.seconds(600)

    private let state = Mutex(State())
    // Dispatch sources are thread-safe objects (not marked Sendable on Linux); after init only deinit
    // touches it, to cancel it.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    /// Starts ticking; `prepare(format, gzip)` renders one variant of the version `version()` returns.
    init(version: @escaping @Sendable () -> UInt64, prepare: @escaping @Sendable (ExpositionFormat, Bool, UInt64) -> Void) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.setEventHandler { [weak self] in self?.tick(version: version(), prepare: prepare) }
        timer.schedule(deadline: .now() + Self.tick, repeating: Self.tick, leeway: .milliseconds(50))
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Remembers that a scraper asked for this variant.
    func noteScrape(format: ExpositionFormat, gzip: Bool) {
        let now = ContinuousClock.now
        state.withLock { $0.asked[Variant(format: format, gzip: gzip)] = now }
    }

    private func tick(version: UInt64, prepare: (ExpositionFormat, Bool, UInt64) -> Void) {
        let variants: [Variant] = state.withLock { state in
            defer { state.lastSeen = version }
            guard version == state.lastSeen, version != state.lastPrepared else { return [] }
            state.lastPrepared = version
            let cutoff = ContinuousClock.now - Self.remembered
            state.asked = state.asked.filter { $0.value > cutoff }
            return Array(state.asked.keys)
        }
        for variant in variants { prepare(variant.format, variant.gzip, version) }
    }
}
