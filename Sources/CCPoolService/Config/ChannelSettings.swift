import CCPoolCore

/// What a channel is built from, taken from a ``TargetSpec``: the parsed target and the
/// ``ChannelOptions`` inputs, without the dialler and registries (the pool owns those).
///
/// The pool builds a connector from `tls` (loading the files once per target) and then calls
/// ``channelOptions(connector:resolvers:balancers:)``.
public struct ChannelSettings: Sendable {
    public var target: Target
    public var serviceConfig: ServiceConfig
    public var backoff: BackoffConfiguration
    public var keepalive: KeepaliveConfiguration?
    public var idle: IdleMode
    /// Nil: plaintext.
    public var tls: TLSSettings?

    public func channelOptions(
        connector: any SubchannelConnector,
        resolvers: ResolverRegistry = .standard,
        balancers: BalancerRegistry = .standard
    ) -> ChannelOptions {
        ChannelOptions(
            serviceConfig: serviceConfig, backoff: backoff, keepalive: keepalive, idle: idle,
            connector: connector, resolvers: resolvers, balancers: balancers,
            connectorIdentity: tls.map { "tls \($0)" } ?? "plaintext")
    }
}

extension TargetSpec {
    public var channelSettings: ChannelSettings {
        ChannelSettings(
            target: parsedTarget, serviceConfig: serviceConfig, backoff: backoff, keepalive: keepalive, idle: idle, tls: tls)
    }

    /// Which parts of a target spec differ between two versions, so the pool rebuilds only what
    /// changed: a new URI re-resolves, a new service config swaps the balancer, new
    /// connection settings (TLS, keepalive, backoff, idle) rebuild the subchannels, new labels
    /// touch no connection at all.
    public struct Changes: OptionSet, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// `target` (the URI text).
        public static let targetURI = Changes(rawValue: 1 << 0)
        /// `service_config` (compared as canonical JSON).
        public static let serviceConfig = Changes(rawValue: 1 << 1)
        /// `tls`, `keepalive`, `backoff` or `idle`.
        public static let connection = Changes(rawValue: 1 << 2)
        /// `labels` only: nothing to reconnect.
        public static let labels = Changes(rawValue: 1 << 3)

        public var description: String {
            let names = [(Changes.targetURI, "target"), (.serviceConfig, "service_config"), (.connection, "connection"), (.labels, "labels")]
            let parts = names.filter { contains($0.0) }.map(\.1)
            return parts.isEmpty ? "none" : parts.joined(separator: ", ")
        }
    }

    /// What differs from `old`; empty when the specs are equal.
    public func changes(from old: TargetSpec) -> Changes {
        var changes: Changes = []
        if target != old.target { changes.insert(.targetURI) }
        if serviceConfigJSON != old.serviceConfigJSON { changes.insert(.serviceConfig) }
        if tls != old.tls || keepalive != old.keepalive || backoff != old.backoff || idle != old.idle {
            changes.insert(.connection)
        }
        if labels != old.labels { changes.insert(.labels) }
        return changes
    }
}
