/// A load-balancing policy as a pure value: inputs in, ``BalancerAction``s out.
///
/// The same shape as ``SubchannelStateMachine``: no I/O, no objects, no clock. A
/// ``StateMachineBalancer`` runs the actions against real SubConns, pickers and timers; tests
/// drive the machine directly, by tables of cases and by randomized model checks.
///
/// The owner keeps the ``CCBalancerWrapper``'s rules: one input at a time, never re-entrantly,
/// and nothing after ``close()``.
public protocol BalancerStateMachine {
    /// The resolver's latest addresses (a full snapshot) and the policy's configuration.
    mutating func updateClientConnState(_ update: ClientConnState) -> [BalancerAction]
    /// The resolver failed with this message.
    mutating func resolverError(_ message: String) -> [BalancerAction]
    /// The SubConn `key` changed state (with health checking, READY means SERVING).
    mutating func subConnStateChanged(_ key: SubConnKey, _ update: SubConnState) -> [BalancerAction]
    /// The channel is asked to leave IDLE.
    mutating func exitIdle() -> [BalancerAction]
    /// A timer armed with ``BalancerAction/armTimer(_:after:)`` fired.
    mutating func timerFired(_ timer: BalancerTimer) -> [BalancerAction]
    /// The legacy balancer notified a full address list (the v1 adapter only).
    mutating func notified(_ addresses: [Address]) -> [BalancerAction]
    /// Shut everything down; no input follows.
    mutating func close() -> [BalancerAction]
}

extension BalancerStateMachine {
    /// For balancers that are never IDLE (every SubConn is kept connecting): nothing to do.
    public mutating func exitIdle() -> [BalancerAction] { [] }
    public mutating func timerFired(_ timer: BalancerTimer) -> [BalancerAction] { [] }
    public mutating func notified(_ addresses: [Address]) -> [BalancerAction] { [] }
}
