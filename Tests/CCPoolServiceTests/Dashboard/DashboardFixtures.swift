import CCPoolCore
@testable import CCPoolService
import ChannelPool
import Foundation
import History
import Vocabulary

/// Synthetic pool snapshots and history rows for the dashboard tests.
enum DashboardFixtures {
    static let states: [ConnectivityState] = [.ready, .connecting, .idle, .transientFailure, .shutdown]
    /// 2026-01-01T00:00:00Z in microseconds.
    static let t0: Int64 = 1_767_225_600_000_000

    static func target(
        _ name: String, state: ConnectivityState = .ready, uri: String? = nil, labels: [String: String] = [:],
        subchannels: [(id: Int64, state: ConnectivityState, reason: String?)] = [], health: String? = nil,
        since: Date = Date(timeIntervalSince1970: 1_767_225_600)
    ) -> TargetSnapshot {
        let uri = uri ?? "dns:///\(name).internal:50051"
        let config = ServiceConfig(balancerName: subchannels.count > 1 ? "round_robin" : "pick_first", healthCheckServiceName: health)
        let definition = PoolTarget(
            name: name, uri: uri, target: try! ResolverRegistry.standard.parse(uri),
            options: ChannelOptions(serviceConfig: config), labels: labels, source: .config)
        var values = TargetStats.Values(since: since, lbPolicy: config.balancerName)
        values.state = state
        for (index, subchannel) in subchannels.enumerated() {
            let id = SubchannelID(rawValue: subchannel.id)
            let address = Address.hostPort(host: "10.0.0.\(index + 1)", port: 50051)
            values.subchannels[id] = TargetStats.Subchannel(
                id: id, addresses: [address], connectedAddress: subchannel.state == .ready ? address : nil,
                state: subchannel.state, since: since, health: subchannel.state == .ready ? .serving : .unknown,
                lastReason: subchannel.reason)
        }
        return TargetSnapshot(definition: definition, shard: 0, stats: values)
    }

    /// `count` targets named `t00000`…, states cycling through the five, three subchannels each.
    static func many(_ count: Int) -> [TargetSnapshot] {
        (0..<count).map { index in
            let state = states[index % states.count]
            return target(
                String(format: "t%05d", index), state: state, labels: ["team": "team\(index % 7)", "zone": "z\(index % 3)"],
                subchannels: [(Int64(index * 3), .ready, "health: SERVING"), (Int64(index * 3 + 1), state, "connection refused"),
                              (Int64(index * 3 + 2), .idle, nil)])
        }
    }

    static func event(
        _ id: Int64, at seconds: Int64, _ from: ConnectivityState, _ to: ConnectivityState, subchannel: Int64? = nil,
        reason: String = "", target: String = "t", address: String? = nil
    ) -> StoredEvent {
        StoredEvent(id: id, event: HistoryEvent(
            time: t0 + seconds * 1_000_000, target: target, scope: subchannel == nil ? .channel : .subchannel,
            subchannel: subchannel, address: address ?? subchannel.map { "10.0.0.\($0):50051" }, from: from, to: to,
            reason: reason))
    }

    static func micros(_ seconds: Int64) -> Int64 { t0 + seconds * 1_000_000 }
}

/// The overview reads `TargetSummary`s; the fixtures build full snapshots.
extension OverviewPage {
    static func select(_ targets: [TargetSnapshot], _ query: OverviewQuery) -> Selection {
        select(targets.map(TargetSummary.init), query)
    }

    static func render(_ targets: [TargetSnapshot], query: OverviewQuery, context: Context) -> String {
        render(targets.map(TargetSummary.init), query: query, context: context)
    }
}
