import Foundation

/// A scalar setting of the config file that the environment and the command line can override.
///
/// The raw value is the setting's path in the file (`history.retention`); the environment
/// variable is `CCPOOL_` + that path in upper case with `.` as `_` (`CCPOOL_HISTORY_RETENTION`);
/// the flag is `--` + the path with `.` and `_` as `-` (`--history-retention`). Targets are not
/// overridable: they come from the file (and the admin API).
public enum SettingKey: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case listen
    case database
    case shards
    case historyRetention = "history.retention"
    case adminTokenFile = "admin_token_file"
    case metricsSubchannelSeries = "metrics.subchannel_series"
    case shutdownDeadline = "shutdown_deadline"
    case logLevel = "log_level"
    case logFormat = "log_format"
    case shardIndex = "shard_index"
    case shardCount = "shard_count"
    case httpMaxConnections = "http.max_connections"
    case httpMaxConnectionsPerClient = "http.max_connections_per_client"
    case httpIdleTimeout = "http.idle_timeout"
    case httpRequestTimeout = "http.request_timeout"
    case historyQueryTimeout = "history.query_timeout"
    case historyReaders = "history.readers"
    case limitsMaxTargets = "limits.max_targets"
    case limitsMaxAddressesPerTarget = "limits.max_addresses_per_target"
    case peers
    case peerTimeout = "peer_timeout"
    case pendingMigrations = "pending_migrations"

    /// `CCPOOL_HISTORY_RETENTION`.
    public var environmentVariable: String {
        "CCPOOL_" + rawValue.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// `--history-retention`.
    public var flagName: String {
        "--" + rawValue.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "_", with: "-")
    }

    public var description: String { rawValue }

    /// The environment variable naming the config file (flag `--config`).
    public static let configFileVariable = "CCPOOL_CONFIG"
    /// The environment variable holding the admin token itself (instead of `admin_token_file`).
    public static let adminTokenVariable = "CCPOOL_ADMIN_TOKEN"
}

/// Which layer a setting's value came from. Precedence: flag > environment > file > default.
public enum SettingSource: String, Hashable, Sendable, Comparable {
    case `default`, file, environment, flag

    private var rank: Int {
        switch self {
        case .default: 0
        case .file: 1
        case .environment: 2
        case .flag: 3
        }
    }

    public static func < (lhs: SettingSource, rhs: SettingSource) -> Bool { lhs.rank < rhs.rank }
}
