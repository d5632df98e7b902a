/// The pool as readers see it at one moment.
public struct PoolSnapshot: Sendable {
    public var version: UInt64
    public var targets: [TargetSnapshot]
}

/// One target as readers see it: its definition, its shard and a copy of its stats.
public struct TargetSnapshot: Sendable {
    public var definition: PoolTarget
    public var shard: Int
    public var stats: TargetStats.Values

    public init(definition: PoolTarget, shard: Int, stats: TargetStats.Values) {
        self.definition = definition
        self.shard = shard
        self.stats = stats
    }
}
