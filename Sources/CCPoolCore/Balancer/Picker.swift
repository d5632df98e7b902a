/// Chooses a subchannel for one RPC (grpc-go's `balancer.Picker`).
///
/// Pickers are immutable snapshots, called from any thread (HTTP handlers included), so they
/// hold only `Sendable` facts about subchannels, never the loop-confined objects.
public protocol Picker: Sendable {
    func pick() -> PickResult
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
    case pick(PickedSubConn)
    /// Nothing to pick yet: wait for the next picker (wait-for-ready) or fail fast.
    case noSubConnAvailable
    /// The channel is failing, with this reason.
    case transientFailure(String)
    /// The channel is idle: ask it to connect, then wait for the next picker.
    case idle
}

/// Always answers the same thing (for CONNECTING, TF and IDLE states).
public struct ConstantPicker: Picker {
    public let result: PickResult
    public init(_ result: PickResult) { self.result = result }
    public func pick() -> PickResult { result }
}
