import Vocabulary

extension MetricsSnapshot {
    /// A deterministic snapshot of `targets` targets with `subchannelsPerTarget` subchannels each, every
    /// counter and histogram non-trivially filled. For tests and benchmarks only; the service builds its
    /// snapshots from the pool.
    public static func synthetic(
        version: UInt64 = 1, targets targetCount: Int, subchannelsPerTarget: Int = 1, process: ProcessMetrics? = nil
    ) -> MetricsSnapshot {
        let states = ConnectivityState.allCases
        let healths = HealthStatus.allCases
        var targets: [TargetMetrics] = []
        targets.reserveCapacity(targetCount)
        var subchannelID: UInt64 = 0
        for t in 0..<targetCount {
            var transitions = StateCounters()
            for (i, state) in states.enumerated() { transitions[state] = UInt64(t % 7 + i) }
            var subchannels: [SubchannelMetrics] = []
            for s in 0..<subchannelsPerTarget {
                subchannelID += 1
                var subTransitions = StateCounters()
                subTransitions[.connecting] = UInt64(s + 2)
                subTransitions[.ready] = UInt64(s + 1)
                subchannels.append(SubchannelMetrics(
                    id: subchannelID, address: "10.\(t / 65536 % 256).\(t / 256 % 256).\(t % 256):\(50051 + s)",
                    state: states[(t + s) % states.count], health: healths[(t + s) % healths.count],
                    lastTransitionTime: 1_760_000_000.25 + Double(t), transitions: subTransitions))
            }
            var disconnections = DisconnectCounters()
            if t % 3 == 0 { disconnections[.goAway(.noError)] = UInt64(t % 5 + 1) }
            if t % 4 == 0 { disconnections[.connectionReset] = 1 }
            var connect = HistogramSnapshot(bounds: HistogramSnapshot.connectBounds)
            for k in 0..<(t % 5 + 1) { connect.observe(0.002 * Double(k + 1) + 0.0001 * Double(t % 10)) }
            targets.append(TargetMetrics(
                name: "target-\(String(t, radix: 10))", state: states[t % states.count],
                channelTransitions: transitions, subchannels: subchannels,
                connectionAttemptsSucceeded: UInt64(t % 11), connectionAttemptsFailed: UInt64(t % 3),
                disconnections: disconnections, securityLevel: t % 2 == 0 ? .none : .privacyAndIntegrity,
                openConnections: UInt64(subchannelsPerTarget), connectDuration: connect,
                resolverUpdates: UInt64(t % 13 + 1), resolverErrors: UInt64(t % 2), picks: UInt64(t * 3),
                pickFailures: UInt64(t % 4)))
        }
        var metricsDuration = HistogramSnapshot(bounds: HistogramSnapshot.httpBounds)
        metricsDuration.observe(0.0042)
        metricsDuration.observe(0.012)
        return MetricsSnapshot(
            version: version, targets: targets,
            history: HistoryMetrics(eventsWritten: 1234, queueDepth: 5, writeErrors: 1, databaseBytes: 1 << 20),
            configReloads: 2, configReloadFailures: 1,
            http: HTTPMetrics(
                requests: [
                    .init(handler: "/metrics", code: 200, count: 17), .init(handler: "/v1/targets", code: 200, count: 3),
                ],
                durations: [.init(handler: "/metrics", histogram: metricsDuration)]),
            shardIndex: 0, shardCount: 1,
            build: BuildInfo(version: "0.1.0", revision: "abc1234", swiftVersion: "6.3.1"), process: process,
            peers: PeerMetrics(
                requests: [.init(peer: "http://ccpool-1.ccpool:9090", outcome: .answered, count: 4)],
                durations: [.init(peer: "http://ccpool-1.ccpool:9090", histogram: metricsDuration)]))
    }
}
