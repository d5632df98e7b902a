/// Chooses a subchannel for one RPC (grpc-go's `balancer.Picker`).
///
/// Pickers are immutable snapshots, called from any thread (HTTP handlers included), so they
/// hold only `Sendable` facts about subchannels, never the loop-confined objects.
///
/// A pick answers with a *slot*, a position in the picker's own table, rather than with the
/// subchannel's facts: copying an `Address` (which holds strings) retains and releases shared
/// storage on every pick, which costs more than choosing. The caller turns the slot into the
/// subchannel with `subConn(at:)` on the same picker, once it needs more than a decision.
public protocol Picker: Sendable {
    func pick() -> PickResult
    /// The subchannel behind `.pick(slot:)` answers of this picker.
    func subConn(at slot: Int) -> PickedSubConn
}

/// The subchannel a pick chose.
public struct PickedSubConn: Hashable, Sendable {
    public var id: SubchannelID
    public var address: Address

    public init(id: SubchannelID, address: Address) {
        self.id = id
        self.address = address
    }
}

public enum PickResult: Hashable, Sendable {
    /// This slot of the picker's table (see `Picker.subConn(at:)`).
    case pick(slot: Int)
    /// Nothing to pick yet: wait for the next picker (wait-for-ready) or fail fast.
    case noSubConnAvailable
    /// The channel is failing, with this reason.
    case transientFailure(String)
    /// The channel is idle: ask it to connect, then wait for the next picker.
    case idle
}

/// Always answers the same thing, and never picks (for the CONNECTING, TF and IDLE states).
public struct ConstantPicker: Picker {
    public let result: PickResult

    public init(_ result: PickResult) {
        if case .pick = result { preconditionFailure("a ConstantPicker has no subchannels; use SingleSubConnPicker") }
        self.result = result
    }

    public func pick() -> PickResult { result }

    public func subConn(at slot: Int) -> PickedSubConn {
        preconditionFailure("ConstantPicker never picks (asked for slot \(slot))")
    }
}

/// Always picks the same subchannel (pick_first once it has chosen).
public struct SingleSubConnPicker: Picker {
    public let picked: PickedSubConn

    public init(_ picked: PickedSubConn) { self.picked = picked }

    public func pick() -> PickResult { .pick(slot: 0) }

    public func subConn(at slot: Int) -> PickedSubConn {
        precondition(slot == 0, "a SingleSubConnPicker has one slot, asked for \(slot)")
        return picked
    }
}
