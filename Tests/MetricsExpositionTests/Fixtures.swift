import Foundation
import MetricsExposition

/// A small fixed snapshot that exercises every family (golden tests, checkers).
enum Fixtures {
    static var small: MetricsSnapshot {
        var checkoutTransitions = StateCounters()
        checkoutTransitions[.idle] = 1
        checkoutTransitions[.connecting] = 2
        checkoutTransitions[.ready] = 2
        var sub1Transitions = StateCounters()
        sub1Transitions[.connecting] = 2
        sub1Transitions[.ready] = 2
        sub1Transitions[.idle] = 1
        var sub2Transitions = StateCounters()
        sub2Transitions[.connecting] = 1
        var disconnections = DisconnectCounters()
        disconnections[.goAway(.noError)] = 1
        disconnections[.connectionReset] = 1
        var connect = HistogramSnapshot(bounds: [0.01, 0.1, 1])
        connect.observe(0.005)
        connect.observe(0.05)
        connect.observe(3)
        let checkout = TargetMetrics(
            name: "checkout", state: .ready, channelTransitions: checkoutTransitions,
            subchannels: [
                SubchannelMetrics(id: 1, address: "10.0.0.1:443", state: .ready, health: .serving,
                                  lastTransitionTime: 1_760_000_000.5, transitions: sub1Transitions),
                SubchannelMetrics(id: 2, address: "10.0.0.2:443", state: .connecting, health: .unknown,
                                  lastTransitionTime: 1_760_000_001, transitions: sub2Transitions),
                // Same address as id 1 (a replacement): not rendered twice.
                SubchannelMetrics(id: 3, address: "10.0.0.1:443", state: .idle),
            ],
            connectionAttemptsSucceeded: 2, connectionAttemptsFailed: 1, disconnections: disconnections,
            securityLevel: .privacyAndIntegrity, openConnections: 1, connectDuration: connect,
            resolverUpdates: 3, resolverErrors: 0, picks: 10, pickFailures: 1)
        var paymentsTransitions = StateCounters()
        paymentsTransitions[.connecting] = 1
        paymentsTransitions[.transientFailure] = 1
        let payments = TargetMetrics(
            name: "payments", state: .transientFailure, channelTransitions: paymentsTransitions,
            subchannels: [
                SubchannelMetrics(id: 4, address: "[::1]:50051", state: .transientFailure, health: .notServing,
                                  lastTransitionTime: 1_760_000_002.125, transitions: paymentsTransitions)
            ],
            connectionAttemptsFailed: 1, connectDuration: HistogramSnapshot(bounds: [0.01, 0.1, 1]),
            resolverUpdates: 1, resolverErrors: 1)
        var metricsDuration = HistogramSnapshot(bounds: [0.01, 0.1])
        metricsDuration.observe(0.003)
        var peerDuration = HistogramSnapshot(bounds: [0.01, 0.1])
        peerDuration.observe(0.0625)
        peerDuration.observe(0.125)
        return MetricsSnapshot(
            version: 7, targets: [checkout, payments],
            history: HistoryMetrics(eventsWritten: 9, queueDepth: 2, writeErrors: 0, databaseBytes: 32768),
            configReloads: 1, configReloadFailures: 0,
            http: HTTPMetrics(
                requests: [.init(handler: "/metrics", code: 200, count: 5), .init(handler: "/v1/targets/{name}", code: 404, count: 1)],
                durations: [.init(handler: "/metrics", histogram: metricsDuration)]),
            shardIndex: 1, shardCount: 3,
            build: BuildInfo(version: "1.2.3", revision: "deadbeef", swiftVersion: "6.3.1"),
            process: ProcessMetrics(
                residentMemoryBytes: 1_048_576, virtualMemoryBytes: 2_097_152, cpuSeconds: 1.25, openFDs: 7,
                maxFDs: 20000, startTimeSeconds: 1_760_000_000.75),
            peers: PeerMetrics(
                requests: [
                    .init(peer: "http://ccpool-0.ccpool:9090", outcome: .answered, count: 1),
                    .init(peer: "http://ccpool-0.ccpool:9090", outcome: .timeout, count: 1),
                ],
                durations: [.init(peer: "http://ccpool-0.ccpool:9090", histogram: peerDuration)]))
    }

    static var directory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent() }

    /// Every family of docs/metrics.md: name (as written in the table), type, labels (without `le`).
    static let families: [(name: String, type: String, labels: Set<String>)] = [
        ("ccpool_channel_state", "gauge", ["target", "state"]),
        ("ccpool_channel_state_transitions_total", "counter", ["target", "to"]),
        ("ccpool_channels", "gauge", ["state"]),
        ("ccpool_subchannel_state", "gauge", ["target", "address", "state"]),
        ("ccpool_subchannel_state_transitions_total", "counter", ["target", "address", "to"]),
        ("ccpool_subchannel_connection_attempts_succeeded_total", "counter", ["target"]),
        ("ccpool_subchannel_connection_attempts_failed_total", "counter", ["target"]),
        ("ccpool_subchannel_disconnections_total", "counter", ["target", "reason"]),
        ("ccpool_subchannel_open_connections", "gauge", ["target", "security_level"]),
        ("ccpool_subchannel_connect_duration_seconds", "histogram", ["target"]),
        ("ccpool_subchannel_last_transition_timestamp_seconds", "gauge", ["target", "address"]),
        ("ccpool_health_check_status", "gauge", ["target", "address", "status"]),
        ("ccpool_resolver_updates_total", "counter", ["target"]),
        ("ccpool_resolver_errors_total", "counter", ["target"]),
        ("ccpool_picks_total", "counter", ["target"]),
        ("ccpool_pick_failures_total", "counter", ["target"]),
        ("ccpool_targets", "gauge", []),
        ("ccpool_history_events_written_total", "counter", []),
        ("ccpool_history_queue_depth", "gauge", []),
        ("ccpool_history_write_errors_total", "counter", []),
        ("ccpool_history_events_dropped_total", "counter", []),
        ("ccpool_history_database_bytes", "gauge", []),
        ("ccpool_transition_rule_violations_total", "counter", ["scope"]),
        ("ccpool_config_reloads_total", "counter", []),
        ("ccpool_config_reload_failures_total", "counter", []),
        ("ccpool_http_requests_total", "counter", ["handler", "code"]),
        ("ccpool_http_request_duration_seconds", "histogram", ["handler"]),
        ("ccpool_peer_requests_total", "counter", ["peer", "outcome"]),
        ("ccpool_peer_request_duration_seconds", "histogram", ["peer"]),
        ("ccpool_shard_index", "gauge", []),
        ("ccpool_shard_replicas", "gauge", []),
        ("ccpool_build_info", "gauge", ["version", "revision", "swift_version"]),
        ("process_resident_memory_bytes", "gauge", []),
        ("process_virtual_memory_bytes", "gauge", []),
        ("process_cpu_seconds_total", "counter", []),
        ("process_open_fds", "gauge", []),
        ("process_max_fds", "gauge", []),
        ("process_start_time_seconds", "gauge", []),
    ]
}
