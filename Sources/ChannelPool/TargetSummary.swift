import CCPoolCore
import Foundation
import Vocabulary

/// What the dashboard's overview shows of one target: name, URI, labels, channel state and since when, LB
/// policy, and its subchannels' states. Read by ``Pool/summaries()`` under each target's lock, copying only
/// these values (no counters, no channel options), so listing 5,000 targets stays cheap.
public struct TargetSummary: Sendable {
    public var name: String
    public var uri: String
    public var labels: [String: String]
    public var state: ConnectivityState
    public var since: Date
    public var lbPolicy: String
    public var subchannelStates: [ConnectivityState]

    public init(
        name: String, uri: String, labels: [String: String], state: ConnectivityState, since: Date,
        lbPolicy: String, subchannelStates: [ConnectivityState]
    ) {
        self.name = name
        self.uri = uri
        self.labels = labels
        self.state = state
        self.since = since
        self.lbPolicy = lbPolicy
        self.subchannelStates = subchannelStates
    }

    public init(definition: PoolTarget, stats: TargetStats) {
        name = definition.name
        uri = definition.uri
        labels = definition.labels
        (state, since, lbPolicy, subchannelStates) = stats.read { values in
            (values.state, values.since, values.lbPolicy, values.subchannels.values.map(\.state))
        }
    }

    public init(_ snapshot: TargetSnapshot) {
        name = snapshot.definition.name
        uri = snapshot.definition.uri
        labels = snapshot.definition.labels
        state = snapshot.stats.state
        since = snapshot.stats.since
        lbPolicy = snapshot.stats.lbPolicy
        subchannelStates = snapshot.stats.subchannels.values.map(\.state)
    }
}
