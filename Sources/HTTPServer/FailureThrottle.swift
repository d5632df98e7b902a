/// Counts failed admin-token attempts per client address in fixed windows, to refuse a client that keeps
/// guessing.
///
/// A client with ``maxFailures`` failures in one ``window`` is refused until that window ends. The table is
/// bounded (``maxClients``): when full, windows that ended are dropped first, then the whole table (a flood of
/// distinct addresses then costs the attacker its own counts, never the memory of the process).
struct FailureThrottle: Sendable {
    static let maxFailures = 10
    static let window: Duration = .seconds(60)
    static let maxClients = 10_000

    private var clients: [String: (count: Int, windowStart: ContinuousClock.Instant)] = [:]

    /// How long `client` must still wait, or nil when it may try.
    func blocked(_ client: String, now: ContinuousClock.Instant) -> Duration? {
        guard let entry = clients[client], entry.count >= Self.maxFailures else { return nil }
        let end = entry.windowStart.advanced(by: Self.window)
        return end > now ? now.duration(to: end) : nil
    }

    mutating func recordFailure(_ client: String, now: ContinuousClock.Instant) {
        if var entry = clients[client], entry.windowStart.advanced(by: Self.window) > now {
            entry.count += 1
            clients[client] = entry
            return
        }
        if clients.count >= Self.maxClients {
            clients = clients.filter { $0.value.windowStart.advanced(by: Self.window) > now }
            if clients.count >= Self.maxClients { clients.removeAll() }
        }
        clients[client] = (1, now)
    }
}
