/// The families with series per target, in METRICS.md's order (`ccpool_channels`, a pool-wide family, is
/// written by the renderer right after `channelTransitions`).
enum TargetFamily: Int, CaseIterable {
    case channelState, channelTransitions
    case subchannelState, subchannelTransitions
    case attemptsSucceeded, attemptsFailed, disconnections, openConnections, connectDuration
    case lastTransitionTimestamp, healthCheckStatus
    case resolverUpdates, resolverErrors, picks, pickFailures

    var name: String {
        switch self {
        case .channelState: "ccpool_channel_state"
        case .channelTransitions: "ccpool_channel_state_transitions_total"
        case .subchannelState: "ccpool_subchannel_state"
        case .subchannelTransitions: "ccpool_subchannel_state_transitions_total"
        case .attemptsSucceeded: "ccpool_subchannel_connection_attempts_succeeded_total"
        case .attemptsFailed: "ccpool_subchannel_connection_attempts_failed_total"
        case .disconnections: "ccpool_subchannel_disconnections_total"
        case .openConnections: "ccpool_subchannel_open_connections"
        case .connectDuration: "ccpool_subchannel_connect_duration_seconds"
        case .lastTransitionTimestamp: "ccpool_subchannel_last_transition_timestamp_seconds"
        case .healthCheckStatus: "ccpool_health_check_status"
        case .resolverUpdates: "ccpool_resolver_updates_total"
        case .resolverErrors: "ccpool_resolver_errors_total"
        case .picks: "ccpool_picks_total"
        case .pickFailures: "ccpool_pick_failures_total"
        }
    }

    var type: MetricType {
        switch self {
        case .channelState, .subchannelState, .openConnections, .lastTransitionTimestamp, .healthCheckStatus: .gauge
        case .connectDuration: .histogram
        default: .counter
        }
    }

    var help: String {
        switch self {
        case .channelState: "1 for the channel's current state, 0 for the others."
        case .channelTransitions: "Channel state transitions, by the state entered."
        case .subchannelState: "1 for the subchannel's current state, 0 for the others."
        case .subchannelTransitions: "Subchannel state transitions, by the state entered."
        case .attemptsSucceeded: "Connection passes that reached READY (gRPC A94)."
        case .attemptsFailed: "Connection passes that failed (gRPC A94)."
        case .disconnections: "Subchannels leaving READY, by reason (gRPC A94)."
        case .openConnections: "Open transports (gRPC A94)."
        case .connectDuration: "Time from the start of a connection pass to READY."
        case .lastTransitionTimestamp: "Unix time of the subchannel's last state transition."
        case .healthCheckStatus: "1 for the subchannel's current health-check status, 0 for the others."
        case .resolverUpdates: "Resolver results delivered."
        case .resolverErrors: "Resolver errors delivered."
        case .picks: "Picks asked through the API."
        case .pickFailures: "Picks asked through the API that found no subchannel."
        }
    }

    /// METRICS.md's **S** families, left out with `metrics.subchannel_series: false`.
    var isSubchannelSeries: Bool {
        switch self {
        case .subchannelState, .subchannelTransitions, .lastTransitionTimestamp, .healthCheckStatus: true
        default: false
        }
    }
}

/// One target's samples of every per-target family, rendered once, cut per family.
struct TargetFragment: Sendable {
    let bytes: [UInt8]
    /// Where each family's samples end in `bytes` (indexed by `TargetFamily.rawValue`).
    let ends: [Int]

    func range(of family: TargetFamily) -> Range<Int> {
        (family.rawValue == 0 ? 0 : ends[family.rawValue - 1])..<ends[family.rawValue]
    }
}

/// The fragments of the last render, by target name, with the metrics they were rendered from.
struct TargetFragments: Sendable {
    private struct Kept: Sendable {
        let metrics: TargetMetrics
        let fragment: TargetFragment
    }

    private var kept: [String: Kept] = [:]
    private var subchannelSeries = true

    init() {}

    /// Keeps `fragments` (in the order of `targets`) for the next render.
    init(keeping fragments: [TargetFragment], of targets: [TargetMetrics], subchannelSeries: Bool) {
        self.subchannelSeries = subchannelSeries
        kept.reserveCapacity(targets.count)
        for (target, fragment) in zip(targets, fragments) { kept[target.name] = Kept(metrics: target, fragment: fragment) }
    }

    /// The fragments for `snapshot`'s targets: the kept one where the target's metrics are unchanged, a new
    /// render otherwise.
    func fragments(for snapshot: MetricsSnapshot, format: ExpositionFormat) -> [TargetFragment] {
        var writer = ExpositionWriter(format: format)
        var boundLabels = BoundLabelCache()
        let sameSettings = snapshot.subchannelSeries == subchannelSeries
        return snapshot.targets.map { target in
            if sameSettings, let previous = kept[target.name], previous.metrics == target { return previous.fragment }
            return Self.render(target, into: &writer, subchannelSeries: snapshot.subchannelSeries, &boundLabels)
        }
    }

    /// Every target rendered afresh.
    static func render(_ targets: [TargetMetrics], format: ExpositionFormat, subchannelSeries: Bool) -> [TargetFragment] {
        var writer = ExpositionWriter(format: format)
        var boundLabels = BoundLabelCache()
        return targets.map { render($0, into: &writer, subchannelSeries: subchannelSeries, &boundLabels) }
    }

    /// One target's fragment; `writer` is scratch space (reset here, its capacity reused).
    static func render(
        _ target: TargetMetrics, into w: inout ExpositionWriter, subchannelSeries: Bool, _ boundLabels: inout BoundLabelCache
    ) -> TargetFragment {
        w.reset()
        var ends: [Int] = []
        ends.reserveCapacity(TargetFamily.allCases.count)
        for family in TargetFamily.allCases {
            if subchannelSeries || !family.isSubchannelSeries { writeSamples(family, of: target, into: &w, &boundLabels) }
            ends.append(w.bytes.count)
        }
        return TargetFragment(bytes: w.bytes, ends: ends)
    }

    /// The samples `target` contributes to `family`.
    private static func writeSamples(
        _ family: TargetFamily, of target: TargetMetrics, into w: inout ExpositionWriter, _ boundLabels: inout BoundLabelCache
    ) {
        let states = MetricsRenderer.states
        switch family {
        case .channelState:
            for state in states {
                w.beginSample(family.name)
                w.label("target", target.name)
                w.label("state", state.rawValue)
                w.endSample(target.state == state ? 1 as UInt64 : 0)
            }
        case .channelTransitions:
            for state in states {
                w.beginSample(family.name)
                w.label("target", target.name)
                w.label("to", state.rawValue)
                w.endSample(target.channelTransitions[state])
            }
        case .subchannelState:
            forEachSubchannel(of: target) { subchannel in
                guard subchannel.exists else { return }
                for state in states {
                    w.beginSample(family.name)
                    w.label("target", target.name)
                    w.label("address", subchannel.address)
                    w.label("state", state.rawValue)
                    w.endSample(subchannel.state == state ? 1 as UInt64 : 0)
                }
            }
        case .subchannelTransitions:
            forEachSubchannel(of: target) { subchannel in
                for state in states {
                    w.beginSample(family.name)
                    w.label("target", target.name)
                    w.label("address", subchannel.address)
                    w.label("to", state.rawValue)
                    w.endSample(subchannel.transitions[state])
                }
            }
        case .attemptsSucceeded: targetSample(family, target, target.connectionAttemptsSucceeded, &w)
        case .attemptsFailed: targetSample(family, target, target.connectionAttemptsFailed, &w)
        case .disconnections:
            let counts = target.disconnections.counts
            for (index, label) in disconnectReasons where counts[index] > 0 {
                w.beginSample(family.name)
                w.label("target", target.name)
                w.label("reason", label)
                w.endSample(counts[index])
            }
        case .openConnections:
            w.beginSample(family.name)
            w.label("target", target.name)
            w.label("security_level", target.securityLevel.rawValue)
            w.endSample(target.openConnections)
        case .connectDuration:
            MetricsRenderer.histogram(&w, family.name, target.connectDuration, &boundLabels) { w in
                w.label("target", target.name)
            }
        case .lastTransitionTimestamp:
            forEachSubchannel(of: target) { subchannel in
                w.beginSample(family.name)
                w.label("target", target.name)
                w.label("address", subchannel.address)
                w.endSample(subchannel.lastTransitionTime)
            }
        case .healthCheckStatus:
            forEachSubchannel(of: target) { subchannel in
                guard subchannel.exists else { return }
                for status in MetricsRenderer.healthStatuses {
                    w.beginSample(family.name)
                    w.label("target", target.name)
                    w.label("address", subchannel.address)
                    w.label("status", status.rawValue)
                    w.endSample(subchannel.health == status ? 1 as UInt64 : 0)
                }
            }
        case .resolverUpdates: targetSample(family, target, target.resolverUpdates, &w)
        case .resolverErrors: targetSample(family, target, target.resolverErrors, &w)
        case .picks: targetSample(family, target, target.picks, &w)
        case .pickFailures: targetSample(family, target, target.pickFailures, &w)
        }
    }

    /// Each disconnect reason's counter index and label, in render order.
    private static let disconnectReasons = DisconnectReason.allCases.map { ($0.index, $0.label) }

    /// A sample whose only label is `target`.
    private static func targetSample(_ family: TargetFamily, _ target: TargetMetrics, _ value: UInt64, _ w: inout ExpositionWriter) {
        w.beginSample(family.name)
        w.label("target", target.name)
        w.endSample(value)
    }

    /// Calls `body` for every subchannel to render: the first one per address.
    private static func forEachSubchannel(of target: TargetMetrics, _ body: (SubchannelMetrics) -> Void) {
        let subchannels = target.subchannels
        if subchannels.count <= 1 {
            if let only = subchannels.first { body(only) }
            return
        }
        var seen: Set<String> = []
        for subchannel in subchannels where seen.insert(subchannel.address).inserted { body(subchannel) }
    }
}
