import MetricsExposition
import SharedBytes
import Testing
import Vocabulary

/// The target families are written by a specialised writer (label sets laid out once, lines copied from
/// pieces). These tests hold it to a plain reference written here with the writer's public sample API, one
/// label at a time, over snapshots that stress what the pieces must get right.
@Suite struct TargetFamiliesTests {
    /// docs/metrics.md's target families, the obvious way.
    static func reference(_ snapshot: MetricsSnapshot, format: ExpositionFormat) -> [UInt8] {
        var w = ExpositionWriter(format: format)
        let states = ConnectivityState.allCases
        func rendered(_ target: TargetMetrics) -> [SubchannelMetrics] {
            var seen: Set<String> = []
            return target.subchannels.filter { seen.insert($0.address).inserted }
        }
        func each(_ body: (TargetMetrics) -> Void) { snapshot.targets.forEach(body) }
        func one(_ name: String, _ target: TargetMetrics, _ value: UInt64) {
            w.beginSample(name)
            w.label("target", target.name)
            w.endSample(value)
        }
        let s = snapshot.subchannelSeries

        w.family("ccpool_channel_state", .gauge, help: "1 for the channel's current state, 0 for the others.")
        each { t in for st in states { w.beginSample("ccpool_channel_state"); w.label("target", t.name); w.label("state", st.rawValue); w.endSample(t.state == st ? 1 as UInt64 : 0) } }
        w.family("ccpool_channel_state_transitions_total", .counter, help: "Channel state transitions, by the state entered.")
        each { t in for st in states { w.beginSample("ccpool_channel_state_transitions_total"); w.label("target", t.name); w.label("to", st.rawValue); w.endSample(t.channelTransitions[st]) } }
        w.family("ccpool_channels", .gauge, help: "Channels in each state.")
        for st in states { w.beginSample("ccpool_channels"); w.label("state", st.rawValue); w.endSample(UInt64(snapshot.targets.filter { $0.state == st }.count)) }
        if s {
            w.family("ccpool_subchannel_state", .gauge, help: "1 for the subchannel's current state, 0 for the others.")
            each { t in for sc in rendered(t) where sc.exists { for st in states { w.beginSample("ccpool_subchannel_state"); w.label("target", t.name); w.label("address", sc.address); w.label("state", st.rawValue); w.endSample(sc.state == st ? 1 as UInt64 : 0) } } }
            w.family("ccpool_subchannel_state_transitions_total", .counter, help: "Subchannel state transitions, by the state entered.")
            each { t in for sc in rendered(t) { for st in states { w.beginSample("ccpool_subchannel_state_transitions_total"); w.label("target", t.name); w.label("address", sc.address); w.label("to", st.rawValue); w.endSample(sc.transitions[st]) } } }
        }
        w.family("ccpool_subchannel_connection_attempts_succeeded_total", .counter, help: "Connection passes that reached READY (gRPC A94).")
        each { one("ccpool_subchannel_connection_attempts_succeeded_total", $0, $0.connectionAttemptsSucceeded) }
        w.family("ccpool_subchannel_connection_attempts_failed_total", .counter, help: "Connection passes that failed (gRPC A94).")
        each { one("ccpool_subchannel_connection_attempts_failed_total", $0, $0.connectionAttemptsFailed) }
        w.family("ccpool_subchannel_disconnections_total", .counter, help: "Subchannels leaving READY, by reason (gRPC A94).")
        each { t in for reason in DisconnectReason.allCases where t.disconnections[reason] > 0 { w.beginSample("ccpool_subchannel_disconnections_total"); w.label("target", t.name); w.label("reason", reason.description); w.endSample(t.disconnections[reason]) } }
        w.family("ccpool_subchannel_open_connections", .gauge, help: "Open transports (gRPC A94).")
        each { t in w.beginSample("ccpool_subchannel_open_connections"); w.label("target", t.name); w.label("security_level", t.securityLevel.rawValue); w.endSample(t.openConnections) }
        w.family("ccpool_subchannel_connect_duration_seconds", .histogram, help: "Time from the start of a connection pass to READY.")
        each { t in
            let h = t.connectDuration
            var cumulative: UInt64 = 0
            for (i, count) in h.bucketCounts.enumerated() {
                cumulative += count
                w.beginSample("ccpool_subchannel_connect_duration_seconds_bucket")
                w.label("target", t.name)
                w.label("le", i < h.bounds.count ? ExpositionWriter.boundLabel(h.bounds[i]) : "+Inf")
                w.endSample(cumulative)
            }
            w.beginSample("ccpool_subchannel_connect_duration_seconds_sum"); w.label("target", t.name); w.endSample(h.sum)
            one("ccpool_subchannel_connect_duration_seconds_count", t, cumulative)
        }
        if s {
            w.family("ccpool_subchannel_last_transition_timestamp_seconds", .gauge, help: "Unix time of the subchannel's last state transition.")
            each { t in for sc in rendered(t) { w.beginSample("ccpool_subchannel_last_transition_timestamp_seconds"); w.label("target", t.name); w.label("address", sc.address); w.endSample(sc.lastTransitionTime) } }
            w.family("ccpool_health_check_status", .gauge, help: "1 for the subchannel's current health-check status, 0 for the others.")
            each { t in for sc in rendered(t) where sc.exists { for h in HealthStatus.allCases { w.beginSample("ccpool_health_check_status"); w.label("target", t.name); w.label("address", sc.address); w.label("status", h.rawValue); w.endSample(sc.health == h ? 1 as UInt64 : 0) } } }
        }
        w.family("ccpool_resolver_updates_total", .counter, help: "Resolver results delivered.")
        each { one("ccpool_resolver_updates_total", $0, $0.resolverUpdates) }
        w.family("ccpool_resolver_errors_total", .counter, help: "Resolver errors delivered.")
        each { one("ccpool_resolver_errors_total", $0, $0.resolverErrors) }
        w.family("ccpool_picks_total", .counter, help: "Picks asked through the API.")
        each { one("ccpool_picks_total", $0, $0.picks) }
        w.family("ccpool_pick_failures_total", .counter, help: "Picks asked through the API that found no subchannel.")
        each { one("ccpool_pick_failures_total", $0, $0.pickFailures) }
        w.family("ccpool_targets", .gauge, help: "Targets owned by this process.")
        w.sample("ccpool_targets", UInt64(snapshot.targets.count))
        return w.bytes
    }

    static func rendered(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> [UInt8] {
        var w = ExpositionWriter(format: format)
        MetricsRenderer.writeTargetFamilies(snapshot, into: &w)
        return w.bytes
    }

    /// Names and addresses that need escaping, repeated addresses, vanished subchannels, histograms with
    /// their own bounds, huge and zero counters, fractional and whole timestamps.
    static var awkward: MetricsSnapshot {
        var snapshot = MetricsSnapshot.synthetic(targets: 30, subchannelsPerTarget: 3)
        snapshot.targets[0].name = "quote\"back\\slash\nnewline"
        snapshot.targets[1].subchannels[2].address = snapshot.targets[1].subchannels[0].address
        snapshot.targets[2].subchannels[1].exists = false
        snapshot.targets[3].subchannels[0].address = "/tmp/unix \"socket\"\\path"
        snapshot.targets[4].connectDuration = HistogramSnapshot(bounds: [0.5, 1e-4, 12345.678].sorted(), bucketCounts: [1, 0, 7, 2], sum: 0.1 + 0.2)
        snapshot.targets[5].picks = .max
        snapshot.targets[5].subchannels[1].lastTransitionTime = 1_700_000_000
        snapshot.targets[6].subchannels = []
        snapshot.targets[7].subchannels = [snapshot.targets[7].subchannels[0]]
        snapshot.targets[8].name = "ünïcödé-目標"
        snapshot.targets[9].disconnections[.goAway(.http11Required)] = 9
        snapshot.targets[9].disconnections[.unknown] = 1
        return snapshot
    }

    @Test(arguments: ExpositionFormat.allCases)
    func matchesThePlainReference(format: ExpositionFormat) {
        #expect(Self.rendered(Self.awkward, format) == Self.reference(Self.awkward, format: format))
        var withoutSubchannelSeries = Self.awkward
        withoutSubchannelSeries.subchannelSeries = false
        #expect(Self.rendered(withoutSubchannelSeries, format) == Self.reference(withoutSubchannelSeries, format: format))
        let empty = MetricsSnapshot(version: 1, build: BuildInfo(version: "v", revision: "r", swiftVersion: "s"))
        #expect(Self.rendered(empty, format) == Self.reference(empty, format: format))
    }

    @Test("a large pool's target families are written in two parts at once, together the same bytes")
    func largePoolsRenderInTwoParts() {
        for subchannelSeries in [true, false] {
            var snapshot = MetricsSnapshot.synthetic(targets: 2500, subchannelsPerTarget: 3)
            snapshot.subchannelSeries = subchannelSeries
            for format in ExpositionFormat.allCases {
                let parts = MetricsRenderer.renderTargetFamilies(snapshot, format: format)
                #expect(parts.count == 2)
                let joined = parts.flatMap { part in part.withUnsafeBytes { Array($0) } }
                #expect(joined == Self.rendered(snapshot, format), "subchannel series \(subchannelSeries), \(format)")
                // The cut balances the halves.
                let (small, large) = (min(parts[0].count, parts[1].count), max(parts[0].count, parts[1].count))
                #expect(Double(small) > 0.6 * Double(large), "\(parts[0].count) and \(parts[1].count) bytes")
            }
        }
        let small = MetricsRenderer.renderTargetFamilies(Self.awkward, format: .prometheusText)
        #expect(small.count == 1)
        #expect(small[0].withUnsafeBytes { Array($0) } == Self.rendered(Self.awkward, .prometheusText))
    }

    @Test("disconnect counters hold nothing until a reason is counted; equality and hashing see only values")
    func disconnectCountersAreLazy() {
        var counted = DisconnectCounters()
        #expect(counted.counts.isEmpty)
        counted[.connectionReset] = 0
        #expect(counted.counts.isEmpty)
        for reason in DisconnectReason.allCases { #expect(counted[reason] == 0) }

        counted[.goAway(.enhanceYourCalm)] = 3
        #expect(counted.counts.count == DisconnectReason.allCases.count)
        #expect(counted[.goAway(.enhanceYourCalm)] == 3)
        #expect(counted != DisconnectCounters())
        counted[.goAway(.enhanceYourCalm)] = 0
        // All zeros again, though now held: equal to an empty one, and hashed alike.
        #expect(!counted.counts.isEmpty)
        #expect(counted == DisconnectCounters())
        #expect(Set([counted, DisconnectCounters()]).count == 1)
    }

    @Test func escapesLabelValuesOnce() {
        let text = String(decoding: Self.rendered(Self.awkward, .prometheusText), as: UTF8.self)
        #expect(text.contains("ccpool_picks_total{target=\"quote\\\"back\\\\slash\\nnewline\"} "))
        #expect(text.contains("address=\"/tmp/unix \\\"socket\\\"\\\\path\""))
        #expect(text.contains("ccpool_picks_total{target=\"target-5\"} 18446744073709551615\n"))
    }
}
