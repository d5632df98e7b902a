import Vocabulary

/// round_robin's rules as a value (grpc-go's base balancer with the round-robin picker): inputs
/// in, ``BalancerAction``s out.
///
/// - One SubConn per distinct address, all asked to connect at once; a SubConn that goes IDLE
///   is asked again at once. A SubConn it has asked to connect counts as CONNECTING: it leaves
///   IDLE at once, and counting it IDLE for that instant would make the channel flap.
/// - Each SubConn's *effective* state is sticky in TRANSIENT_FAILURE: a failed SubConn counts
///   as TF while it reconnects (CONNECTING, IDLE) and leaves TF only by becoming READY, so a
///   pool of dead backends reads TF rather than CONNECTING for ever.
/// - The channel's state is the ``ConnectivityStateEvaluator``'s aggregate of the effective
///   states, reported as it is (READY → CONNECTING included): READY exactly when the picker
///   has a READY SubConn to rotate over.
/// - A SubConn removed by a resolver update stops counting at once; its late updates are
///   ignored. An empty list is TRANSIENT_FAILURE "produced zero addresses", rejected.
public struct RoundRobinStateMachine: BalancerStateMachine {
    struct Child {
        let key: SubConnKey
        let address: Address
        var effective: ConnectivityState
    }

    /// The channel starts CONNECTING.
    public private(set) var state: ConnectivityState = .connecting
    private var order: [Address] = []
    private var children: [Address: Child] = [:]
    private var evaluator = ConnectivityStateEvaluator()
    private var connectionError: String?
    private var resolverError: String?
    private var nextKey = 0
    private var random: any RandomSource
    private var closed = false

    public init(random: any RandomSource) {
        self.random = random
    }

    public mutating func updateClientConnState(_ update: ClientConnState) -> [BalancerAction] {
        guard !closed else { return [] }
        var seen = Set<Address>()
        let list = update.addresses.filter { seen.insert($0).inserted }
        var actions: [BalancerAction] = []
        for address in order where !seen.contains(address) {
            guard let child = children.removeValue(forKey: address) else { continue }
            evaluator.recordTransition(from: child.effective, to: .shutdown)
            actions.append(.shutdown(child.key))
        }
        for address in list where children[address] == nil {
            let key = SubConnKey(nextKey)
            nextKey += 1
            children[address] = Child(key: key, address: address, effective: .connecting)
            evaluator.recordTransition(from: .shutdown, to: .connecting)
            actions += [.createSubConn(key, addresses: [address]), .connect(key)]
        }
        order = list
        if list.isEmpty {
            resolverError = "produced zero addresses"
            state = .transientFailure
            actions.append(publish(reason: "produced zero addresses"))
            actions.append(.rejectResolverUpdate("produced zero addresses"))
            return actions
        }
        resolverError = nil
        state = evaluator.aggregate
        actions.append(publish(reason: "resolver update: \(list.count) address(es)"))
        return actions
    }

    public mutating func resolverError(_ message: String) -> [BalancerAction] {
        guard !closed else { return [] }
        resolverError = "resolver error: \(message)"
        if children.isEmpty { state = .transientFailure }
        // Only a failing channel shows the error; its picker must carry the new one.
        guard state == .transientFailure else { return [] }
        return [publish(reason: errorText)]
    }

    public mutating func subConnStateChanged(_ key: SubConnKey, _ update: SubConnState) -> [BalancerAction] {
        guard !closed, update.state != .shutdown,
            var child = children.values.first(where: { $0.key == key })
        else { return [] }
        var actions: [BalancerAction] = []
        if update.state == .idle { actions.append(.connect(key)) }
        let old = child.effective
        if old == .transientFailure, update.state == .idle || update.state == .connecting {
            return actions  // Sticky: still failed while it reconnects.
        }
        // IDLE is asked to connect at once, so it counts as CONNECTING.
        let new: ConnectivityState = update.state == .idle ? .connecting : update.state
        if update.state == .transientFailure { connectionError = update.reason ?? "connection failed" }
        child.effective = new
        children[child.address] = child
        let previous = state
        state = evaluator.recordTransition(from: old, to: new)
        let readySetChanged = (old == .ready) != (new == .ready)
        if state != previous || readySetChanged || state == .transientFailure {
            actions.append(publish(reason: update.channelReason(for: key)))
        }
        return actions
    }

    public mutating func close() -> [BalancerAction] {
        guard !closed else { return [] }
        closed = true
        let keys = children.values.map(\.key).sorted()
        children = [:]
        return keys.map { .shutdown($0) }
    }

    /// The latest connection error and resolver error, as picks report them.
    private var errorText: String {
        switch (connectionError, resolverError) {
        case (let connection?, let resolver?): return "\(connection); \(resolver)"
        case (let connection?, nil): return connection
        case (nil, let resolver?): return resolver
        case (nil, nil): return "all subchannels failed"
        }
    }

    private mutating func publish(reason: String) -> BalancerAction {
        let ready = order.compactMap { address -> PickedKey? in
            guard let child = children[address], child.effective == .ready else { return nil }
            return PickedKey(child.key, address)
        }
        let picker: PickerSpec
        if !ready.isEmpty {
            picker = .rotating(ready, start: random.integer(in: 0..<ready.count))
        } else if state == .transientFailure {
            picker = .constant(.transientFailure(errorText))
        } else {
            picker = .constant(.noSubConnAvailable)
        }
        return .publish(state, picker, reason: state == .transientFailure ? errorText : reason)
    }
}
