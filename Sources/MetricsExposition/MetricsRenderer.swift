/// Renders a `MetricsSnapshot` as every family of METRICS.md, in the table's order, each family once and
/// contiguous, in one pass over the snapshot per family.
///
/// Owns a reusable `ExpositionWriter` per format: after the first render the buffer keeps its capacity, so a
/// long-lived renderer renders without growing its buffer again. Not thread-safe: one renderer per thread, or
/// behind a lock (as `MetricsRenderCache` does).
public struct MetricsRenderer: Sendable {
    private var text = ExpositionWriter(format: .prometheusText)
    private var openMetrics = ExpositionWriter(format: .openMetrics)

    public init() {}

    /// Renders `snapshot` and hands the bytes to `body` (valid only inside it; copy to keep them).
    public mutating func render<R>(_ snapshot: MetricsSnapshot, format: ExpositionFormat, _ body: ([UInt8]) throws -> R)
        rethrows -> R
    {
        switch format {
        case .prometheusText:
            text.reset()
            Self.write(snapshot, into: &text)
            return try body(text.bytes)
        case .openMetrics:
            openMetrics.reset()
            Self.write(snapshot, into: &openMetrics)
            return try body(openMetrics.bytes)
        }
    }

    /// Renders into a new array (convenient for tests).
    public static func render(_ snapshot: MetricsSnapshot, format: ExpositionFormat) -> [UInt8] {
        var writer = ExpositionWriter(format: format)
        write(snapshot, into: &writer)
        return writer.bytes
    }

    static let states = ConnectivityState.allCases
    static let healthStatuses = HealthStatus.allCases

    /// Writes every family: the target families, then the process-wide ones.
    public static func write(_ snapshot: MetricsSnapshot, into w: inout ExpositionWriter) {
        writeTargetFamilies(snapshot, into: &w)
        writeProcessFamilies(snapshot, into: &w)
    }

    /// The families that describe targets, channels and subchannels, in the table's order up to and including
    /// `ccpool_targets`: all but a few dozen lines of a large pool's exposition, and a function of the
    /// snapshot's targets (and `subchannelSeries`) only, so the bytes can be kept while the pool is unchanged
    /// (``TargetFamiliesCache``).
    public static func writeTargetFamilies(_ snapshot: MetricsSnapshot, into w: inout ExpositionWriter) {
        let targets = snapshot.targets

        w.family("ccpool_channel_state", .gauge, help: "1 for the channel's current state, 0 for the others.")
        for target in targets {
            for state in states {
                w.beginSample("ccpool_channel_state")
                w.label("target", target.name)
                w.label("state", state.rawValue)
                w.endSample(target.state == state ? 1 as UInt64 : 0)
            }
        }

        w.family("ccpool_channel_state_transitions_total", .counter, help: "Channel state transitions, by the state entered.")
        for target in targets {
            for state in states {
                w.beginSample("ccpool_channel_state_transitions_total")
                w.label("target", target.name)
                w.label("to", state.rawValue)
                w.endSample(target.channelTransitions[state])
            }
        }

        w.family("ccpool_channels", .gauge, help: "Channels in each state.")
        var perState = StateCounters()
        for target in targets { perState[target.state] += 1 }
        for state in states {
            w.beginSample("ccpool_channels")
            w.label("state", state.rawValue)
            w.endSample(perState[state])
        }

        if snapshot.subchannelSeries {
            w.family("ccpool_subchannel_state", .gauge, help: "1 for the subchannel's current state, 0 for the others.")
            forEachSubchannel(targets) { target, subchannel in
                guard subchannel.exists else { return }
                for state in states {
                    w.beginSample("ccpool_subchannel_state")
                    w.label("target", target.name)
                    w.label("address", subchannel.address)
                    w.label("state", state.rawValue)
                    w.endSample(subchannel.state == state ? 1 as UInt64 : 0)
                }
            }

            w.family("ccpool_subchannel_state_transitions_total", .counter, help: "Subchannel state transitions, by the state entered.")
            forEachSubchannel(targets) { target, subchannel in
                for state in states {
                    w.beginSample("ccpool_subchannel_state_transitions_total")
                    w.label("target", target.name)
                    w.label("address", subchannel.address)
                    w.label("to", state.rawValue)
                    w.endSample(subchannel.transitions[state])
                }
            }
        }

        perTarget(&w, targets, "ccpool_subchannel_connection_attempts_succeeded_total", .counter,
                  "Connection passes that reached READY (gRPC A94).") { $0.connectionAttemptsSucceeded }
        perTarget(&w, targets, "ccpool_subchannel_connection_attempts_failed_total", .counter,
                  "Connection passes that failed (gRPC A94).") { $0.connectionAttemptsFailed }

        w.family("ccpool_subchannel_disconnections_total", .counter, help: "Subchannels leaving READY, by reason (gRPC A94).")
        let reasons = DisconnectReason.allCases.map { ($0.index, $0.label) }
        for target in targets {
            let counts = target.disconnections.counts
            for (index, label) in reasons where counts[index] > 0 {
                w.beginSample("ccpool_subchannel_disconnections_total")
                w.label("target", target.name)
                w.label("reason", label)
                w.endSample(counts[index])
            }
        }

        w.family("ccpool_subchannel_open_connections", .gauge, help: "Open transports (gRPC A94).")
        for target in targets {
            w.beginSample("ccpool_subchannel_open_connections")
            w.label("target", target.name)
            w.label("security_level", target.securityLevel.rawValue)
            w.endSample(target.openConnections)
        }

        w.family("ccpool_subchannel_connect_duration_seconds", .histogram, help: "Time from the start of a connection pass to READY.")
        var boundLabels = BoundLabelCache()
        for target in targets {
            histogram(&w, "ccpool_subchannel_connect_duration_seconds", target.connectDuration, &boundLabels) { w in
                w.label("target", target.name)
            }
        }

        if snapshot.subchannelSeries {
            w.family("ccpool_subchannel_last_transition_timestamp_seconds", .gauge, help: "Unix time of the subchannel's last state transition.")
            forEachSubchannel(targets) { target, subchannel in
                w.beginSample("ccpool_subchannel_last_transition_timestamp_seconds")
                w.label("target", target.name)
                w.label("address", subchannel.address)
                w.endSample(subchannel.lastTransitionTime)
            }

            w.family("ccpool_health_check_status", .gauge, help: "1 for the subchannel's current health-check status, 0 for the others.")
            forEachSubchannel(targets) { target, subchannel in
                guard subchannel.exists else { return }
                for status in healthStatuses {
                    w.beginSample("ccpool_health_check_status")
                    w.label("target", target.name)
                    w.label("address", subchannel.address)
                    w.label("status", status.rawValue)
                    w.endSample(subchannel.health == status ? 1 as UInt64 : 0)
                }
            }
        }

        perTarget(&w, targets, "ccpool_resolver_updates_total", .counter, "Resolver results delivered.") { $0.resolverUpdates }
        perTarget(&w, targets, "ccpool_resolver_errors_total", .counter, "Resolver errors delivered.") { $0.resolverErrors }
        perTarget(&w, targets, "ccpool_picks_total", .counter, "Picks asked through the API.") { $0.picks }
        perTarget(&w, targets, "ccpool_pick_failures_total", .counter, "Picks asked through the API that found no subchannel.") { $0.pickFailures }

        w.family("ccpool_targets", .gauge, help: "Targets owned by this process.")
        w.sample("ccpool_targets", UInt64(targets.count))
    }

    /// The process-wide families after the target families (history, config reloads, HTTP, shard, build,
    /// process) and the end of the exposition (OpenMetrics' `# EOF`). Ignores the snapshot's targets.
    public static func writeProcessFamilies(_ snapshot: MetricsSnapshot, into w: inout ExpositionWriter) {
        var boundLabels = BoundLabelCache()
        w.family("ccpool_history_events_written_total", .counter, help: "History rows committed.")
        w.sample("ccpool_history_events_written_total", snapshot.history.eventsWritten)
        w.family("ccpool_history_queue_depth", .gauge, help: "History events accepted but not yet committed.")
        w.sample("ccpool_history_queue_depth", snapshot.history.queueDepth)
        w.family("ccpool_history_write_errors_total", .counter, help: "Failed history commits (each is retried).")
        w.sample("ccpool_history_write_errors_total", snapshot.history.writeErrors)
        w.family("ccpool_history_database_bytes", .gauge, help: "Size of the history database file and its WAL.")
        w.sample("ccpool_history_database_bytes", snapshot.history.databaseBytes)

        w.family("ccpool_config_reloads_total", .counter, help: "Configuration reloads (SIGHUP or admin).")
        w.sample("ccpool_config_reloads_total", snapshot.configReloads)
        w.family("ccpool_config_reload_failures_total", .counter, help: "Configuration reloads rejected.")
        w.sample("ccpool_config_reload_failures_total", snapshot.configReloadFailures)

        w.family("ccpool_http_requests_total", .counter, help: "HTTP requests served, by handler and status code.")
        for entry in snapshot.http.requests {
            w.beginSample("ccpool_http_requests_total")
            w.label("handler", entry.handler)
            w.label("code", String(entry.code))
            w.endSample(entry.count)
        }
        w.family("ccpool_http_request_duration_seconds", .histogram, help: "Time to answer an HTTP request.")
        for entry in snapshot.http.durations {
            histogram(&w, "ccpool_http_request_duration_seconds", entry.histogram, &boundLabels) { w in
                w.label("handler", entry.handler)
            }
        }

        w.family("ccpool_shard_index", .gauge, help: "This replica's index when sharded over replicas.")
        w.sample("ccpool_shard_index", snapshot.shardIndex)
        w.family("ccpool_shard_count", .gauge, help: "How many replicas share the targets.")
        w.sample("ccpool_shard_count", snapshot.shardCount)

        w.family("ccpool_build_info", .gauge, help: "Build information; always 1.")
        w.beginSample("ccpool_build_info")
        w.label("version", snapshot.build.version)
        w.label("revision", snapshot.build.revision)
        w.label("swift_version", snapshot.build.swiftVersion)
        w.endSample(1 as UInt64)

        if let process = snapshot.process {
            w.family("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.")
            w.sample("process_resident_memory_bytes", process.residentMemoryBytes)
            w.family("process_virtual_memory_bytes", .gauge, help: "Virtual memory size in bytes.")
            w.sample("process_virtual_memory_bytes", process.virtualMemoryBytes)
            w.family("process_cpu_seconds_total", .counter, help: "Total user and system CPU time spent in seconds.")
            w.sample("process_cpu_seconds_total", process.cpuSeconds)
            w.family("process_open_fds", .gauge, help: "Number of open file descriptors.")
            w.sample("process_open_fds", process.openFDs)
            w.family("process_max_fds", .gauge, help: "Maximum number of open file descriptors.")
            w.sample("process_max_fds", process.maxFDs)
            w.family("process_start_time_seconds", .gauge, help: "Start time of the process since unix epoch in seconds.")
            w.sample("process_start_time_seconds", process.startTimeSeconds)
        }

        w.finish()
    }

    /// A family with one unlabelled-but-`target` sample per target.
    private static func perTarget(
        _ w: inout ExpositionWriter, _ targets: [TargetMetrics], _ name: String, _ type: MetricType, _ help: String,
        _ value: (TargetMetrics) -> UInt64
    ) {
        w.family(name, type, help: help)
        for target in targets {
            w.beginSample(name)
            w.label("target", target.name)
            w.endSample(value(target))
        }
    }

    /// Calls `body` for every subchannel to render: the first one per (target, address).
    private static func forEachSubchannel(
        _ targets: [TargetMetrics], _ body: (TargetMetrics, SubchannelMetrics) -> Void
    ) {
        for target in targets {
            let subchannels = target.subchannels
            if subchannels.count <= 1 {
                if let only = subchannels.first { body(target, only) }
                continue
            }
            var seen: Set<String> = []
            for subchannel in subchannels where seen.insert(subchannel.address).inserted {
                body(target, subchannel)
            }
        }
    }

    /// `_bucket` (cumulative, with `le`), `_sum` and `_count` of one histogram series. `labels` writes the
    /// series' own labels; `le` comes last.
    private static func histogram(
        _ w: inout ExpositionWriter, _ name: String, _ h: HistogramSnapshot, _ boundLabels: inout BoundLabelCache,
        labels: (inout ExpositionWriter) -> Void
    ) {
        let les = boundLabels.labels(for: h.bounds)
        let bucket = name + "_bucket"
        var cumulative: UInt64 = 0
        for i in 0..<h.bucketCounts.count {
            cumulative += h.bucketCounts[i]
            w.beginSample(bucket)
            labels(&w)
            w.label("le", les[i])
            w.endSample(cumulative)
        }
        w.beginSample(name + "_sum")
        labels(&w)
        w.endSample(h.sum)
        w.beginSample(name + "_count")
        labels(&w)
        w.endSample(cumulative)
    }
}

/// `le` label texts per distinct bounds array, computed once per render (bounds arrays are usually shared).
struct BoundLabelCache {
    private var bounds: [Double] = []
    private var cached: [String] = []

    mutating func labels(for bounds: [Double]) -> [String] {
        if bounds != self.bounds || cached.isEmpty {
            self.bounds = bounds
            cached = bounds.map(ExpositionWriter.boundLabel) + ["+Inf"]
        }
        return cached
    }
}
