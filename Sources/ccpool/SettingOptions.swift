import ArgumentParser
import CCPoolService
import Foundation

/// A flag for every top-level setting (docs/configuration.md: flag > `CCPOOL_*` variable > file > default).
/// Values stay text here: the configuration loader validates them with the same messages for
/// every source.
struct SettingOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (YAML). Env: CCPOOL_CONFIG. Without one, the embedded default.")
    var config: String?

    @Option(name: .long, help: "host:port to serve HTTP on (default 127.0.0.1:9090). Env: CCPOOL_LISTEN.")
    var listen: String?

    @Option(name: .long, help: "SQLite database file (default ./ccpool.db). Env: CCPOOL_DATABASE.")
    var database: String?

    @Option(name: .long, help: "Event loops; 0 = one per core. Env: CCPOOL_SHARDS.")
    var shards: String?

    @Option(name: .long, help: "How long history is kept, e.g. 7d. Env: CCPOOL_HISTORY_RETENTION.")
    var historyRetention: String?

    @Option(name: .long, help: "File holding the admin bearer token. Env: CCPOOL_ADMIN_TOKEN_FILE (or the token in CCPOOL_ADMIN_TOKEN).")
    var adminTokenFile: String?

    @Option(name: .long, help: "Per-subchannel metric series, true or false. Env: CCPOOL_METRICS_SUBCHANNEL_SERIES.")
    var metricsSubchannelSeries: String?

    @Option(name: .long, help: "How long SIGTERM may take, e.g. 10s. Env: CCPOOL_SHUTDOWN_DEADLINE.")
    var shutdownDeadline: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical. Env: CCPOOL_LOG_LEVEL.")
    var logLevel: String?

    @Option(name: .long, help: "text or json. Env: CCPOOL_LOG_FORMAT.")
    var logFormat: String?

    @Option(name: .long, help: "This replica's index (default: from a hostname ending in -N). Env: CCPOOL_SHARD_INDEX.")
    var shardIndex: String?

    @Option(name: .long, help: "How many replicas share the targets (default 1). Env: CCPOOL_SHARD_COUNT.")
    var shardCount: String?

    @Option(name: .long, help: "Connections served at once (default 1024). Env: CCPOOL_HTTP_MAX_CONNECTIONS.")
    var httpMaxConnections: String?

    @Option(name: .long, help: "Connections one client address may hold (default 64). Env: CCPOOL_HTTP_MAX_CONNECTIONS_PER_CLIENT.")
    var httpMaxConnectionsPerClient: String?

    @Option(name: .long, help: "Close a connection idle this long, whole seconds (default 30s). Env: CCPOOL_HTTP_IDLE_TIMEOUT.")
    var httpIdleTimeout: String?

    @Option(name: .long, help: "A request must arrive whole within this time, whole seconds (default 15s). Env: CCPOOL_HTTP_REQUEST_TIMEOUT.")
    var httpRequestTimeout: String?

    @Option(name: .long, help: "Longest run of one history statement (default 2s). Env: CCPOOL_HISTORY_QUERY_TIMEOUT.")
    var historyQueryTimeout: String?

    @Option(name: .long, help: "History reader connections = history queries at once; 0 = a quarter of the HTTP threads (default). Env: CCPOOL_HISTORY_READERS.")
    var historyReaders: String?

    @Option(name: .long, help: "Most targets this process runs (default 10000). Env: CCPOOL_LIMITS_MAX_TARGETS.")
    var limitsMaxTargets: String?

    @Option(name: .long, help: "Most addresses one target lists or resolves to (default 1000). Env: CCPOOL_LIMITS_MAX_ADDRESSES_PER_TARGET.")
    var limitsMaxAddressesPerTarget: String?

    @Option(name: .long, help: "Every replica's base URL, comma-separated in index order, or a template with {i} (http://ccpool-{i}.ccpool-headless:9090); lets any replica answer for the whole pool. Env: CCPOOL_PEERS.")
    var peers: String?

    @Option(name: .long, help: "How long to wait for another replica before answering without it, e.g. 2s. Env: CCPOOL_PEER_TIMEOUT.")
    var peerTimeout: String?

    @Option(name: .long, help: "apply or refuse: what to do when the database's history needs a migration (default apply). Env: CCPOOL_PENDING_MIGRATIONS.")
    var pendingMigrations: String?

    /// The flags that were given, by setting.
    var flags: [SettingKey: String] {
        let pairs: [(SettingKey, String?)] = [
            (.listen, listen), (.database, database), (.shards, shards), (.historyRetention, historyRetention),
            (.adminTokenFile, adminTokenFile), (.metricsSubchannelSeries, metricsSubchannelSeries),
            (.shutdownDeadline, shutdownDeadline), (.logLevel, logLevel), (.logFormat, logFormat),
            (.shardIndex, shardIndex), (.shardCount, shardCount),
            (.httpMaxConnections, httpMaxConnections), (.httpMaxConnectionsPerClient, httpMaxConnectionsPerClient),
            (.httpIdleTimeout, httpIdleTimeout), (.httpRequestTimeout, httpRequestTimeout),
            (.historyQueryTimeout, historyQueryTimeout), (.historyReaders, historyReaders),
            (.limitsMaxTargets, limitsMaxTargets), (.limitsMaxAddressesPerTarget, limitsMaxAddressesPerTarget),
            (.peers, peers), (.peerTimeout, peerTimeout),
            (.pendingMigrations, pendingMigrations),
        ]
        var flags: [SettingKey: String] = [:]
        for (key, value) in pairs { if let value { flags[key] = value } }
        return flags
    }

    /// Loads the settings, or prints every problem and exits 1.
    func load() throws -> ServiceSettings {
        do {
            return try ConfigLoader.load(
                configFlag: config, environment: ProcessInfo.processInfo.environment, flags: flags)
        } catch {
            FileHandle.standardError.write(Data("ccpool: invalid configuration:\n\(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
