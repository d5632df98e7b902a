/// How a channel dials and balances: a target entry's settings (the API's `TargetSpec`, docs/api.md).
public struct ChannelOptions: Sendable {
    public var serviceConfig: ServiceConfig
    public var backoff: BackoffConfiguration
    public var keepalive: KeepaliveConfiguration?
    public var idle: IdleMode
    /// The dialler; ``HTTP2Connector`` with the target's TLS settings in production.
    public var connector: any SubchannelConnector
    public var resolvers: ResolverRegistry
    public var balancers: BalancerRegistry
    /// Identifies the connector's settings (e.g. the TLS files), so a change can be detected.
    public var connectorIdentity: String

    public init(
        serviceConfig: ServiceConfig = .default,
        backoff: BackoffConfiguration = .init(),
        keepalive: KeepaliveConfiguration? = nil,
        idle: IdleMode = .connected,
        connector: any SubchannelConnector = HTTP2Connector(),
        resolvers: ResolverRegistry = .standard,
        balancers: BalancerRegistry = .standard,
        connectorIdentity: String = "plaintext"
    ) {
        self.connectorIdentity = connectorIdentity
        self.serviceConfig = serviceConfig
        self.backoff = backoff
        self.keepalive = keepalive
        self.idle = idle
        self.connector = connector
        self.resolvers = resolvers
        self.balancers = balancers
    }
}
