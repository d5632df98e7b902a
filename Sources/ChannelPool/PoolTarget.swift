import CCPoolCore

/// One entry of the pool, resolved from the config file or the admin API: everything the pool
/// needs to run its channel.
public struct PoolTarget: Sendable {
    /// Where a target came from; the README says which wins on a name clash.
    public enum Source: String, Sendable, Hashable {
        case config
        case admin
    }

    public var name: String
    /// The target URI as written (`dns:///host:port`, ...).
    public var uri: String
    public var target: Target
    public var options: ChannelOptions
    public var labels: [String: String]
    /// The target's spec as canonical JSON (the API's `TargetSpec`), for the API and persistence.
    public var specJSON: String
    public var source: Source

    public init(
        name: String, uri: String, target: Target, options: ChannelOptions, labels: [String: String] = [:],
        specJSON: String, source: Source
    ) {
        self.name = name
        self.uri = uri
        self.target = target
        self.options = options
        self.labels = labels
        self.specJSON = specJSON
        self.source = source
    }

    /// The balancer policy name.
    public var lbPolicy: String { options.serviceConfig.balancerName }
}
