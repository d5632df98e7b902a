import NIOCore
import Vocabulary

/// A balancer state machine's name for one of its SubConns.
///
/// State machines are values and cannot hold the loop-confined ``SubConn`` objects; they name
/// each SubConn they ask for with a key of their own, and their owner maps keys to objects.
public struct SubConnKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: Int

    public init(_ rawValue: Int) { self.rawValue = rawValue }

    public static func < (lhs: SubConnKey, rhs: SubConnKey) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "sc\(rawValue)" }
}

/// A SubConn a picker may return, with the address the balancer knows it by.
public struct PickedKey: Hashable, Sendable {
    public var key: SubConnKey
    public var address: Address

    public init(_ key: SubConnKey, _ address: Address) {
        self.key = key
        self.address = address
    }
}

/// The picker a state machine publishes, described in keys; its owner builds the real
/// ``Picker`` from it.
public enum PickerSpec: Hashable, Sendable {
    /// Never picks: no SubConn available, transient failure, or idle.
    case constant(PickResult)
    /// Always the same SubConn (pick_first once it has chosen).
    case single(PickedKey)
    /// Rotates over these READY SubConns, starting at `start`.
    case rotating([PickedKey], start: Int)
    /// The legacy v1 adapter is its own picker: it asks the legacy balancer for an address and
    /// maps it to one of these READY SubConns; `failure` makes every pick fail with that text.
    case legacy(ready: [PickedKey], failure: String?)

    /// Every SubConn this picker can return.
    public var pickable: [SubConnKey] {
        switch self {
        case .constant: return []
        case .single(let picked): return [picked.key]
        case .rotating(let picked, _), .legacy(let picked, _): return picked.map(\.key)
        }
    }
}

/// A timer a balancer state machine arms; it is told when the timer fires.
public enum BalancerTimer: Hashable, Sendable {
    /// pick_first: start the next address alongside a slow one (gRPC A61's happy eyeballs).
    case happyEyeballs
}

/// What a balancer state machine asks its owner to do, in order.
public enum BalancerAction: Hashable, Sendable {
    /// Create a SubConn, IDLE, for `addresses`, known from now on as `key`.
    case createSubConn(SubConnKey, addresses: [Address])
    /// Ask the SubConn to connect (it leaves IDLE for CONNECTING).
    case connect(SubConnKey)
    /// Hand the SubConn a new address list (a READY connection on a listed address is kept).
    case updateAddresses(SubConnKey, [Address])
    /// Shut the SubConn down; its key is never used again.
    case shutdown(SubConnKey)
    /// Publish the channel's state with this picker; `reason` explains the change.
    case publish(ConnectivityState, PickerSpec, reason: String)
    /// Ask the resolver to resolve again.
    case resolveNow
    /// Tell the resolver its update could not be used (grpc-go's `ErrBadResolverState`).
    case rejectResolverUpdate(String)
    case armTimer(BalancerTimer, after: TimeAmount)
    case disarmTimer(BalancerTimer)
    /// Legacy v1 adapter: `address` is usable through `key` (the legacy balancer's `up`).
    case legacyUp(SubConnKey, Address)
    /// Legacy v1 adapter: call the `down` that `up` returned for `key`.
    case legacyDown(SubConnKey, reason: String)
    /// Legacy v1 adapter: start watching the legacy balancer's notify stream.
    case legacyWatchNotify
    /// Legacy v1 adapter: hand the resolver's addresses to the legacy balancer's naming feed.
    case legacyNaming([Address])
}

extension SubConnState {
    /// "subchannel sc3 TRANSIENT_FAILURE: connection refused", the reason a balancer gives for a
    /// channel change this update caused.
    func channelReason(for key: SubConnKey) -> String {
        "subchannel \(key) \(state)" + (reason.map { ": \($0)" } ?? "")
    }
}
