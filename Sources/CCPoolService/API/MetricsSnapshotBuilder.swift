import CCPoolCore
import ChannelPool
import Foundation
import MetricsExposition
import Vocabulary

/// Turns a pool snapshot into the renderer's model (docs/metrics.md): one entry per target, and per
/// (target, address) for the subchannel families, including addresses whose subchannel is gone
/// (their counters must keep matching the history).
enum MetricsSnapshotBuilder {
    /// Every target of `pool`, in name order, each read under its target's lock without copying its stats.
    /// A large pool is read in two halves on two threads at once.
    static func targets(_ pool: Pool) -> [TargetMetrics] {
        let all = pool.targetsByName()
        guard all.count >= 1024 else { return all.map { entry in entry.stats.read { target(entry.definition, $0) } } }
        // Each thread initialises its half of one array in place (no second copy of 15,000 targets to join
        // the halves).
        return [TargetMetrics](unsafeUninitializedCapacity: all.count) { buffer, count in
            let middle = all.count / 2
            let start = SendablePointer(buffer.baseAddress!)
            _ = concurrently(2) { i in
                for index in i == 0 ? 0..<middle : middle..<all.count {
                    let entry = all[index]
                    (start.pointer + index).initialize(to: entry.stats.read { target(entry.definition, $0) })
                }
                return 0
            }
            count = all.count
        }
    }

    /// The start of the array being filled, shared by the two threads that fill it. Unchecked but safe: they
    /// write disjoint index ranges, and nothing reads the array until both have returned.
    private struct SendablePointer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<TargetMetrics>
        init(_ pointer: UnsafeMutablePointer<TargetMetrics>) { self.pointer = pointer }
    }

    static func target(_ definition: PoolTarget, _ stats: TargetStats.Values) -> TargetMetrics {
        var metrics = TargetMetrics(name: definition.name, state: stats.state)
        for state in ConnectivityState.allCases { metrics.channelTransitions[state] = stats.channelTransitions[state] }
        var subchannels: [SubchannelMetrics] = []
        subchannels.reserveCapacity(stats.addressSeries.count)
        for (address, series) in stats.addressSeries {
            var counters = StateCounters()
            for state in ConnectivityState.allCases { counters[state] = series.transitions[state] }
            let current = series.current.flatMap { stats.subchannels[$0] }
            subchannels.append(SubchannelMetrics(
                id: UInt64(current?.id.rawValue ?? 0), address: address, state: current?.state ?? .shutdown,
                health: current?.health ?? .unknown,
                lastTransitionTime: series.lastTransition?.timeIntervalSince1970 ?? 0, transitions: counters,
                exists: current != nil))
        }
        // Addresses are the series' keys, so unique: sorting by them is a total order.
        subchannels.sort { $0.address < $1.address }
        metrics.subchannels = subchannels
        metrics.connectionAttemptsSucceeded = stats.attemptsSucceeded
        metrics.connectionAttemptsFailed = stats.attemptsFailed
        for (reason, count) in stats.disconnections { metrics.disconnections[reason] += count }
        metrics.securityLevel = definition.connectorIdentity == "plaintext" ? .none : .privacyAndIntegrity
        metrics.openConnections = UInt64(stats.openConnections)
        metrics.connectDuration = HistogramSnapshot(
            bounds: TargetStats.connectBounds, bucketCounts: stats.connectBuckets, sum: stats.connectSum)
        metrics.resolverUpdates = stats.resolverUpdates
        metrics.resolverErrors = stats.resolverErrors
        metrics.picks = stats.picks
        metrics.pickFailures = stats.pickFailures
        return metrics
    }
}
