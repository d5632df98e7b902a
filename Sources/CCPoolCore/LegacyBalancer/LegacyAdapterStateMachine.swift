import Vocabulary

/// The legacy v1 adapter's rules as a value (grpc-go v1.20's `balancerWrapper`): inputs in,
/// ``BalancerAction``s out.
///
/// - A start gate: nothing is acted on before the first resolver update. Then a legacy balancer
///   with a notify stream is watched (``notified(_:)``); one without is connected straight to
///   the resolver's addresses with one SubConn.
/// - Every resolver update goes to the legacy balancer's naming feed.
/// - pickfirst mode keeps one SubConn for its whole life and hands every new list to it with
///   `updateAddresses` (a READY connection on an address still listed is kept); an empty list
///   shuts it down. Otherwise one SubConn per address, diffed against each full list.
/// - READY calls `up` (pickfirst: with the list's first address), leaving READY calls the
///   `down` it returned; an IDLE SubConn is asked to connect at once and counts as CONNECTING.
/// - The channel's state is the ``ConnectivityStateEvaluator``'s aggregate, as it is; the
///   picker returns READY SubConns only.
public struct LegacyAdapterStateMachine: BalancerStateMachine {
    struct Record {
        let key: SubConnKey
        /// The address given to `up` (pickfirst: the first of the latest list).
        var upAddress: Address
        var state: ConnectivityState
    }

    public let pickFirst: Bool
    /// Whether the legacy balancer has a notify stream (v1's `Notify()` not nil).
    public let hasNotify: Bool
    /// The channel starts CONNECTING.
    public private(set) var state: ConnectivityState = .connecting
    /// Normal mode: by address. pickfirst mode (or no notify): the one SubConn.
    private var records: [Address: Record] = [:]
    private var single: Record?
    private var started = false
    private var closed = false
    private var evaluator = ConnectivityStateEvaluator()
    private var lastError: String?
    private var nextKey = 0

    public init(pickFirst: Bool, hasNotify: Bool) {
        self.pickFirst = pickFirst
        self.hasNotify = hasNotify
    }

    /// The one-SubConn mode: pickfirst, or a legacy balancer without notify.
    private var keepsOneSubConn: Bool { pickFirst || !hasNotify }

    public mutating func updateClientConnState(_ update: ClientConnState) -> [BalancerAction] {
        guard !closed else { return [] }
        var actions: [BalancerAction] = []
        if !started {
            started = true
            if hasNotify { actions.append(.legacyWatchNotify) }
        }
        actions.append(.legacyNaming(update.addresses))
        if !hasNotify { actions += apply(update.addresses) }
        if update.addresses.isEmpty {
            lastError = "produced zero addresses"
            actions.append(.rejectResolverUpdate("produced zero addresses"))
        }
        return actions
    }

    public mutating func resolverError(_ message: String) -> [BalancerAction] {
        guard !closed else { return [] }
        lastError = "resolver error: \(message)"
        guard records.isEmpty, single == nil else { return [] }
        state = .transientFailure
        return [publish(reason: lastError!)]
    }

    public mutating func notified(_ addresses: [Address]) -> [BalancerAction] {
        guard !closed, started, hasNotify else { return [] }
        return apply(addresses)
    }

    public mutating func subConnStateChanged(_ key: SubConnKey, _ update: SubConnState) -> [BalancerAction] {
        guard !closed, update.state != .shutdown else { return [] }
        var record: Record
        if let single, single.key == key {
            record = single
        } else if let found = records.values.first(where: { $0.key == key }) {
            record = found
        } else {
            return []  // Removed earlier: stale.
        }
        var actions: [BalancerAction] = []
        var new = update.state
        if new == .idle {
            actions.append(.connect(key))
            new = .connecting  // Asked to connect: it leaves IDLE at once.
        }
        let old = record.state
        guard new != old else { return actions }
        if old != .ready, new == .ready {
            actions.append(.legacyUp(key, record.upAddress))
        } else if old == .ready {
            actions.append(.legacyDown(key, reason: update.reason ?? "connection closed"))
        }
        if update.state == .transientFailure { lastError = update.reason ?? "connection failed" }
        record.state = new
        store(record)
        state = evaluator.recordTransition(from: old, to: new)
        actions.append(publish(reason: update.channelReason(for: key)))
        return actions
    }

    public mutating func close() -> [BalancerAction] {
        guard !closed else { return [] }
        closed = true
        var actions: [BalancerAction] = []
        if let single { actions += remove(single, reason: "balancer closed") }
        for record in records.values.sorted(by: { $0.key < $1.key }) { actions += remove(record, reason: "balancer closed") }
        single = nil
        records = [:]
        return actions
    }

    // MARK: Address lists

    private mutating func apply(_ addresses: [Address]) -> [BalancerAction] {
        var actions: [BalancerAction] = []
        if keepsOneSubConn {
            if let existing = single {
                if addresses.isEmpty {
                    actions += remove(existing, reason: "address list empty")
                    single = nil
                } else {
                    single?.upAddress = addresses[0]
                    actions.append(.updateAddresses(existing.key, addresses))
                }
            } else if let first = addresses.first {
                let key = takeKey()
                single = Record(key: key, upAddress: first, state: .connecting)
                evaluator.recordTransition(from: .shutdown, to: .connecting)
                actions += [.createSubConn(key, addresses: addresses), .connect(key)]
            }
        } else {
            var seen = Set<Address>()
            let wanted = addresses.filter { seen.insert($0).inserted }
            for (address, record) in records.sorted(by: { $0.value.key < $1.value.key }) where !seen.contains(address) {
                actions += remove(record, reason: "address removed")
                records[address] = nil
            }
            for address in wanted where records[address] == nil {
                let key = takeKey()
                records[address] = Record(key: key, upAddress: address, state: .connecting)
                evaluator.recordTransition(from: .shutdown, to: .connecting)
                actions += [.createSubConn(key, addresses: [address]), .connect(key)]
            }
        }
        state = evaluator.aggregate
        actions.append(publish(reason: "legacy balancer notified \(addresses.count) address(es)"))
        return actions
    }

    private mutating func remove(_ record: Record, reason: String) -> [BalancerAction] {
        var actions: [BalancerAction] = []
        if record.state == .ready { actions.append(.legacyDown(record.key, reason: reason)) }
        evaluator.recordTransition(from: record.state, to: .shutdown)
        actions.append(.shutdown(record.key))
        return actions
    }

    private mutating func store(_ record: Record) {
        if single?.key == record.key {
            single = record
        } else {
            records[record.upAddress] = record
        }
    }

    private mutating func takeKey() -> SubConnKey {
        defer { nextKey += 1 }
        return SubConnKey(nextKey)
    }

    private func publish(reason: String) -> BalancerAction {
        var ready: [PickedKey] = []
        if let single, single.state == .ready { ready.append(PickedKey(single.key, single.upAddress)) }
        for record in records.values.sorted(by: { $0.key < $1.key }) where record.state == .ready {
            ready.append(PickedKey(record.key, record.upAddress))
        }
        let failure = state == .transientFailure ? (lastError ?? "no subchannel is ready") : nil
        let text = state == .transientFailure ? (lastError ?? reason) : reason
        return .publish(state, .legacy(ready: ready, failure: failure), reason: text)
    }
}
