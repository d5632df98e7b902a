/// The balancer policies known to a process, by name (grpc-go's `balancer.Register`).
public struct BalancerRegistry: Sendable {
    private var builders: [String: any BalancerBuilder] = [:]

    public init(_ builders: [any BalancerBuilder] = []) {
        for builder in builders { register(builder) }
    }

    /// pick_first, round_robin, and the legacy v1 adapter's legacy_round_robin and legacy_pick_first.
    public static let standard = BalancerRegistry([
        PickFirstBalancerBuilder(), RoundRobinBalancerBuilder(),
        LegacyBalancerAdapterBuilder(name: "legacy_round_robin", pickFirst: false),
        LegacyBalancerAdapterBuilder(name: "legacy_pick_first", pickFirst: true),
    ])

    public mutating func register(_ builder: any BalancerBuilder) {
        builders[builder.name] = builder
    }

    public func builder(named name: String) -> (any BalancerBuilder)? {
        builders[name]
    }

    public var names: [String] { builders.keys.sorted() }
}
