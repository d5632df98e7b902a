import NIOCore

/// pick_first's configuration (`{"pick_first": {"shuffleAddressList": true}}`).
public struct PickFirstConfig: LoadBalancingConfig, Hashable {
    public var shuffleAddressList: Bool
    public init(shuffleAddressList: Bool = false) { self.shuffleAddressList = shuffleAddressList }
}

public struct PickFirstBalancerBuilder: BalancerBuilder {
    /// How long an attempt runs before the next address is tried alongside it (gRPC A61).
    public var happyEyeballsDelay: TimeAmount
    /// Randomness for `shuffleAddressList`.
    public var makeRandom: @Sendable () -> any RandomSource

    public init(
        happyEyeballsDelay: TimeAmount = .milliseconds(250),
        makeRandom: @escaping @Sendable () -> any RandomSource = { SystemRandomSource() }
    ) {
        self.happyEyeballsDelay = happyEyeballsDelay
        self.makeRandom = makeRandom
    }

    public var name: String { "pick_first" }

    public func parseConfig(_ json: [String: any Sendable]) throws(ServiceConfigError) -> (any LoadBalancingConfig)? {
        guard let value = json["shuffleAddressList"] else { return PickFirstConfig() }
        guard let shuffle = value as? Bool else {
            throw ServiceConfigError("pick_first.shuffleAddressList must be true or false")
        }
        return PickFirstConfig(shuffleAddressList: shuffle)
    }

    public func build(helper: any BalancerHelper) -> any Balancer {
        StateMachineBalancer(
            machine: PickFirstStateMachine(happyEyeballsDelay: happyEyeballsDelay, random: makeRandom()), helper: helper)
    }
}
