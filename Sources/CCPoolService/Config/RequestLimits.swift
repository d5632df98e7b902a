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

    public init() {}

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
