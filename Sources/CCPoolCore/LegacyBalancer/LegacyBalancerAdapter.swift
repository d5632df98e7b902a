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
        legacy.start(target: helper.target)
        let machine = LegacyAdapterStateMachine(pickFirst: pickFirst, hasNotify: legacy.notify() != nil)
        return StateMachineBalancer(
            machine: machine, helper: helper, legacy: LegacyBridge(legacy: legacy, pickFirst: pickFirst, naming: naming))
    }
}
