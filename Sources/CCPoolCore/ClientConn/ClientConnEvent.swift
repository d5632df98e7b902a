import Foundation
import Vocabulary

/// One channel state change.
public struct ChannelTransition: Hashable, Sendable {
    public var time: Date
    public var from: ConnectivityState
    public var to: ConnectivityState
    /// Short human text: "resolver update", "subchannel READY", "produced zero addresses", ...
    public var reason: String

    public init(time: Date, from: ConnectivityState, to: ConnectivityState, reason: String) {
        self.time = time
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Everything a channel tells its observer, in order.
public enum ClientConnEvent: Sendable {
    case channelTransition(ChannelTransition)
    /// The balancer created a subchannel (IDLE; creation is not a transition).
    case subchannelCreated(SubchannelID, addresses: [Address])
    /// Something happened to one of the channel's subchannels (transitions included).
    case subchannel(SubchannelID, SubchannelEvent)
    case resolverUpdate(ResolverResult)
    case resolverError(ResolverError)
    /// The channel now runs this balancer policy.
    case balancerChanged(String)
}

/// Receives a channel's events on its event loop, synchronously and in order: the lossless seam
/// for history and metrics, as ``SubchannelObserver`` is for one subchannel.
public protocol ClientConnObserver: AnyObject {
    func clientConn(_ clientConn: ClientConn, didEmit event: ClientConnEvent)
}

/// Whether an IDLE channel is reconnected at once (ccpool's default) or on the first pick.
public enum IdleMode: String, Sendable, Hashable {
    /// ccpool keeps channels connected: IDLE → exitIdle immediately (docs/connection.md, "Balancers", **ccpool:**).
    case connected
    /// gRPC's behaviour: connect when a pick needs a connection.
    case lazy
}
