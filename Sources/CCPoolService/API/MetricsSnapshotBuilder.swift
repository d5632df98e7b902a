import CCPoolCore
import Foundation
import MetricsExposition

/// Turns a pool snapshot into the renderer's model (METRICS.md): one entry per target, and per
/// (target, address) for the subchannel families, including addresses whose subchannel is gone
/// (their counters must keep matching the history).
enum MetricsSnapshotBuilder {
    /// Every target of `pool`, in name order.
    static func targets(_ pool: Pool) -> [TargetMetrics] {
        pool.mapTargets(target)
    }

    static func target(_ definition: PoolTarget, _ stats: TargetStats.Values) -> TargetMetrics {
        var metrics = TargetMetrics(name: definition.name, state: state(stats.state))
        for (to, count) in stats.channelTransitions { metrics.channelTransitions[state(to)] = count }
        var subchannels: [SubchannelMetrics] = []
        subchannels.reserveCapacity(stats.addressSeries.count)
        for (address, series) in stats.addressSeries {
            var counters = StateCounters()
            for (to, count) in series.transitions { counters[state(to)] = count }
            let current = series.current.flatMap { stats.subchannels[$0] }
            subchannels.append(SubchannelMetrics(
                id: UInt64(current?.id.rawValue ?? 0), address: address, state: state(current?.state ?? .shutdown),
                health: health(current?.health ?? .unknown),
                lastTransitionTime: series.lastTransition?.timeIntervalSince1970 ?? 0, transitions: counters,
                exists: current != nil))
        }
        // Addresses are the series' keys, so unique: sorting by them is a total order.
        subchannels.sort { $0.address < $1.address }
        metrics.subchannels = subchannels
        metrics.connectionAttemptsSucceeded = stats.attemptsSucceeded
        metrics.connectionAttemptsFailed = stats.attemptsFailed
        for (reason, count) in stats.disconnections { metrics.disconnections[disconnect(reason)] += count }
        metrics.securityLevel = definition.options.connectorIdentity == "plaintext" ? .none : .privacyAndIntegrity
        metrics.openConnections = UInt64(stats.openConnections)
        metrics.connectDuration = HistogramSnapshot(
            bounds: TargetStats.connectBounds, bucketCounts: stats.connectBuckets, sum: stats.connectSum)
        metrics.resolverUpdates = stats.resolverUpdates
        metrics.resolverErrors = stats.resolverErrors
        metrics.picks = stats.picks
        metrics.pickFailures = stats.pickFailures
        return metrics
    }

    // The two modules spell the same states; a switch, not a lookup by raw value (a string match per
    // subchannel showed in profiles of a 15,000-subchannel render).
    static func state(_ state: CCPoolCore.ConnectivityState) -> MetricsExposition.ConnectivityState {
        switch state {
        case .idle: .idle
        case .connecting: .connecting
        case .ready: .ready
        case .transientFailure: .transientFailure
        case .shutdown: .shutdown
        }
    }

    static func health(_ health: CCPoolCore.HealthStatus) -> MetricsExposition.HealthStatus {
        switch health {
        case .serving: .serving
        case .notServing: .notServing
        case .unknown: .unknown
        case .serviceUnknown: .serviceUnknown
        case .disabled: .disabled
        }
    }

    static func disconnect(_ reason: CCPoolCore.DisconnectReason) -> MetricsExposition.DisconnectReason {
        switch reason {
        case .goAway:
            let name = String(reason.description.dropFirst("GOAWAY ".count))
            return MetricsExposition.HTTP2ErrorCode(rawValue: name).map { .goaway($0) } ?? .unknown
        case .subchannelShutdown: return .subchannelShutdown
        case .connectionReset: return .connectionReset
        case .connectionTimedOut: return .connectionTimedOut
        case .connectionAborted: return .connectionAborted
        case .socketError: return .socketError
        case .unknown: return .unknown
        }
    }
}
