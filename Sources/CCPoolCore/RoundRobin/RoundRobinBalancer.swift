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
        StateMachineBalancer(machine: RoundRobinStateMachine(random: makeRandom()), helper: helper)
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
