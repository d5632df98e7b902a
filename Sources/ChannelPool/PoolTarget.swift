import CCPoolCore

/// One entry of the pool, resolved from the config file or the admin API: everything the pool
/// needs to run its channel.
///
/// A value is one reference to immutable storage: the pool's entry table and the target's runtime
/// share it, and a table with 15,000 targets keeps 8 bytes per bucket instead of the ~400 bytes of
/// the fields (a hash table keeps about twice as many buckets as entries).
public struct PoolTarget: Sendable {
    /// Where a target came from; the README says which wins on a name clash.
    public enum Source: String, Sendable, Hashable {
        case config
        case admin
    }

    private final class Storage: Sendable {
        let name: String
        let uri: String
        let target: Target
        let options: ChannelOptions
        let labels: [String: String]
        let source: Source

        init(name: String, uri: String, target: Target, options: ChannelOptions, labels: [String: String], source: Source) {
            self.name = name
            self.uri = uri
            self.target = target
            self.options = options
            self.labels = labels
            self.source = source
        }
    }

    private let storage: Storage

    public init(
        name: String, uri: String, target: Target, options: ChannelOptions, labels: [String: String] = [:],
        source: Source
    ) {
        storage = Storage(name: name, uri: uri, target: target, options: options, labels: labels, source: source)
    }

    public var name: String { storage.name }
    /// The target URI as written (`dns:///host:port`, ...).
    public var uri: String { storage.uri }
    public var target: Target { storage.target }
    public var options: ChannelOptions { storage.options }
    /// The options' connector identity, read in place (without copying every option; `/metrics` reads it
    /// for every target).
    public var connectorIdentity: String { storage.options.connectorIdentity }
    public var labels: [String: String] { storage.labels }
    public var source: Source { storage.source }

    /// The balancer policy name.
    public var lbPolicy: String { options.serviceConfig.balancerName }
}
