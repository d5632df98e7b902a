import Foundation
import NIOCore
import Vocabulary

/// One subchannel state change, as history, metrics and balancers see it.
public struct SubchannelTransition: Hashable, Sendable {
    /// Wall-clock time of the change.
    public var time: Date
    public var subchannel: SubchannelID
    public var from: ConnectivityState
    public var to: ConnectivityState
    /// The address the change concerns (the one connected, attempted or lost), if any.
    public var address: Address?
    /// Short human text: "connection refused", "GOAWAY NO_ERROR", "backoff elapsed", ...
    public var reason: String
    /// Set on every move out of READY: the closed-set reason for metrics (docs/connection.md, "Subchannels" 10).
    public var disconnectReason: DisconnectReason?

    public init(
        time: Date, subchannel: SubchannelID, from: ConnectivityState, to: ConnectivityState,
        address: Address?, reason: String, disconnectReason: DisconnectReason? = nil
    ) {
        self.time = time
        self.subchannel = subchannel
        self.from = from
        self.to = to
        self.address = address
        self.reason = reason
        self.disconnectReason = disconnectReason
    }
}

/// Everything a subchannel tells its observer, in the order it happened.
public enum SubchannelEvent: Hashable, Sendable {
    /// A state change (never `from == to`).
    case transition(SubchannelTransition)
    /// A connection pass reached READY after `duration` (gRPC A94 "succeeded").
    case connectionAttemptSucceeded(address: Address, duration: TimeAmount)
    /// A connection pass failed on every address (gRPC A94 "failed").
    case connectionAttemptFailed(reason: String)
    /// The subchannel asks its channel to re-resolve the target (a pass failed, or READY ended).
    case reresolutionRequested
    /// The server said "too_many_pings": the keepalive interval was doubled to `keepaliveTime`.
    case keepaliveThrottled(keepaliveTime: TimeAmount)
    /// The health-check status shown by the API changed (docs/connection.md, "Health checking").
    case healthChanged(HealthStatus)
    /// The balancer replaced the address list (emitted before any transition it causes).
    case addressesUpdated([Address])
}

/// Receives a subchannel's events on the subchannel's event loop, synchronously and in order.
///
/// This is the lossless seam that history, metrics and the balancer wrapper hang off: nothing is
/// buffered or dropped between the subchannel and its observer. The observer may call back into
/// the subchannel; such calls run after the current event has been fully handled.
public protocol SubchannelObserver: AnyObject {
    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent)
}
