// /metrics render time (issue 10 §5): ccpool's renderer (MetricsExposition) against swift-prometheus 2.4.1's
// `PrometheusCollectorRegistry.emit(into:)`, both writing the same series in the same process.
//
// The series are MetricsBenchmark's synthetic snapshots (~10k and ~100k series). The same snapshot is loaded
// into a swift-prometheus registry (one Gauge/Counter/ValueHistogram per series, with the same names, labels
// and values), once, outside the timing. Then each side renders into a buffer it reuses (capacity kept), in
// alternating rounds; a round's time is one whole render. Prints one JSON object per size on stdout and
// details on stderr.
//
// Usage: PrometheusEmitBench [rounds]   (run it built in release)
import Foundation
import MetricsExposition
import Prometheus
import Vocabulary

let rounds = CommandLine.arguments.count > 1 ? max(1, Int(CommandLine.arguments[1]) ?? 15) : 15
let clock = ContinuousClock()

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
}

/// Loads every series of `snapshot` (the families MetricsRenderer writes, with its help texts) into `registry`.
func load(_ snapshot: MetricsSnapshot, into registry: PrometheusCollectorRegistry) {
    func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
        registry.makeGauge(descriptor: descriptor(name, help), labels: labels).set(value)
    }
    func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: UInt64) {
        registry.makeCounter(descriptor: descriptor(name, help), labels: labels).increment(by: Int64(value))
    }
    func histogram(_ name: String, _ help: String, _ labels: [(String, String)], _ h: HistogramSnapshot) {
        let series = registry.makeValueHistogram(descriptor: descriptor(name, help), labels: labels, buckets: h.bounds)
        // The same count in every bucket: one observation at the bucket's upper bound per count (the overflow
        // bucket's above the last bound). `_sum` then differs from the snapshot's, the bucket lines do not.
        for (i, count) in h.bucketCounts.enumerated() where count > 0 {
            let value = i < h.bounds.count ? h.bounds[i] : (h.bounds.last ?? 1) * 2
            for _ in 0..<count { series.record(value) }
        }
    }
    let states = ConnectivityState.allCases
    let targets = snapshot.targets
    for t in targets {
        for s in states {
            gauge("ccpool_channel_state", "1 for the channel's current state, 0 for the others.",
                  [("target", t.name), ("state", s.rawValue)], t.state == s ? 1 : 0)
            counter("ccpool_channel_state_transitions_total", "Channel state transitions, by the state entered.",
                    [("target", t.name), ("to", s.rawValue)], t.channelTransitions[s])
        }
    }
    for s in states {
        gauge("ccpool_channels", "Channels in each state.", [("state", s.rawValue)],
              Double(targets.filter { $0.state == s }.count))
    }
    for t in targets {
        var seen: Set<String> = []
        for sub in t.subchannels where seen.insert(sub.address).inserted {
            let labels = [("target", t.name), ("address", sub.address)]
            for s in states {
                if sub.exists {
                    gauge("ccpool_subchannel_state", "1 for the subchannel's current state, 0 for the others.",
                          labels + [("state", s.rawValue)], sub.state == s ? 1 : 0)
                }
                counter("ccpool_subchannel_state_transitions_total", "Subchannel state transitions, by the state entered.",
                        labels + [("to", s.rawValue)], sub.transitions[s])
            }
            gauge("ccpool_subchannel_last_transition_timestamp_seconds", "Unix time of the subchannel's last state transition.",
                  labels, sub.lastTransitionTime)
            if sub.exists {
                for h in HealthStatus.allCases {
                    gauge("ccpool_health_check_status", "1 for the subchannel's current health-check status, 0 for the others.",
                          labels + [("status", h.rawValue)], sub.health == h ? 1 : 0)
                }
            }
        }
        let target = [("target", t.name)]
        counter("ccpool_subchannel_connection_attempts_succeeded_total", "Connection passes that reached READY (gRPC A94).",
                target, t.connectionAttemptsSucceeded)
        counter("ccpool_subchannel_connection_attempts_failed_total", "Connection passes that failed (gRPC A94).",
                target, t.connectionAttemptsFailed)
        for reason in DisconnectReason.allCases where t.disconnections[reason] > 0 {
            counter("ccpool_subchannel_disconnections_total", "Subchannels leaving READY, by reason (gRPC A94).",
                    target + [("reason", reason.label)], t.disconnections[reason])
        }
        gauge("ccpool_subchannel_open_connections", "Open transports (gRPC A94).",
              target + [("security_level", t.securityLevel.rawValue)], Double(t.openConnections))
        histogram("ccpool_subchannel_connect_duration_seconds", "Time from the start of a connection pass to READY.",
                  target, t.connectDuration)
        counter("ccpool_resolver_updates_total", "Resolver results delivered.", target, t.resolverUpdates)
        counter("ccpool_resolver_errors_total", "Resolver errors delivered.", target, t.resolverErrors)
        counter("ccpool_picks_total", "Picks asked through the API.", target, t.picks)
        counter("ccpool_pick_failures_total", "Picks asked through the API that found no subchannel.", target, t.pickFailures)
    }
    gauge("ccpool_targets", "Targets owned by this process.", [], Double(targets.count))
    counter("ccpool_history_events_written_total", "History rows committed.", [], snapshot.history.eventsWritten)
    gauge("ccpool_history_queue_depth", "History events accepted but not yet committed.", [], Double(snapshot.history.queueDepth))
    counter("ccpool_history_write_errors_total", "Failed history commits (each is retried).", [], snapshot.history.writeErrors)
    gauge("ccpool_history_database_bytes", "Size of the history database file and its WAL.", [], Double(snapshot.history.databaseBytes))
    counter("ccpool_config_reloads_total", "Configuration reloads (SIGHUP or admin).", [], snapshot.configReloads)
    counter("ccpool_config_reload_failures_total", "Configuration reloads rejected.", [], snapshot.configReloadFailures)
    for r in snapshot.http.requests {
        counter("ccpool_http_requests_total", "HTTP requests served, by handler and status code.",
                [("handler", r.handler), ("code", String(r.code))], r.count)
    }
    for d in snapshot.http.durations {
        histogram("ccpool_http_request_duration_seconds", "Time to answer an HTTP request.", [("handler", d.handler)], d.histogram)
    }
    gauge("ccpool_shard_index", "This replica's index when sharded over replicas.", [], Double(snapshot.shardIndex))
    gauge("ccpool_shard_replicas", "How many replicas the targets are split over (1 when not sharded).", [], Double(snapshot.shardCount))
    gauge("ccpool_build_info", "Build information; always 1.",
          [("version", snapshot.build.version), ("revision", snapshot.build.revision),
           ("swift_version", snapshot.build.swiftVersion)], 1)
}

/// swift-prometheus wants the name split; the whole name as `metricName` with an empty unit gives it back.
func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

struct Shape: Equatable {
    var samples = 0
    var families = 0
    var bytes = 0
}

/// Sample lines (not comments) and `# TYPE` lines.
func shape(_ bytes: [UInt8]) -> Shape {
    var s = Shape(bytes: bytes.count)
    for line in bytes.split(separator: UInt8(ascii: "\n")) {
        if line.first == UInt8(ascii: "#") {
            if line.starts(with: "# TYPE ".utf8) { s.families += 1 }
        } else {
            s.samples += 1
        }
    }
    return s
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

func formatted(_ v: Double) -> String { String(format: "%.3f", v) }

for (label, targetCount) in [("10k", 205), ("100k", 2041)] {
    let snapshot = MetricsSnapshot.synthetic(targets: targetCount, subchannelsPerTarget: 1)
    let registry = PrometheusCollectorRegistry()
    let loadTime = clock.measure { load(snapshot, into: registry) }

    var renderer = MetricsRenderer()
    var ccpoolShape = Shape()
    renderer.render(snapshot, format: .prometheusText) { ccpoolShape = shape(Array($0)) }
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    let referenceShape = shape(buffer)

    var sink = 0
    var ccpoolTimes: [Double] = []
    var referenceTimes: [Double] = []
    for _ in 0..<rounds {
        ccpoolTimes.append(milliseconds(clock.measure {
            sink &+= renderer.render(snapshot, format: .prometheusText) { $0.count }
        }))
        referenceTimes.append(milliseconds(clock.measure {
            buffer.removeAll(keepingCapacity: true)
            registry.emit(into: &buffer)
            sink &+= buffer.count
        }))
    }
    let ccpoolMedian = median(ccpoolTimes)
    let referenceMedian = median(referenceTimes)
    log("\(label): ccpool \(ccpoolShape.samples) samples in \(ccpoolShape.families) families, \(ccpoolShape.bytes) bytes; "
        + "swift-prometheus \(referenceShape.samples) samples in \(referenceShape.families) families, "
        + "\(referenceShape.bytes) bytes; loading the registry took \(formatted(milliseconds(loadTime))) ms (not timed below)")
    log("\(label): render ms over \(rounds) rounds: ccpool median \(formatted(ccpoolMedian)) min \(formatted(ccpoolTimes.min()!)); "
        + "swift-prometheus emit median \(formatted(referenceMedian)) min \(formatted(referenceTimes.min()!)) (checksum \(sink % 1000))")
    let fields: [String] = [
        "\"label\": \"\(label)\"", "\"rounds\": \(rounds)",
        "\"ccpool_ms\": \(formatted(ccpoolMedian))", "\"ccpool_min_ms\": \(formatted(ccpoolTimes.min()!))",
        "\"reference_ms\": \(formatted(referenceMedian))", "\"reference_min_ms\": \(formatted(referenceTimes.min()!))",
        "\"ccpool_samples\": \(ccpoolShape.samples)", "\"reference_samples\": \(referenceShape.samples)",
        "\"ccpool_families\": \(ccpoolShape.families)", "\"reference_families\": \(referenceShape.families)",
        "\"ccpool_bytes\": \(ccpoolShape.bytes)", "\"reference_bytes\": \(referenceShape.bytes)",
        "\"load_ms\": \(formatted(milliseconds(loadTime)))",
    ]
    print("{" + fields.joined(separator: ", ") + "}")
}
