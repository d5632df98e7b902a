import NIOCore

/// Registers the adapter over ``LegacyRoundRobin`` under a policy name: `legacy_round_robin`
/// (one SubConn per address) and `legacy_pick_first` (one SubConn holding every address).
public struct LegacyBalancerAdapterBuilder: BalancerBuilder {
    public let name: String
    public let pickFirst: Bool
    /// Makes the legacy balancer from the naming feed the adapter fills with resolver updates.
    public var makeLegacy: @Sendable (LegacyAddressList) -> any LegacyBalancer

    public init(
        name: String, pickFirst: Bool,
        makeLegacy: @escaping @Sendable (LegacyAddressList) -> any LegacyBalancer = { LegacyRoundRobin(naming: $0) }
    ) {
        self.name = name
        self.pickFirst = pickFirst
        self.makeLegacy = makeLegacy
    }

    public func build(helper: any BalancerHelper) -> any Balancer {
        let naming = LegacyAddressList()
        let legacy = makeLegacy(naming)
        legacy.start(target: name)
        return LegacyBalancerAdapter(legacy: legacy, pickFirst: pickFirst, naming: naming, helper: helper)
    }
}

/// The seed's `balancerWrapper` (grpc-go v1.20 `balancer_v1_wrapper.go`): runs a
/// ``LegacyBalancer`` behind today's ``Balancer`` API.
///
/// - A start gate: nothing from `notify` is acted on before the first resolver update.
/// - pickfirst mode keeps one SubConn holding every notified address (rebuilt on each list);
///   otherwise one SubConn per address, diffed against each full list.
/// - READY calls `up`, leaving READY calls the `down` it returned; IDLE SubConns are reconnected.
/// - The aggregate comes from a ``ConnectivityStateEvaluator``; the adapter is its own picker,
///   mapping `get` to picks (no address → no SubConn available; TF/SHUTDOWN → transient failure).
final class LegacyBalancerAdapter: Balancer {
    private struct SubConnRecord {
        let subConn: any SubConn
        /// The address reported to `up` (pickfirst: the first of the list).
        let address: Address
        var state: ConnectivityState = .idle
        var down: (@Sendable (String) -> Void)?
    }

    private let legacy: any LegacyBalancer
    private let pickFirst: Bool
    private let naming: LegacyAddressList
    private let helper: any BalancerHelper

    /// Address → SubConn (pickfirst: the single SubConn under its first address).
    private var conns: [Address: SubConnRecord] = [:]
    private var started = false
    private var closed = false
    private var evaluator = ConnectivityStateEvaluator()
    private var state: ConnectivityState = .connecting
    private var lastError: String?
    /// Resolver addresses, for legacy balancers without notify.
    private var resolverAddresses: [Address] = []

    init(legacy: any LegacyBalancer, pickFirst: Bool, naming: LegacyAddressList, helper: any BalancerHelper) {
        self.legacy = legacy
        self.pickFirst = pickFirst
        self.naming = naming
        self.helper = helper
    }

    // MARK: Balancer

    func updateClientConnState(_ update: ClientConnState) throws(BalancerError) {
        resolverAddresses = update.addresses
        if !started {
            started = true
            startWatching()
        }
        naming.send(update.addresses)
        if update.addresses.isEmpty {
            throw .badResolverState("produced zero addresses")
        }
    }

    func resolverError(_ error: ResolverError) {
        lastError = "resolver error: \(error.message)"
        if conns.isEmpty {
            state = .transientFailure
            publish(reason: lastError!)
        }
    }

    func updateSubConnState(_ subConn: any SubConn, _ update: SubConnState) {
        guard let (key, found) = conns.first(where: { $0.value.subConn === subConn }) else { return }
        var record = found
        if update.state == .idle { subConn.connect() }
        let old = record.state
        record.state = update.state
        if old != .ready, update.state == .ready {
            record.down = legacy.up(record.address)
        } else if old == .ready, update.state != .ready {
            record.down?(update.reason ?? "connection closed")
            record.down = nil
        }
        if update.state == .transientFailure { lastError = update.reason ?? "connection failed" }
        conns[key] = record
        evaluator.recordTransition(from: old, to: update.state)
        state = evaluator.channelState(after: state)
        if update.state == .shutdown { conns[key] = nil }
        publish(reason: "subchannel \(subConn.id) \(update.state)" + (update.reason.map { ": \($0)" } ?? ""))
    }

    func exitIdle() {
        for record in conns.values where record.state == .idle { record.subConn.connect() }
    }

    func close() {
        closed = true
        legacy.close()
        for key in Array(conns.keys) { remove(key) }
    }

    // MARK: Notify

    private func startWatching() {
        guard let notifier = legacy.notify() else {
            // No notify stream: connect straight to the resolver's addresses with one SubConn.
            apply(resolverAddresses, asPickFirst: true)
            return
        }
        let adapter = NIOLoopBound(WeakBox<LegacyBalancerAdapter>(), eventLoop: helper.eventLoop)
        adapter.value.object = self
        let eventLoop = helper.eventLoop
        notifier.subscribe { addresses in
            // Hop to the loop in a later tick: never inside the balancer's current call.
            eventLoop.execute { adapter.value.object?.handleNotify(addresses) }
        }
    }

    private func handleNotify(_ addresses: [Address]) {
        guard !closed else { return }
        apply(addresses, asPickFirst: pickFirst)
    }

    private func apply(_ addresses: [Address], asPickFirst: Bool) {
        if asPickFirst {
            // Tear down the old SubConn and build one holding the whole list.
            for key in Array(conns.keys) { remove(key) }
            if let first = addresses.first {
                add(key: first, addresses: addresses)
            }
        } else {
            var seen = Set<Address>()
            let wanted = addresses.filter { seen.insert($0).inserted }
            for key in Array(conns.keys) where !seen.contains(key) { remove(key) }
            for address in wanted where conns[address] == nil { add(key: address, addresses: [address]) }
        }
        state = evaluator.channelState(after: state)
        publish(reason: "legacy balancer notified \(addresses.count) address(es)")
    }

    private func add(key: Address, addresses: [Address]) {
        let subConn = helper.newSubConn(addresses: addresses)
        conns[key] = SubConnRecord(subConn: subConn, address: key)
        evaluator.recordTransition(from: .shutdown, to: .idle)
        subConn.connect()
    }

    private func remove(_ key: Address) {
        guard let record = conns.removeValue(forKey: key) else { return }
        if record.state == .ready { record.down?("address removed") }
        evaluator.recordTransition(from: record.state, to: .shutdown)
        record.subConn.shutdown()
    }

    private func publish(reason: String) {
        var ready: [PickedSubConn] = []
        var slots: [Address: Int] = [:]
        for (key, record) in conns where record.state == .ready {
            slots[key] = ready.count
            ready.append(PickedSubConn(id: record.subConn.id, address: record.subConn.connectedAddress ?? key))
        }
        let picker = LegacyPicker(
            legacy: legacy, pickFirst: pickFirst, ready: ready, slotByAddress: slots, state: state,
            lastError: lastError ?? "no subchannel is ready")
        let text = state == .transientFailure ? (lastError ?? reason) : reason
        helper.updateState(BalancerState(state: state, picker: picker, reason: text))
    }
}

/// The adapter as a picker: asks the legacy balancer for an address and maps it to a SubConn.
struct LegacyPicker: Picker {
    let legacy: any LegacyBalancer
    let pickFirst: Bool
    /// The READY subchannels (the picker's slots), and each one's slot by the address it was created for.
    let ready: [PickedSubConn]
    let slotByAddress: [Address: Int]
    let state: ConnectivityState
    let lastError: String

    func pick() -> PickResult {
        if state == .transientFailure || state == .shutdown { return .transientFailure(lastError) }
        switch legacy.get(blockingWait: false) {
        case .address(let address, let put):
            defer { put?() }
            if pickFirst, !ready.isEmpty { return .pick(slot: 0) }
            guard let slot = slotByAddress[address] else { return .noSubConnAvailable }
            return .pick(slot: slot)
        case .noAddress:
            return .noSubConnAvailable
        case .failure(let reason):
            return .transientFailure(reason)
        }
    }

    func subConn(at slot: Int) -> PickedSubConn { ready[slot] }
}
