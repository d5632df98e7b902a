/// The v1 balancer API that grpc-go had before `balancer.Balancer` (its `grpc.Balancer`),
/// kept alive behind ``LegacyBalancerAdapter``.
///
/// A legacy balancer is thread-safe and drives itself: it learns addresses from its own source,
/// announces the full desired list through ``notify()``, hears which addresses are usable
/// through ``up(_:)``, and answers ``get(blockingWait:)`` for each RPC.
public protocol LegacyBalancer: AnyObject, Sendable {
    /// Called once, before anything else.
    func start(target: String)
    /// `address` became usable (its SubConn is READY). The returned closure is called with the
    /// reason when it stops being usable.
    func up(_ address: Address) -> @Sendable (String) -> Void
    /// The address for one RPC, and an optional `put` to call when the RPC is done.
    func get(blockingWait: Bool) -> LegacyGetResult
    /// The stream of *full* desired address lists, or nil: then the adapter connects to the
    /// resolver's addresses directly with one SubConn.
    func notify() -> LegacyAddressList?
    /// Stops; nothing is called after this.
    func close()
}

public enum LegacyGetResult: Sendable {
    case address(Address, put: (@Sendable () -> Void)?)
    /// No address is up.
    case noAddress
    case failure(String)
}
