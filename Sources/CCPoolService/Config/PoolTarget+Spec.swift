import CCPoolCore
import ChannelPool

extension PoolTarget {
    /// Builds a pool target from a validated spec; loads its TLS files (once per target).
    public init(
        name: TargetName, spec: TargetSpec, source: Source,
        resolvers: ResolverRegistry = .standard, balancers: BalancerRegistry = .standard
    ) throws(TLSSettingsError) {
        let settings = spec.channelSettings
        let connector = HTTP2Connector(tls: try settings.tls.map { tls throws(TLSSettingsError) in
            try TLSClientContext(tls, defaultAuthority: spec.parsedTarget.defaultAuthorityHost)
        })
        self.init(
            name: name.description, uri: spec.target, target: spec.parsedTarget,
            options: settings.channelOptions(connector: connector, resolvers: resolvers, balancers: balancers),
            labels: spec.labels, source: source)
    }
}
