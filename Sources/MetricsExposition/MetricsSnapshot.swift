import Vocabulary

/// The transport security of a target's connections (gRPC A94 `security_level`).
public enum SecurityLevel: String, Sendable, CaseIterable, Hashable {
    case none = "none"
    case integrityOnly = "integrity_only"
    case privacyAndIntegrity = "privacy_and_integrity"
}

/// A counter per connectivity state (transitions *to* each state), held inline: a snapshot of 15,000 targets
/// holds 30,000 of them.
public typealias StateCounters = StateCounts

/// A counter per disconnect reason.
///
/// `counts` stays empty (no allocation) until a reason is counted: most targets of a healthy pool never
/// disconnect, and a snapshot holds one of these per target. Equality and hashing see only the values.
public struct DisconnectCounters: Sendable, Hashable {
    /// One count per ``DisconnectReason/allCases``, or empty when every count is 0.
    public private(set) var counts: [UInt64] = []
    public init() {}
    public subscript(reason: DisconnectReason) -> UInt64 {
        get { counts.isEmpty ? 0 : counts[reason.index] }
        set {
            if counts.isEmpty {
                if newValue == 0 { return }
                counts = [UInt64](repeating: 0, count: DisconnectReason.allCases.count)
            }
            counts[reason.index] = newValue
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        DisconnectReason.allCases.allSatisfy { lhs[$0] == rhs[$0] }
    }

    public func hash(into hasher: inout Hasher) {
        for reason in DisconnectReason.allCases { hasher.combine(self[reason]) }
    }
}

/// A histogram's state: upper bounds (shared between series; arrays are copy-on-write), a count per bucket
/// (not cumulative; one more than `bounds` for the `+Inf` overflow), and the sum of observations.
public struct HistogramSnapshot: Sendable, Hashable {
    public var bounds: [Double]
    public var bucketCounts: [UInt64]
    public var sum: Double

    public init(bounds: [Double], bucketCounts: [UInt64]? = nil, sum: Double = 0) {
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "histogram bounds must increase")
        self.bounds = bounds
        self.bucketCounts = bucketCounts ?? [UInt64](repeating: 0, count: bounds.count + 1)
        precondition(self.bucketCounts.count == bounds.count + 1, "one count per bound plus +Inf")
        self.sum = sum
    }

    /// Records one observation.
    public mutating func observe(_ value: Double) {
        var i = 0
        while i < bounds.count && value > bounds[i] { i += 1 }
        bucketCounts[i] += 1
        sum += value
    }

    public var count: UInt64 { bucketCounts.reduce(0, +) }

    /// Adds `other`'s observations (the same bounds) to these.
    public mutating func add(_ other: HistogramSnapshot) {
        precondition(other.bounds == bounds, "histograms with different bounds")
        for i in bucketCounts.indices { bucketCounts[i] += other.bucketCounts[i] }
        sum += other.sum
    }

    /// Default bounds for connection set-up times, in seconds.
    public static let connectBounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Default bounds for HTTP answer times, in seconds.
    public static let httpBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
}

/// One subchannel of a target.
public struct SubchannelMetrics: Sendable, Hashable {
    public var id: UInt64
    /// `host:port` or the unix path.
    public var address: String
    public var state: ConnectivityState
    public var health: HealthStatus
    /// Unix time of the last state transition, in seconds.
    public var lastTransitionTime: Double
    /// Transitions into each state.
    public var transitions: StateCounters
    /// False for an address whose subchannel is gone: its transition counters and last
    /// transition time stay (they must keep matching the history), its state and health
    /// one-hots do not (only subchannels that exist have a state).
    public var exists: Bool

    public init(
        id: UInt64, address: String, state: ConnectivityState, health: HealthStatus = .unknown,
        lastTransitionTime: Double = 0, transitions: StateCounters = StateCounters(), exists: Bool = true
    ) {
        self.exists = exists
        self.id = id
        self.address = address
        self.state = state
        self.health = health
        self.lastTransitionTime = lastTransitionTime
        self.transitions = transitions
    }
}

/// One target (one channel) of the pool.
public struct TargetMetrics: Sendable, Hashable {
    /// The target's name (label `target`).
    public var name: String
    public var state: ConnectivityState
    public var channelTransitions: StateCounters
    /// Subchannels in render order; a second subchannel with an address already seen is not rendered
    /// (its series would duplicate the first's).
    public var subchannels: [SubchannelMetrics]
    public var connectionAttemptsSucceeded: UInt64
    public var connectionAttemptsFailed: UInt64
    public var disconnections: DisconnectCounters
    public var securityLevel: SecurityLevel
    public var openConnections: UInt64
    public var connectDuration: HistogramSnapshot
    public var resolverUpdates: UInt64
    public var resolverErrors: UInt64
    public var picks: UInt64
    public var pickFailures: UInt64

    public init(
        name: String, state: ConnectivityState, channelTransitions: StateCounters = StateCounters(),
        subchannels: [SubchannelMetrics] = [], connectionAttemptsSucceeded: UInt64 = 0,
        connectionAttemptsFailed: UInt64 = 0, disconnections: DisconnectCounters = DisconnectCounters(),
        securityLevel: SecurityLevel = .none, openConnections: UInt64 = 0,
        connectDuration: HistogramSnapshot = HistogramSnapshot(bounds: HistogramSnapshot.connectBounds),
        resolverUpdates: UInt64 = 0, resolverErrors: UInt64 = 0, picks: UInt64 = 0, pickFailures: UInt64 = 0
    ) {
        self.name = name
        self.state = state
        self.channelTransitions = channelTransitions
        self.subchannels = subchannels
        self.connectionAttemptsSucceeded = connectionAttemptsSucceeded
        self.connectionAttemptsFailed = connectionAttemptsFailed
        self.disconnections = disconnections
        self.securityLevel = securityLevel
        self.openConnections = openConnections
        self.connectDuration = connectDuration
        self.resolverUpdates = resolverUpdates
        self.resolverErrors = resolverErrors
        self.picks = picks
        self.pickFailures = pickFailures
    }
}

/// History writer counters.
public struct HistoryMetrics: Sendable, Hashable {
    public var eventsWritten: UInt64 = 0
    public var queueDepth: UInt64 = 0
    public var writeErrors: UInt64 = 0
    /// Events dropped because the in-memory backlog was full.
    public var eventsDropped: UInt64 = 0
    public var databaseBytes: UInt64 = 0
    public init(
        eventsWritten: UInt64 = 0, queueDepth: UInt64 = 0, writeErrors: UInt64 = 0, eventsDropped: UInt64 = 0,
        databaseBytes: UInt64 = 0
    ) {
        self.eventsWritten = eventsWritten
        self.queueDepth = queueDepth
        self.writeErrors = writeErrors
        self.eventsDropped = eventsDropped
        self.databaseBytes = databaseBytes
    }
}

/// HTTP server counters: requests per (handler, code) and answer times per handler, each in render order.
public struct HTTPMetrics: Sendable, Hashable {
    public struct RequestCount: Sendable, Hashable {
        public var handler: String
        public var code: Int
        public var count: UInt64
        public init(handler: String, code: Int, count: UInt64) {
            self.handler = handler
            self.code = code
            self.count = count
        }
    }
    public struct Duration: Sendable, Hashable {
        public var handler: String
        public var histogram: HistogramSnapshot
        public init(handler: String, histogram: HistogramSnapshot) {
            self.handler = handler
            self.histogram = histogram
        }
    }
    public var requests: [RequestCount]
    public var durations: [Duration]
    public init(requests: [RequestCount] = [], durations: [Duration] = []) {
        self.requests = requests
        self.durations = durations
    }
}

/// `ccpool_transition_rule_violations_total`, by scope.
public struct RuleViolations: Sendable, Hashable {
    public var channel: UInt64
    public var subchannel: UInt64
    public init(channel: UInt64 = 0, subchannel: UInt64 = 0) {
        self.channel = channel
        self.subchannel = subchannel
    }
}

/// `ccpool_build_info` labels.
public struct BuildInfo: Sendable, Hashable {
    public var version: String
    public var revision: String
    public var swiftVersion: String
    public init(version: String, revision: String, swiftVersion: String) {
        self.version = version
        self.revision = revision
        self.swiftVersion = swiftVersion
    }
}

/// Everything `/metrics` shows, captured at one moment. The pool fills it; the renderer only reads it.
///
/// `version` identifies the state it was taken from: two snapshots with the same version must render the
/// same bytes (the render cache relies on it), so whoever builds snapshots bumps the version whenever anything
/// here changes — including the process metrics, if they should refresh (for example at most once a second).
/// Targets render in array order: keep it sorted by name for stable output.
public struct MetricsSnapshot: Sendable {
    public var version: UInt64
    public var targets: [TargetMetrics]
    /// The **S** families of docs/metrics.md (`metrics.subchannel_series`).
    public var subchannelSeries: Bool
    public var history: HistoryMetrics
    public var configReloads: UInt64
    public var configReloadFailures: UInt64
    public var http: HTTPMetrics
    /// Requests to the other replicas (empty when not sharded).
    public var peers: PeerMetrics
    public var shardIndex: UInt64
    public var shardCount: UInt64
    public var build: BuildInfo
    /// nil leaves the `process_*` families out (tests; platforms without /proc).
    public var process: ProcessMetrics?
    /// Illegal connectivity transitions seen by this process (zero unless ccpool has a bug).
    public var ruleViolations = RuleViolations()

    public init(
        version: UInt64, targets: [TargetMetrics] = [], subchannelSeries: Bool = true,
        history: HistoryMetrics = HistoryMetrics(), configReloads: UInt64 = 0, configReloadFailures: UInt64 = 0,
        http: HTTPMetrics = HTTPMetrics(), shardIndex: UInt64 = 0, shardCount: UInt64 = 1,
        build: BuildInfo, process: ProcessMetrics? = nil, peers: PeerMetrics = PeerMetrics()
    ) {
        self.peers = peers
        self.version = version
        self.targets = targets
        self.subchannelSeries = subchannelSeries
        self.history = history
        self.configReloads = configReloads
        self.configReloadFailures = configReloadFailures
        self.http = http
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.build = build
        self.process = process
    }
}
