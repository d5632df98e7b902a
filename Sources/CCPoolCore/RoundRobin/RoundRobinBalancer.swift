import NIOCore
import Synchronization

public struct RoundRobinBalancerBuilder: BalancerBuilder {
    /// Where each new picker starts its rotation.
    public var makeRandom: @Sendable () -> any RandomSource

    public init(makeRandom: @escaping @Sendable () -> any RandomSource = { SystemRandomSource() }) {
        self.makeRandom = makeRandom
    }

    public var name: String { "round_robin" }

    public func build(helper: any BalancerHelper) -> any Balancer {
        RoundRobinBalancer(helper: helper, random: makeRandom())
    }
}

/// round_robin (SPEC §5): one SubConn per address, all connected at once; a SubConn that goes
/// IDLE is reconnected; the picker rotates over READY SubConns from a random start.
///
/// Aggregation uses ``ConnectivityStateEvaluator`` over each SubConn's *effective* state, which
/// is sticky in TRANSIENT_FAILURE: a failed SubConn counts as TF while it reconnects
/// (CONNECTING, IDLE) and only leaves TF by becoming READY, so a flapping backend does not make
/// the channel flap between CONNECTING and TF.
final class RoundRobinBalancer: Balancer {
    private struct Child {
        let subConn: any SubConn
        var effective: ConnectivityState = .idle
    }

    private let helper: any BalancerHelper
    private var random: any RandomSource
    private var order: [Address] = []
    private var children: [Address: Child] = [:]
    private var evaluator = ConnectivityStateEvaluator()
    /// Starts CONNECTING (the channel's state when it starts); recomputed on SubConn updates.
    private var state: ConnectivityState = .connecting
    private var lastError: String?

    init(helper: any BalancerHelper, random: any RandomSource) {
        self.helper = helper
        self.random = random
    }

    func updateClientConnState(_ update: ClientConnState) throws(BalancerError) {
        var seen = Set<Address>()
        let list = update.addresses.filter { seen.insert($0).inserted }
        for (address, child) in children where !seen.contains(address) {
            remove(address, child)
        }
        order = list
        var created: [any SubConn] = []
        for address in list where children[address] == nil {
            let subConn = helper.newSubConn(addresses: [address])
            children[address] = Child(subConn: subConn)
            evaluator.recordTransition(from: .shutdown, to: .idle)
            created.append(subConn)
        }
        if list.isEmpty {
            lastError = "resolver produced zero addresses"
            state = .transientFailure
            publish(reason: "produced zero addresses")
            throw .badResolverState("produced zero addresses")
        }
        // Removals can end READY or TF; additions alone (IDLE, about to connect) change nothing yet.
        let recomputed = evaluator.channelState(after: state)
        if recomputed != .idle || state == .ready { state = recomputed }
        publish(reason: "resolver update: \(list.count) address(es)")
        for subConn in created { subConn.connect() }
    }

    func resolverError(_ error: ResolverError) {
        lastError = "resolver error: \(error.message)"
        guard children.isEmpty else { return }
        state = .transientFailure
        publish(reason: lastError!)
    }

    func updateSubConnState(_ subConn: any SubConn, _ update: SubConnState) {
        guard let (address, found) = children.first(where: { $0.value.subConn === subConn }) else { return }
        var child = found
        if update.state == .shutdown { return }
        if update.state == .idle { subConn.connect() }
        if update.state == .transientFailure { lastError = update.reason ?? "connection failed" }

        let old = child.effective
        let stickyTF = old == .transientFailure && (update.state == .connecting || update.state == .idle)
        child.effective = stickyTF ? .transientFailure : update.state
        children[address] = child
        guard child.effective != old || update.state == .transientFailure else { return }
        evaluator.recordTransition(from: old, to: child.effective)
        state = evaluator.channelState(after: state)
        publish(reason: "subchannel \(subConn.id) \(update.state)" + (update.reason.map { ": \($0)" } ?? ""))
    }

    func exitIdle() {
        for child in children.values where child.effective == .idle { child.subConn.connect() }
    }

    func close() {
        for child in children.values { child.subConn.shutdown() }
        children = [:]
    }

    private func remove(_ address: Address, _ child: Child) {
        evaluator.recordTransition(from: child.effective, to: .shutdown)
        children[address] = nil
        child.subConn.shutdown()
    }

    private func publish(reason: String) {
        let ready = order.compactMap { address -> PickedSubConn? in
            guard let child = children[address], child.effective == .ready else { return nil }
            return PickedSubConn(id: child.subConn.id, address: address)
        }
        let picker: any Picker
        if !ready.isEmpty {
            picker = RoundRobinPicker(ready, start: random.integer(in: 0..<ready.count))
        } else if state == .transientFailure {
            picker = ConstantPicker(.transientFailure(lastError ?? "all subchannels failed"))
        } else {
            picker = ConstantPicker(.noSubConnAvailable)
        }
        let text = state == .transientFailure ? (lastError ?? reason) : reason
        helper.updateState(BalancerState(state: state, picker: picker, reason: text))
    }
}

/// Rotates over READY subchannels. Lock-free: one atomic increment per pick.
///
/// The counter is reduced to an index with a multiply instead of a division (Lemire's "fastmod"
/// on its low 32 bits): a 64-bit division costs more than the rest of the pick. The rotation
/// restarts from index 0 when the low 32 bits wrap, a skew of at most one turn per 4 billion picks.
public final class RoundRobinPicker: Picker {
    private let subConns: [PickedSubConn]
    private let next: Atomic<Int>
    /// ⌈2^64 / count⌉, the multiplier that turns a 32-bit counter into `counter % count`.
    private let reciprocal: UInt64

    public init(_ subConns: [PickedSubConn], start: Int) {
        precondition(!subConns.isEmpty, "a round-robin picker needs at least one READY subchannel")
        precondition(subConns.count <= Int(UInt32.max), "too many subchannels for a 32-bit rotation")
        self.subConns = subConns
        self.next = Atomic(start)
        self.reciprocal = UInt64.max / UInt64(subConns.count) &+ 1
    }

    public func pick() -> PickResult {
        let counter = UInt32(truncatingIfNeeded: next.wrappingAdd(1, ordering: .relaxed).oldValue)
        return .pick(slot: Self.index(counter, count: subConns.count, reciprocal: reciprocal))
    }

    public func subConn(at slot: Int) -> PickedSubConn { subConns[slot] }

    /// `counter % count` for a precomputed `reciprocal` = ⌈2^64 / count⌉ (exact for 32-bit values).
    @inline(__always)
    static func index(_ counter: UInt32, count: Int, reciprocal: UInt64) -> Int {
        let fraction = reciprocal &* UInt64(counter)
        return Int(fraction.multipliedFullWidth(by: UInt64(count)).high)
    }
}
