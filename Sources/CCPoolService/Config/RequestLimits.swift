import CCPoolCore

/// The limits that keep one client from taking the service's HTTP threads, connections, memory or history
/// store from everyone else (probes and scrapes first): the `http.*` settings and the history query limits.
///
/// Every field is a setting of the file that `CCPOOL_*` and flags override like the others (``SettingKey``).
/// The defaults are safe for a service reachable by untrusted clients.
public struct RequestLimits: Hashable, Sendable {
    /// `http.max_connections`: connections served at once, over all clients.
    public var maxConnections = 1024
    /// `http.max_connections_per_client`: connections one client address may hold at once; more are closed
    /// as soon as they are accepted.
    public var maxConnectionsPerClient = 64
    /// `http.idle_timeout`: a connection on which nothing arrives this long is closed.
    public var idleTimeout: DurationText = .seconds(30)
    /// `http.request_timeout`: a request's line, headers and body must all arrive within this time of the
    /// connection opening (or of the previous response), however steadily they trickle in.
    public var requestTimeout: DurationText = .seconds(15)
    /// `history.query_timeout`: the longest one history statement may run; a query that needs more answers
    /// 503 `query_timeout`.
    public var historyQueryTimeout: DurationText = .seconds(2)
    /// `history.readers`: read-only history connections, which is also how many history queries, availability
    /// computations and target pages may run at once (more answer 503 `overloaded`); 0 means a quarter of
    /// the HTTP threads, at least 2.
    public var historyReaders = 0
    /// `limits.max_targets`: targets this process runs (config file and admin API together).
    public var maxTargets = 10_000
    /// `limits.max_addresses_per_target`: addresses one target may list (`ipv4:`/`ipv6:`) or resolve to (DNS
    /// answers beyond it are dropped), so one target cannot make the pool open thousands of subchannels.
    public var maxAddressesPerTarget = 1_000

    public init() {}

    /// The standard resolvers, with DNS answers cut to ``maxAddressesPerTarget``.
    public var resolvers: ResolverRegistry {
        var registry = ResolverRegistry.standard
        let cap = maxAddressesPerTarget
        registry.register(DNSResolverBuilder(lookup: { host, port, eventLoop in
            SystemDNS.lookup(host, port, eventLoop).map { Array($0.prefix(cap)) }
        }))
        return registry
    }

    /// What is over a limit in `spec` (a listed address count), or nil.
    public func problem(with spec: TargetSpec) -> String? {
        let target = spec.parsedTarget
        guard target.scheme == "ipv4" || target.scheme == "ipv6" else { return nil }
        let count = target.endpoint.split(separator: ",").count
        guard count > maxAddressesPerTarget else { return nil }
        return "target lists \(count) addresses; limits.max_addresses_per_target allows \(maxAddressesPerTarget)"
    }

    /// The problems of a loaded configuration with these limits (file targets over the caps).
    func diagnostics(for targets: [ConfiguredTarget]) -> [ConfigDiagnostic] {
        var found: [ConfigDiagnostic] = []
        if targets.count > maxTargets {
            found.append(.init(
                origin: .none, path: "targets",
                message: "\(targets.count) targets; limits.max_targets allows \(maxTargets)"))
        }
        for (index, target) in targets.enumerated() {
            if let problem = problem(with: target.spec) {
                found.append(.init(origin: .none, path: "targets[\(index)].target", message: problem))
            }
        }
        return found
    }

    /// The history readers to open for `httpThreads` HTTP threads.
    public func historyReaderCount(httpThreads: Int) -> Int {
        historyReaders > 0 ? historyReaders : max(2, httpThreads / 4)
    }

    /// Ids a history query without a target or subchannel looks at per page.
    public static let historyScanWindow: Int64 = 200_000

    /// Checks one layer's value of a limit's `key` and stores it; false when `key` is not a limit.
    static func apply(_ key: SettingKey, _ node: ConfigNode, to limits: inout RequestLimits, _ reader: inout ConfigReader) -> Bool {
        let path = key.rawValue
        switch key {
        case .httpMaxConnections:
            if let value = reader.integer(node, path, in: 1...100_000) { limits.maxConnections = value }
        case .httpMaxConnectionsPerClient:
            if let value = reader.integer(node, path, in: 1...100_000) { limits.maxConnectionsPerClient = value }
        case .httpIdleTimeout:
            if let value = reader.wholeSeconds(node, path) { limits.idleTimeout = value }
        case .httpRequestTimeout:
            if let value = reader.wholeSeconds(node, path) { limits.requestTimeout = value }
        case .historyQueryTimeout:
            if let value = reader.positiveDuration(node, path) { limits.historyQueryTimeout = value }
        case .historyReaders:
            if let value = reader.integer(node, path, in: 0...256) { limits.historyReaders = value }
        case .limitsMaxTargets:
            if let value = reader.integer(node, path, in: 1...1_000_000) { limits.maxTargets = value }
        case .limitsMaxAddressesPerTarget:
            if let value = reader.integer(node, path, in: 1...100_000) { limits.maxAddressesPerTarget = value }
        default:
            return false
        }
        return true
    }
}

extension ConfigReader {
    /// A positive duration in whole seconds (libmicrohttpd counts its timeouts in seconds), at most a day.
    mutating func wholeSeconds(_ node: ConfigNode, _ path: String) -> DurationText? {
        guard let value = positiveDuration(node, path) else { return nil }
        guard value.nanoseconds % 1_000_000_000 == 0, value <= .seconds(86_400) else {
            report(path, at: node, "must be whole seconds from 1s to 24h, got \(value)")
            return nil
        }
        return value
    }
}
