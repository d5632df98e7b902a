import Vocabulary

/// The families with series per target, in docs/metrics.md's order (`ccpool_channels`, a pool-wide family, is
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

    /// The **S** families of docs/metrics.md, left out with `metrics.subchannel_series: false`.
    var isSubchannelSeries: Bool {
        switch self {
        case .subchannelState, .subchannelTransitions, .lastTransitionTimestamp, .healthCheckStatus: true
        default: false
        }
    }
}


/// Writes the target families family by family, every target's series in snapshot order, straight into the
/// output.
///
/// Most of a sample line is a byte string many lines share: the sample name, the label set of its target or
/// subchannel (`{target="…",address="…"`, escaped once per render, not once per line) and the closing label
/// with the value's separator (`,state="READY"} `). Those are laid out once in an arena, so a line is a few
/// copies of known lengths and a decimal value: no escaping, no strings, no allocation per line.
struct TargetFamiliesWriter: ~Copyable {
    /// A byte string in the arena.
    struct Piece {
        var offset: Int
        var count: Int
    }

    private var arena: ExpositionWriter
    private let targets: [TargetMetrics]
    private let subchannelSeries: Bool

    /// Sample names by family (`…_bucket`, `…_sum` and `…_count` for the histogram).
    private var names: [Piece] = []
    private var bucketName = Piece(offset: 0, count: 0)
    private var sumName = Piece(offset: 0, count: 0)
    private var countName = Piece(offset: 0, count: 0)
    /// `} `: closes a label set that has nothing more after the head.
    private var close = Piece(offset: 0, count: 0)
    /// Closing labels by `ConnectivityState.allCases` / `HealthStatus.allCases` / reason / security level.
    private var stateLabels: [Piece] = []
    private var toLabels: [Piece] = []
    private var statusLabels: [Piece] = []
    private var reasonLabels: [Piece] = []
    private var securityLabels: [SecurityLevel: Piece] = [:]
    /// `,le="…"} ` per distinct bounds array, and which one each target's histogram uses.
    private var leLabels: [[Piece]] = []
    private var leOfTarget: [Int] = []
    /// `{target="…"` per target.
    private var targetHeads: [Piece] = []
    /// `{target="…",address="…"` per subchannel to render (the first per address), with its index in the
    /// target's `subchannels`; a target's run is `firstSubchannel[t]..<firstSubchannel[t + 1]`.
    private var subchannelHeads: [Piece] = []
    private var subchannelIndex: [Int] = []
    private var firstSubchannel: [Int] = []

    init(_ snapshot: MetricsSnapshot) {
        targets = snapshot.targets
        subchannelSeries = snapshot.subchannelSeries
        arena = ExpositionWriter(format: .prometheusText, reservingCapacity: 4096 + targets.count * 256)
        layOutPieces()
        layOutHeads()
    }

    private mutating func piece(_ write: (inout ExpositionWriter) -> Void) -> Piece {
        let offset = arena.count
        write(&arena)
        return Piece(offset: offset, count: arena.count - offset)
    }

    private mutating func piece(_ text: String) -> Piece { piece { $0.append(text) } }

    /// `,name="value"} `
    private mutating func closingLabel(_ name: String, _ value: String) -> Piece {
        piece { arena in
            arena.append(",\(name)=\"")
            arena.appendEscaped(value, quotes: true)
            arena.append("\"} ")
        }
    }

    private mutating func layOutPieces() {
        names = TargetFamily.allCases.map { piece($0.name) }
        let histogram = TargetFamily.connectDuration.name
        bucketName = piece(histogram + "_bucket")
        sumName = piece(histogram + "_sum")
        countName = piece(histogram + "_count")
        close = piece("} ")
        stateLabels = ConnectivityState.allCases.map { closingLabel("state", $0.rawValue) }
        toLabels = ConnectivityState.allCases.map { closingLabel("to", $0.rawValue) }
        statusLabels = HealthStatus.allCases.map { closingLabel("status", $0.rawValue) }
        reasonLabels = DisconnectReason.allCases.map { closingLabel("reason", $0.description) }
        for level in SecurityLevel.allCases { securityLabels[level] = closingLabel("security_level", level.rawValue) }
    }

    private mutating func layOutHeads() {
        targetHeads.reserveCapacity(targets.count)
        leOfTarget.reserveCapacity(targets.count)
        firstSubchannel.reserveCapacity(targets.count + 1)
        var lastBounds: [Double]?
        // Read in place, as in writeSamples: iterating would copy every target (and retain all it holds).
        let targets = self.targets
        targets.withUnsafeBufferPointer { targets in layOutHeads(of: targets, lastBounds: &lastBounds) }
        firstSubchannel.append(subchannelHeads.count)
    }

    private mutating func layOutHeads(of targets: UnsafeBufferPointer<TargetMetrics>, lastBounds: inout [Double]?) {
        for t in targets.indices {
            let target = targets.baseAddress! + t  // read in place: `target.pointee.field`
            targetHeads.append(piece { arena in
                arena.append("{target=\"")
                arena.appendEscaped(target.pointee.name, quotes: true)
                arena.appendByte(UInt8(ascii: "\""))
            })
            let bounds = target.pointee.connectDuration.bounds
            if bounds != lastBounds {
                lastBounds = bounds
                leLabels.append((bounds.map(ExpositionWriter.boundLabel) + ["+Inf"]).map { closingLabel("le", $0) })
            }
            leOfTarget.append(leLabels.count - 1)

            firstSubchannel.append(subchannelHeads.count)
            var seen: Set<String> = []
            for (index, subchannel) in target.pointee.subchannels.enumerated() {
                // A second subchannel with an address already seen would duplicate the first's series.
                if target.pointee.subchannels.count > 1, !seen.insert(subchannel.address).inserted { continue }
                subchannelHeads.append(piece { arena in
                    arena.append("{target=\"")
                    arena.appendEscaped(target.pointee.name, quotes: true)
                    arena.append("\",address=\"")
                    arena.appendEscaped(subchannel.address, quotes: true)
                    arena.appendByte(UInt8(ascii: "\""))
                })
                subchannelIndex.append(index)
            }
        }
    }

    /// Every target family with its samples, and `ccpool_channels` and `ccpool_targets`, in docs/metrics.md's order.
    func write(into w: inout ExpositionWriter) {
        write(TargetFamily.allCases[...], into: &w)
    }

    /// `families` (a run of `TargetFamily.allCases`) with their samples, `ccpool_channels` when the run
    /// includes the channel transitions, and `ccpool_targets` when it ends with the last family: the runs
    /// of one split, written one after the other, are the whole of ``write(into:)``.
    func write(_ families: ArraySlice<TargetFamily>, into w: inout ExpositionWriter) {
        arena.withUnsafeBytes { arena in
            let lines = Lines(arena: arena.baseAddress!)
            for family in families {
                if family.isSubchannelSeries && !subchannelSeries { continue }
                w.family(family.name, family.type, help: family.help)
                writeSamples(of: family, lines, into: &w)
                if family == .channelTransitions { writeChannelCounts(into: &w) }
            }
        }
        if families.endIndex == TargetFamily.allCases.endIndex { writeTargetCount(into: &w) }
    }

    /// Where a piecewise write (``write(from:into:atLeast:)``) stands.
    struct Position {
        /// The family being written, as an index into `TargetFamily.allCases`; `allCases.count` once only
        /// `ccpool_targets` is left.
        var family = 0
        /// The next target of that family.
        var target = 0
        var finished = false
    }

    /// Targets written per step of a piecewise write between checks of the budget.
    private static let targetsPerStep = 64

    /// Writes on from `position`, in document order, until `w` has grown by at least `bytes` or the target
    /// families end, and moves `position` past what it wrote. Returns false, writing nothing, once
    /// everything has been written. The steps, one after the other, write exactly ``write(into:)``: a body
    /// can be sent as it is written instead of being held whole.
    func write(from position: inout Position, into w: inout ExpositionWriter, atLeast bytes: Int) -> Bool {
        guard !position.finished else { return false }
        let families = TargetFamily.allCases
        let limit = w.count + bytes
        arena.withUnsafeBytes { arena in
            let lines = Lines(arena: arena.baseAddress!)
            targets.withUnsafeBufferPointer { all in
                while position.family < families.count && w.count < limit {
                    let family = families[position.family]
                    if family.isSubchannelSeries && !subchannelSeries {
                        position.family += 1
                        continue
                    }
                    if position.target == 0 { w.family(family.name, family.type, help: family.help) }
                    let end = min(all.count, position.target + Self.targetsPerStep)
                    writeSamples(of: family, all, position.target..<end, lines, into: &w)
                    position.target = end
                    if end == all.count {
                        if family == .channelTransitions { writeChannelCounts(into: &w) }
                        position.family += 1
                        position.target = 0
                    }
                }
            }
        }
        if position.family == families.count && w.count < limit {
            writeTargetCount(into: &w)
            position.finished = true
        }
        return true
    }

    private func writeTargetCount(into w: inout ExpositionWriter) {
        w.family("ccpool_targets", .gauge, help: "Targets owned by this process.")
        w.sample("ccpool_targets", UInt64(targets.count))
    }

    /// About how many bytes ``write(into:)`` writes, to reserve up front.
    var estimatedSize: Int {
        var size = 4096
        for family in TargetFamily.allCases { size += estimatedSize(of: family) }
        return size
    }

    /// About how many bytes `family`'s samples take: its lines (per target, or per subchannel for the
    /// subchannel families) times a typical line: its name, an average head, and ~25 bytes of closing label
    /// and value.
    private func estimatedSize(of family: TargetFamily) -> Int {
        if family.isSubchannelSeries && !subchannelSeries { return 0 }
        let states = ConnectivityState.allCases.count
        let name = (family == .connectDuration ? bucketName : names[family.rawValue]).count + 25
        let targetLine = name + Self.averageCount(targetHeads)
        let subchannelLine = name + Self.averageCount(subchannelHeads)
        switch family {
        case .channelState, .channelTransitions: return states * targets.count * targetLine
        case .subchannelState, .subchannelTransitions, .healthCheckStatus: return states * subchannelHeads.count * subchannelLine
        case .lastTransitionTimestamp: return subchannelHeads.count * subchannelLine
        case .connectDuration: return (HistogramSnapshot.connectBounds.count + 3) * targets.count * targetLine
        default: return targets.count * targetLine
        }
    }

    private static func averageCount(_ pieces: [Piece]) -> Int {
        pieces.isEmpty ? 0 : pieces.reduce(0) { $0 + $1.count } / pieces.count
    }

    /// Where to cut the families in two runs of about the same size, so that two threads can write them at
    /// once.
    func halves() -> (ArraySlice<TargetFamily>, ArraySlice<TargetFamily>) {
        let all = TargetFamily.allCases
        var sizes: [Int] = []
        for family in all { sizes.append(estimatedSize(of: family)) }
        let total = sizes.reduce(0, +)
        var cut = 0
        var sum = 0
        while cut < all.count && 2 * (sum + sizes[cut]) <= total {
            sum += sizes[cut]
            cut += 1
        }
        return (all[..<cut], all[cut...])
    }

    private func writeChannelCounts(into w: inout ExpositionWriter) {
        w.family("ccpool_channels", .gauge, help: "Channels in each state.")
        var perState = StateCounters()
        for target in targets { perState[target.state] += 1 }
        for state in ConnectivityState.allCases {
            w.beginSample("ccpool_channels")
            w.label("state", state.rawValue)
            w.endSample(perState[state])
        }
    }

    /// Copies pieces out of the arena into sample lines.
    private struct Lines {
        let arena: UnsafeRawPointer

        @inline(__always)
        func write(_ name: Piece, _ head: Piece, _ closing: Piece, _ value: UInt64, into w: inout ExpositionWriter) {
            w.reserve(name.count + head.count + closing.count + 21)
            w.put(arena + name.offset, name.count)
            w.put(arena + head.offset, head.count)
            w.put(arena + closing.offset, closing.count)
            w.putDecimal(value)
            w.putByte(UInt8(ascii: "\n"))
        }

        @inline(__always)
        func write(_ name: Piece, _ head: Piece, _ closing: Piece, double value: Double, into w: inout ExpositionWriter) {
            w.reserve(name.count + head.count + closing.count)
            w.put(arena + name.offset, name.count)
            w.put(arena + head.offset, head.count)
            w.put(arena + closing.offset, closing.count)
            w.appendDouble(value)
            w.appendByte(UInt8(ascii: "\n"))
        }
    }

    private func writeSamples(of family: TargetFamily, _ lines: Lines, into w: inout ExpositionWriter) {
        // Through a buffer pointer, a target is read in place: iterating the array would copy each one (and
        // retain every reference in it) once per family.
        targets.withUnsafeBufferPointer { targets in writeSamples(of: family, targets, targets.indices, lines, into: &w) }
    }

    private func writeSamples(
        of family: TargetFamily, _ targets: UnsafeBufferPointer<TargetMetrics>, _ range: Range<Int>, _ lines: Lines,
        into w: inout ExpositionWriter
    ) {
        let name = names[family.rawValue]
        let states = ConnectivityState.allCases
        let stateCount = states.count
        for t in range {
            let head = targetHeads[t]
            let target = targets.baseAddress! + t  // read in place: `target.pointee.field`
            let subchannels = firstSubchannel[t]..<firstSubchannel[t + 1]
            switch family {
            case .channelState:
                for s in 0..<stateCount {
                    lines.write(name, head, stateLabels[s], target.pointee.state.index == s ? 1 : 0, into: &w)
                }
            case .channelTransitions:
                let counts = target.pointee.channelTransitions
                for s in 0..<stateCount { lines.write(name, head, toLabels[s], counts[states[s]], into: &w) }
            case .subchannelState:
                for k in subchannels {
                    let subchannel = target.pointee.subchannels[subchannelIndex[k]]
                    guard subchannel.exists else { continue }
                    for s in 0..<stateCount {
                        lines.write(name, subchannelHeads[k], stateLabels[s], subchannel.state.index == s ? 1 : 0, into: &w)
                    }
                }
            case .subchannelTransitions:
                for k in subchannels {
                    let counts = target.pointee.subchannels[subchannelIndex[k]].transitions
                    for s in 0..<stateCount { lines.write(name, subchannelHeads[k], toLabels[s], counts[states[s]], into: &w) }
                }
            case .attemptsSucceeded: lines.write(name, head, close, target.pointee.connectionAttemptsSucceeded, into: &w)
            case .attemptsFailed: lines.write(name, head, close, target.pointee.connectionAttemptsFailed, into: &w)
            case .disconnections:
                let counts = target.pointee.disconnections.counts
                for r in counts.indices where counts[r] > 0 { lines.write(name, head, reasonLabels[r], counts[r], into: &w) }
            case .openConnections:
                lines.write(name, head, securityLabels[target.pointee.securityLevel]!, target.pointee.openConnections, into: &w)
            case .connectDuration:
                let histogram = target.pointee.connectDuration
                let les = leLabels[leOfTarget[t]]
                var cumulative: UInt64 = 0
                for (b, count) in histogram.bucketCounts.enumerated() {
                    cumulative += count
                    lines.write(bucketName, head, les[b], cumulative, into: &w)
                }
                lines.write(sumName, head, close, double: histogram.sum, into: &w)
                lines.write(countName, head, close, cumulative, into: &w)
            case .lastTransitionTimestamp:
                for k in subchannels {
                    let time = target.pointee.subchannels[subchannelIndex[k]].lastTransitionTime
                    lines.write(name, subchannelHeads[k], close, double: time, into: &w)
                }
            case .healthCheckStatus:
                for k in subchannels {
                    let subchannel = target.pointee.subchannels[subchannelIndex[k]]
                    guard subchannel.exists else { continue }
                    for (s, status) in HealthStatus.allCases.enumerated() {
                        lines.write(name, subchannelHeads[k], statusLabels[s], subchannel.health == status ? 1 : 0, into: &w)
                    }
                }
            case .resolverUpdates: lines.write(name, head, close, target.pointee.resolverUpdates, into: &w)
            case .resolverErrors: lines.write(name, head, close, target.pointee.resolverErrors, into: &w)
            case .picks: lines.write(name, head, close, target.pointee.picks, into: &w)
            case .pickFailures: lines.write(name, head, close, target.pointee.pickFailures, into: &w)
            }
        }
    }
}
