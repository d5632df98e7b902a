import CCPoolCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Many ClientConns, sharded by target over event loops.
///
/// A target lives on one shard (`hash(name) % shards`) for its whole life; everything of a
/// target (channel, balancer, subchannels, sockets) runs on that shard's loop, so shards share
/// nothing mutable on the hot path. Readers (HTTP threads) see targets through ``snapshot()``
/// and ``pick(_:waitForReady:timeout:)``, which take only short per-target locks.
public final class Pool: Sendable {
    public struct Configuration: Sendable {
        /// Event loops; 0 means one per CPU core.
        public var shards: Int
        public var wallClock: @Sendable () -> Date

        public init(shards: Int = 0, wallClock: @escaping @Sendable () -> Date = { Date() }) {
            self.shards = shards
            self.wallClock = wallClock
        }
    }

    /// What the pool keeps per target for readers.
    private struct Entry: Sendable {
        let runtime: NIOLoopBound<TargetRuntime>
        let loop: any EventLoop
        let shard: Int
        let stats: TargetStats
        let picks: PickerState
        var definition: PoolTarget
    }

    public enum UpsertResult: Sendable, Hashable {
        case created
        case changed
    }

    private let group: MultiThreadedEventLoopGroup
    private let loops: [any EventLoop]
    private let entries = Mutex<[String: Entry]>([:])
    private let versionCounter = Atomic<UInt64>(1)
    /// Bumped after every change to the set of targets or to a definition (not to their stats).
    private let membershipCounter = Atomic<UInt64>(1)
    /// ``targetsByName()``'s last answer and the membership it was built from: sorting 15,000 names took a
    /// tenth of a /metrics scrape, for a list that rarely changes.
    private let byName = Mutex<(membership: UInt64, list: [NamedTarget])>((0, []))
    private let sink: any TransitionSink
    private let wallClock: @Sendable () -> Date
    private let logger: Logger
    private let closed = Atomic<Bool>(false)

    public init(configuration: Configuration, sink: any TransitionSink, logger: Logger = Logger(label: "ccpool.pool")) {
        let count = configuration.shards > 0 ? configuration.shards : System.coreCount
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: count)
        self.loops = Array(group.makeIterator())
        self.sink = sink
        self.wallClock = configuration.wallClock
        self.logger = logger
    }

    public var shardCount: Int { loops.count }

    /// Bumped on every change a reader could see; the /metrics cache keys on it.
    public var version: UInt64 { versionCounter.load(ordering: .acquiring) }

    public func shard(for name: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(loops.count))
    }

    public var targetNames: [String] { entries.withLock { $0.keys.sorted() } }

    public func definition(of name: String) -> PoolTarget? {
        entries.withLock { $0[name]?.definition }
    }

    /// Adds a target, or applies a changed definition to the running one (only what changed is
    /// rebuilt).
    @discardableResult
    public func upsert(_ target: PoolTarget) async throws -> UpsertResult {
        try await upsertFuture(target).get()
    }

    /// Upserts many targets at once: every one is handed to its shard before any is awaited, so
    /// each loop starts its targets (and their connections) back to back instead of one hop per
    /// target. Throws the first error after all have been applied; the others stay applied.
    public func upsertAll(_ targets: [PoolTarget]) async throws {
        if let failure = await upsertEach(targets).first { throw failure.error }
    }

    /// ``upsertAll(_:)`` that reports every target it could not apply, by name, instead of throwing
    /// the first: what a configuration reload logs.
    public func upsertEach(_ targets: [PoolTarget]) async -> [(name: String, error: any Error)] {
        let futures = targets.map { ($0.name, upsertFuture($0)) }
        var failures: [(name: String, error: any Error)] = []
        for (name, future) in futures {
            do { _ = try await future.get() } catch { failures.append((name, error)) }
        }
        return failures
    }

    /// Removes many targets at once, handing every removal to its shard before awaiting any (see
    /// ``upsertAll(_:)``). Returns how many existed.
    @discardableResult
    public func removeAll(_ names: [String], reason: String) async -> Int {
        let futures = names.map { removeFuture($0, reason: reason) }
        var removed = 0
        for future in futures where (try? await future.get()) == true { removed += 1 }
        return removed
    }

    /// ``upsert(_:)`` for callers that may block but are neither on an event loop nor in Swift
    /// concurrency (HTTP threads): it waits on the shard's loop only.
    public func upsertBlocking(_ target: PoolTarget) throws -> UpsertResult {
        try upsertFuture(target).wait()
    }

    /// Removes a target: SHUTDOWN is recorded for its channel and every subchannel first.
    @discardableResult
    public func remove(_ name: String, reason: String = "config removed") async -> Bool {
        (try? await removeFuture(name, reason: reason).get()) ?? false
    }

    /// ``remove(_:reason:)`` for blocking callers (see ``upsertBlocking(_:)``).
    @discardableResult
    public func removeBlocking(_ name: String, reason: String) -> Bool {
        (try? removeFuture(name, reason: reason).wait()) ?? false
    }

    /// Every change to one name runs on that name's shard loop, the look-up and the change in
    /// one task: two concurrent upserts of a new name cannot both build a runtime (the loser's
    /// subchannels would keep their sockets and never record SHUTDOWN), and a remove cannot
    /// slip between an upsert's look-up and its insert.
    private func upsertFuture(_ target: PoolTarget) -> EventLoopFuture<UpsertResult> {
        let shard = shard(for: target.name)
        let loop = loops[shard]
        guard !closed.load(ordering: .acquiring) else { return loop.makeFailedFuture(PoolError.closed) }
        let sink = self.sink
        let wallClock = self.wallClock
        let logger = self.logger
        let onChange: @Sendable () -> Void = { [weak self] in self?.bump() }
        return loop.submit {
            // The pool may have closed while this waited for the loop.
            guard !self.closed.load(ordering: .acquiring) else { throw PoolError.closed }
            if let existing = self.entries.withLock({ $0[target.name] }) {
                try existing.runtime.value.update(target)
                self.entries.withLock { $0[target.name]?.definition = target }
                self.bumpMembership()
                return .changed
            }
            let runtime = TargetRuntime(
                definition: target, eventLoop: loop, sink: sink, wallClock: wallClock, onChange: onChange, logger: logger)
            try runtime.start()
            let entry = Entry(
                runtime: NIOLoopBound(runtime, eventLoop: loop), loop: loop, shard: shard, stats: runtime.stats,
                picks: runtime.picks, definition: target)
            self.entries.withLock { $0[target.name] = entry }
            self.bumpMembership()
            return .created
        }
    }

    private func removeFuture(_ name: String, reason: String) -> EventLoopFuture<Bool> {
        loops[shard(for: name)].submit {
            guard let entry = self.entries.withLock({ $0[name] }) else { return false }
            entry.runtime.value.shutdown(reason: reason)
            self.entries.withLock { _ = $0.removeValue(forKey: name) }
            self.bumpMembership()
            return true
        }
    }

    /// Picks a subchannel of `name`'s channel (docs/connection.md, "Picks"); nil if there is no such target. The
    /// result is counted in the target's pick counters.
    public func pick(_ name: String, waitForReady: Bool, timeout: TimeAmount) -> EventLoopFuture<PickedSubConn>? {
        guard let entry = entries.withLock({ $0[name] }) else { return nil }
        let future = entry.picks.pick(waitForReady: waitForReady, timeout: timeout)
        let stats = entry.stats
        future.whenComplete { [weak self] result in
            if case .failure = result { stats.countPick(failed: true) } else { stats.countPick(failed: false) }
            self?.bump()
        }
        return future
    }

    /// Every target with its definition, shard and a copy of its stats, sorted by name.
    public func snapshot() -> PoolSnapshot {
        let version = self.version
        let current = entries.withLock { $0 }
        let targets = current.values
            .map { TargetSnapshot(definition: $0.definition, shard: $0.shard, stats: $0.stats.snapshot) }
            .sorted { $0.definition.name < $1.definition.name }
        return PoolSnapshot(version: version, targets: targets)
    }

    /// A target's definition and its live stats.
    public typealias NamedTarget = (definition: PoolTarget, stats: TargetStats)

    /// Every target's definition and live stats, in name order. The stats are read later, each under its
    /// own lock: what `/metrics` needs from 5,000 targets at a fraction of ``snapshot()``.
    public func targetsByName() -> [NamedTarget] {
        // Loaded before the entries are read, and bumped after they change: a list is never kept under a
        // newer membership than the one it was built from.
        let membership = membershipCounter.load(ordering: .acquiring)
        if let cached = byName.withLock({ $0.membership == membership ? $0.list : nil }) { return cached }
        let current = entries.withLock { $0 }
        let list = current.keys.sorted().map { name in
            let entry = current[name]!
            return (definition: entry.definition, stats: entry.stats)
        }
        byName.withLock { if $0.membership < membership { $0 = (membership, list) } }
        return list
    }

    /// Every target's definition and the few values the dashboard's overview shows, sorted by name: one
    /// short lock per target and no copy of the counters, so it costs a fraction of ``snapshot()``.
    public func summaries() -> [TargetSummary] {
        let current = entries.withLock { $0 }
        return current.values
            .map { TargetSummary(definition: $0.definition, stats: $0.stats) }
            .sorted { $0.name < $1.name }
    }

    /// One target's snapshot.
    public func snapshot(of name: String) -> TargetSnapshot? {
        guard let entry = entries.withLock({ $0[name] }) else { return nil }
        return TargetSnapshot(definition: entry.definition, shard: entry.shard, stats: entry.stats.snapshot)
    }

    /// Shuts every channel down (recording SHUTDOWN for each channel and subchannel), then the
    /// event loops.
    public func shutdown(reason: String = "ccpool shutting down") async {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        let all = entries.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for (_, entry) in all {
                let runtime = entry.runtime
                group.addTask { try? await entry.loop.submit { runtime.value.shutdown(reason: reason) }.get() }
            }
        }
        // Let each loop finish the work the shutdowns queued (socket closes) before stopping it.
        for loop in loops { try? await loop.submit {}.get() }
        entries.withLock { $0.removeAll() }
        bumpMembership()
        try? await group.shutdownGracefully()
    }

    private func bump() {
        versionCounter.add(1, ordering: .releasing)
    }

    private func bumpMembership() {
        membershipCounter.add(1, ordering: .releasing)
        // The kept list goes at once (released outside the lock): it must not keep a removed target's stats
        // alive until the next scrape.
        _ = byName.withLock { kept in
            let list = kept.list
            kept = (0, [])
            return list
        }
        bump()
    }
}
