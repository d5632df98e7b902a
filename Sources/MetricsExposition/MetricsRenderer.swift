import SharedBytes

/// Renders a `MetricsSnapshot` as every family of docs/metrics.md, in the table's order, each family once and
/// contiguous: the target families family by family straight into the output (``TargetFamiliesWriter``),
/// then the process-wide families.
///
/// Owns a reusable `ExpositionWriter` per format: after the first render the buffer keeps its capacity (and
/// its pages). Not thread-safe: one renderer per thread, or behind a lock.
public struct MetricsRenderer: ~Copyable, Sendable {
    private var text = ExpositionWriter(format: .prometheusText)
    private var openMetrics = ExpositionWriter(format: .openMetrics)

    public init() {}

    /// Renders `snapshot` and hands the bytes to `body` (valid only inside it; copy to keep them).
    public mutating func render<R>(
        _ snapshot: MetricsSnapshot, format: ExpositionFormat, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        switch format {
        case .prometheusText:
            text.reset()
            Self.write(snapshot, into: &text)
            return try text.withUnsafeBytes(body)
        case .openMetrics:
            openMetrics.reset()
            Self.write(snapshot, into: &openMetrics)
            return try openMetrics.withUnsafeBytes(body)
        }
    }

    /// Renders into a new array (convenient for tests).
    public static func render(_ snapshot: MetricsSnapshot, format: ExpositionFormat) -> [UInt8] {
        var writer = ExpositionWriter(format: format)
        write(snapshot, into: &writer)
        return writer.bytes
    }

    /// Writes every family.
    public static func write(_ snapshot: MetricsSnapshot, into w: inout ExpositionWriter) {
        writeTargetFamilies(snapshot, into: &w)
        writeProcessFamilies(snapshot, into: &w)
    }

    /// The families that describe targets, channels and subchannels, in the table's order up to and including
    /// `ccpool_targets`: all but a few dozen lines of a large pool's exposition, and a function of the
    /// snapshot's targets (and `subchannelSeries`) only, so the bytes can be kept while the pool is unchanged
    /// (``TargetFamiliesCache``).
    public static func writeTargetFamilies(_ snapshot: MetricsSnapshot, into w: inout ExpositionWriter) {
        TargetFamiliesWriter(snapshot).write(into: &w)
    }

    /// The target families as shared buffers to send one after the other. A large pool's are written in
    /// two halves on two threads at once (about 36 MB at 15,000 subchannels: the first scrape after a
    /// change waits for this). The larger of `expectedSize` (the size of the last render) and an estimate
    /// from the snapshot is reserved up front.
    public static func renderTargetFamilies(_ snapshot: MetricsSnapshot, format: ExpositionFormat, expectedSize: Int = 0)
        -> [SharedBuffer]
    {
        renderTargetFamilies(TargetFamiliesWriter(snapshot), format: format, expectedSize: expectedSize)
    }

    static func renderTargetFamilies(_ writer: borrowing TargetFamiliesWriter, format: ExpositionFormat, expectedSize: Int)
        -> [SharedBuffer]
    {
        let expectedSize = max(expectedSize, writer.estimatedSize)
        guard expectedSize >= parallelThreshold else {
            var w = ExpositionWriter(format: format, reservingCapacity: expectedSize + expectedSize / 8)
            writer.write(into: &w)
            return [w.sharedBuffer()]
        }
        let halves = writer.halves()
        // The writer is only read, by both threads.
        return concurrently(2) { i in
            var w = ExpositionWriter(format: format, reservingCapacity: expectedSize / 2 + expectedSize / 8)
            writer.write(i == 0 ? halves.0 : halves.1, into: &w)
            return w.sharedBuffer()
        }
    }

    /// Below this expected size, the target families are written on the calling thread alone.
    static let parallelThreshold = 4 << 20

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
        w.family(
            "ccpool_history_events_dropped_total", .counter,
            help: "History events dropped because the in-memory backlog was full (each run of drops leaves a gap row).")
        w.sample("ccpool_history_events_dropped_total", snapshot.history.eventsDropped)
        w.family("ccpool_history_database_bytes", .gauge, help: "Size of the history database file and its WAL.")
        w.sample("ccpool_history_database_bytes", snapshot.history.databaseBytes)

        w.family(
            "ccpool_transition_rule_violations_total", .counter,
            help: "Connectivity transitions that broke the state rules, by scope (always 0 unless ccpool has a bug).")
        for (scope, count) in [("channel", snapshot.ruleViolations.channel), ("subchannel", snapshot.ruleViolations.subchannel)] {
            w.beginSample("ccpool_transition_rule_violations_total")
            w.label("scope", scope)
            w.endSample(count)
        }

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

        w.family(
            "ccpool_peer_requests_total", .counter,
            help: "Requests this replica made to other replicas to answer for the whole pool, by peer and outcome.")
        for entry in snapshot.peers.requests {
            w.beginSample("ccpool_peer_requests_total")
            w.label("peer", entry.peer)
            w.label("outcome", entry.outcome.rawValue)
            w.endSample(entry.count)
        }
        w.family(
            "ccpool_peer_request_duration_seconds", .histogram,
            help: "Time from sending a request to another replica to its answer (or the deadline).")
        for entry in snapshot.peers.durations {
            histogram(&w, "ccpool_peer_request_duration_seconds", entry.histogram, &boundLabels) { w in
                w.label("peer", entry.peer)
            }
        }

        w.family("ccpool_shard_index", .gauge, help: "This replica's index when sharded over replicas.")
        w.sample("ccpool_shard_index", snapshot.shardIndex)
        w.family("ccpool_shard_replicas", .gauge, help: "How many replicas the targets are split over (1 when not sharded).")
        w.sample("ccpool_shard_replicas", snapshot.shardCount)

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

    /// `_bucket` (cumulative, with `le`), `_sum` and `_count` of one histogram series. `labels` writes the
    /// series' own labels; `le` comes last.
    static func histogram(
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
