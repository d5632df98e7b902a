import Logging

/// The whole configuration of a `ccpool serve` process: the top-level settings of the YAML file
/// (after environment and flag overrides) and its targets (docs/api.md).
///
/// A value is always valid: ``ConfigLoader`` builds it only when every check passed. The
/// ``embeddedDefault`` is what runs without a config file.
public struct ServiceSettings: Sendable, Equatable {
    /// `listen`; default `127.0.0.1:9090`.
    public var listen: ListenAddress
    /// `database`: the SQLite history file; default `./ccpool.db`.
    public var database: String
    /// `shards`: event loops; 0 (the default) means one per CPU core, see ``eventLoopCount(cores:)``.
    public var shards: Int
    /// `history.retention`: history rows older than this are deleted; default 7 days.
    public var historyRetention: DurationText
    /// `admin_token_file`: where the admin bearer token is; nil with no `CCPOOL_ADMIN_TOKEN`
    /// means the admin endpoints answer 403 `admin_disabled`. ``AdminToken`` reads it.
    public var adminTokenFile: String?
    /// `metrics.subchannel_series`; default true (docs/metrics.md).
    public var metricsSubchannelSeries: Bool
    /// `shutdown_deadline`: how long SIGTERM may take; default 10 s.
    public var shutdownDeadline: DurationText
    /// `log_level`: swift-log's names (`trace` … `critical`); default `info`.
    public var logLevel: Logger.Level
    /// `log_format`: `text` (default) or `json`.
    public var logFormat: LogFormat
    /// `shard_index` / `shard_count`: this replica's place; both set or both nil (the CLI then
    /// derives them from the pod's ordinal).
    public var shardIndex: Int?
    public var shardCount: Int?
    /// `http.*`, `history.query_timeout`, `history.readers`: see ``RequestLimits``.
    public var limits: RequestLimits
    /// `peers`: every replica's base URL, so that any replica answers for the whole pool; nil
    /// (the default) keeps each replica's answers to its own targets.
    public var peers: PeerList?
    /// `peer_timeout`: how long a replica waits for another one before answering without it (a
    /// list marked partial, or 503 for a one-target request); default 2 s.
    public var peerTimeout: DurationText
    /// `pending_migrations`: what `serve` does with a database whose history needs migrating; default apply.
    public var pendingMigrations: PendingMigrationsPolicy
    /// `targets`, in file order, names unique.
    public var targets: [ConfiguredTarget]

    /// Where each overridable setting's value came from (for the start-up summary).
    public var sources: [SettingKey: SettingSource]

    public init() {
        listen = ListenAddress(host: "127.0.0.1", port: 9090)
        database = "./ccpool.db"
        shards = 0
        historyRetention = .days(7)
        adminTokenFile = nil
        metricsSubchannelSeries = true
        shutdownDeadline = .seconds(10)
        logLevel = .info
        logFormat = .text
        shardIndex = nil
        shardCount = nil
        limits = RequestLimits()
        peers = nil
        peerTimeout = .seconds(2)
        pendingMigrations = .apply
        targets = []
        sources = Dictionary(uniqueKeysWithValues: SettingKey.allCases.map { ($0, .default) })
    }

    /// Listen on 127.0.0.1:9090, database `./ccpool.db`, no targets (docs/api.md).
    public static let embeddedDefault = ServiceSettings()

    /// Event loops to run: `shards`, or `cores` when it is 0.
    public func eventLoopCount(cores: Int) -> Int { shards == 0 ? max(1, cores) : shards }

    /// The targets by name.
    public var targetsByName: [TargetName: TargetSpec] {
        Dictionary(targets.map { ($0.name, $0.spec) }, uniquingKeysWith: { first, _ in first })
    }

    /// Equality ignores ``sources``.
    public static func == (lhs: ServiceSettings, rhs: ServiceSettings) -> Bool {
        lhs.listen == rhs.listen && lhs.database == rhs.database && lhs.shards == rhs.shards
            && lhs.historyRetention == rhs.historyRetention && lhs.adminTokenFile == rhs.adminTokenFile
            && lhs.metricsSubchannelSeries == rhs.metricsSubchannelSeries && lhs.shutdownDeadline == rhs.shutdownDeadline
            && lhs.logLevel == rhs.logLevel && lhs.logFormat == rhs.logFormat && lhs.shardIndex == rhs.shardIndex
            && lhs.shardCount == rhs.shardCount && lhs.limits == rhs.limits && lhs.peers == rhs.peers
            && lhs.peerTimeout == rhs.peerTimeout && lhs.pendingMigrations == rhs.pendingMigrations
            && lhs.targets == rhs.targets
    }
}

/// `log_format`.
public enum LogFormat: String, CaseIterable, Hashable, Sendable {
    /// Human-readable lines (swift-log's stream layout, UTC time with microseconds).
    case text
    /// One JSON object per line, for containers.
    case json
}

/// One entry of the file's `targets` list: a name and its spec.
public struct ConfiguredTarget: Hashable, Sendable {
    public var name: TargetName
    public var spec: TargetSpec

    public init(name: TargetName, spec: TargetSpec) {
        self.name = name
        self.spec = spec
    }
}
