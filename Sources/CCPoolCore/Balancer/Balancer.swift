import NIOCore
import Vocabulary

/// A load-balancing policy (grpc-go's `balancer.Balancer`).
///
/// Every method is called by the channel's ``CCBalancerWrapper``: on the channel's event loop,
/// one at a time, in FIFO order, never re-entrantly. A balancer talks back through the
/// ``BalancerHelper`` it was built with; those calls are never re-entrant into the balancer
/// either (state updates it triggers are queued).
public protocol Balancer: AnyObject {
    /// The resolver's latest addresses and the balancer's parsed configuration. Throwing
    /// ``BalancerError/badResolverState(_:)`` tells the resolver the update was bad.
    func updateClientConnState(_ state: ClientConnState) throws(BalancerError)
    /// The resolver failed; keep using the last good addresses if any.
    func resolverError(_ error: ResolverError)
    /// A SubConn this balancer created changed state. SHUTDOWN is the last update a SubConn gets.
    func updateSubConnState(_ subConn: any SubConn, _ state: SubConnState)
    /// Start connecting if idle.
    func exitIdle()
    /// Shut down every SubConn; no call follows.
    func close()
}

/// What a resolver update gives a balancer.
public struct ClientConnState: Sendable {
    public var addresses: [Address]
    /// The balancer's own configuration, as parsed by its builder.
    public var balancerConfig: (any LoadBalancingConfig)?

    public init(addresses: [Address], balancerConfig: (any LoadBalancingConfig)? = nil) {
        self.addresses = addresses
        self.balancerConfig = balancerConfig
    }
}

/// A SubConn's state as its balancer sees it.
public struct SubConnState: Hashable, Sendable {
    public var state: ConnectivityState
    /// Why it is TRANSIENT_FAILURE or left READY ("connection refused", "health check failed: NOT_SERVING").
    public var reason: String?

    public init(_ state: ConnectivityState, reason: String? = nil) {
        self.state = state
        self.reason = reason
    }
}

/// What a balancer publishes: the channel's aggregated state and the picker that goes with it.
public struct BalancerState: Sendable {
    public var state: ConnectivityState
    public var picker: any Picker
    /// Short human text for the channel transition this may cause.
    public var reason: String

    public init(state: ConnectivityState, picker: any Picker, reason: String) {
        self.state = state
        self.picker = picker
        self.reason = reason
    }
}

public enum BalancerError: Error, Hashable, Sendable {
    /// The resolver's update cannot be used (for example it produced zero addresses).
    case badResolverState(String)
}

/// A balancer's parsed `loadBalancingConfig` entry.
public protocol LoadBalancingConfig: Sendable {}

/// Makes balancers of one policy (grpc-go's `balancer.Builder`).
public protocol BalancerBuilder: Sendable {
    /// The policy name used in `loadBalancingConfig` (`pick_first`, `round_robin`, ...).
    var name: String { get }
    /// Parses this policy's JSON configuration object; the message says what is wrong.
    func parseConfig(_ json: [String: any Sendable]) throws(ServiceConfigError) -> (any LoadBalancingConfig)?
    /// Builds a balancer that talks to its channel through `helper`.
    func build(helper: any BalancerHelper) -> any Balancer
}

extension BalancerBuilder {
    public func parseConfig(_ json: [String: any Sendable]) throws(ServiceConfigError) -> (any LoadBalancingConfig)? {
        nil
    }
}

/// The channel as a balancer sees it (grpc-go's `balancer.ClientConn`). Loop-confined.
public protocol BalancerHelper: AnyObject {
    /// The channel's event loop: balancers may schedule timers on it.
    var eventLoop: any EventLoop { get }
    /// The channel's target as written (the legacy v1 API's `Start(target)`).
    var target: String { get }
    /// Creates a SubConn, IDLE, for `addresses`. It connects when told to.
    func newSubConn(addresses: [Address]) -> any SubConn
    /// Publishes a new aggregated state and picker. The picker is swapped before the state.
    func updateState(_ state: BalancerState)
    /// Asks the resolver to resolve again.
    func resolveNow()
}

/// The balancer's handle on one subchannel (grpc-go's `balancer.SubConn`). Loop-confined.
public protocol SubConn: AnyObject {
    var id: SubchannelID { get }
    var addresses: [Address] { get }
    /// The address of the live connection while READY.
    var connectedAddress: Address? { get }
    /// Replaces the address list (docs/connection.md, "Subchannels" 6).
    func updateAddresses(_ addresses: [Address])
    /// Starts connecting if IDLE; asynchronous: it never re-enters the balancer.
    func connect()
    /// Shuts the SubConn down; the balancer receives SHUTDOWN as its last update.
    func shutdown()
}
