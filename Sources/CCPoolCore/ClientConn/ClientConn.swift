import Foundation
import Logging
import NIOCore
import Vocabulary

/// One channel (grpc-go's `ClientConn`) to one target: a resolver, a balancer behind its
/// ``CCBalancerWrapper``, the subchannels the balancer creates, the picker, and the aggregated
/// channel state.
///
/// Loop-confined: create it, call it and observe it on `eventLoop`. Only ``picks`` may be used
/// from other threads. Every channel and subchannel event reaches the observer synchronously and
/// in order (see ``ClientConnObserver``).
public final class ClientConn {
    public private(set) var target: Target
    public let eventLoop: any EventLoop
    /// Picks from any thread (docs/connection.md, "Picks").
    public let picks: PickerState

    public private(set) var state: ConnectivityState = .idle
    public private(set) var options: ChannelOptions
    private weak var observer: (any ClientConnObserver)?
    private let wallClock: @Sendable () -> Date
    private let logger: Logger

    private var resolver: (any NameResolver)?
    private var balancerWrapper: CCBalancerWrapper?
    /// A new balancer being switched to gracefully: it gets resolver updates, but the current one
    /// keeps serving until the new one reports something other than CONNECTING or the current one
    /// leaves READY (grpc-go's graceful switch).
    private var pendingWrapper: CCBalancerWrapper?
    /// The pending balancer's latest CONNECTING report, published when it takes over.
    private var pendingUpdate: BalancerState?
    private var subConns: [SubchannelID: ACBalancerWrapper] = [:]
    private var lastResolverResult: ResolverResult?
    private var started = false

    public init(
        target: Target,
        options: ChannelOptions,
        eventLoop: any EventLoop,
        observer: (any ClientConnObserver)?,
        wallClock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "ccpool.channel")
    ) {
        eventLoop.preconditionInEventLoop()
        self.target = target
        self.options = options
        self.eventLoop = eventLoop
        self.observer = observer
        self.wallClock = wallClock
        // No "target" metadata in the logger itself: that is a dictionary per channel; log lines add it.
        self.logger = logger
        let box = NIOLoopBound(WeakBox<ClientConn>(), eventLoop: eventLoop)
        self.picks = PickerState(eventLoop: eventLoop) {
            eventLoop.execute { box.value.object?.exitIdle() }
        }
        box.value.object = self
    }

    /// The subchannels that exist now, by id.
    public var subchannels: [Subchannel] {
        subConns.values.map(\.subchannel).sorted { $0.id < $1.id }
    }

    public var balancerName: String { options.serviceConfig.balancerName }

    /// The subchannel with this id, while it exists.
    public func subchannel(_ id: SubchannelID) -> Subchannel? {
        subConns[id]?.subchannel
    }

    /// Starts resolving and balancing: IDLE → CONNECTING.
    public func start() throws(TargetError) {
        eventLoop.preconditionInEventLoop()
        guard !started, state != .shutdown else { return }
        started = true
        installBalancer()
        publish(.connecting, reason: "resolving \(target.original)")
        try startResolver()
    }

    /// Asks the balancer to connect (a no-op for balancers that are not idle).
    public func exitIdle() {
        eventLoop.preconditionInEventLoop()
        balancerWrapper?.exitIdle()
        pendingWrapper?.exitIdle()
    }

    /// Applies new options without replacing the channel.
    ///
    /// A different policy, health-check service, backoff, keepalive or connector swaps the
    /// balancer: the old one's subchannels shut down and the new one builds its own from the last
    /// resolver result. A change of balancer config alone is handed to the running balancer.
    public func updateOptions(_ new: ChannelOptions) {
        eventLoop.preconditionInEventLoop()
        let old = options
        options = new
        guard started, state != .shutdown else { return }
        let rebuild =
            new.serviceConfig.balancerName != old.serviceConfig.balancerName
            || new.serviceConfig.healthCheckServiceName != old.serviceConfig.healthCheckServiceName
            || new.backoff != old.backoff || new.keepalive != old.keepalive
            || new.connectorIdentity != old.connectorIdentity
        if rebuild {
            switchBalancer()
        }
        if let lastResolverResult {
            latestWrapper?.updateClientConnState(clientConnState(lastResolverResult))
        }
        if new.idle == .connected, state == .idle { exitIdle() }
    }

    /// Applies a new service config (see ``updateOptions(_:)``).
    public func updateServiceConfig(_ config: ServiceConfig) {
        var new = options
        new.serviceConfig = config
        updateOptions(new)
    }

    /// Points the channel at a new target: the old resolver stops, the new one resolves, and
    /// the balancer reconciles its subchannels with the new addresses (connections to addresses
    /// still listed are kept).
    public func updateTarget(_ new: Target) throws(TargetError) {
        eventLoop.preconditionInEventLoop()
        guard new != target else { return }
        let resolver = try options.resolvers.makeResolver(
            for: new, context: ResolverContext(eventLoop: eventLoop, backoff: options.backoff))
        target = new
        guard started, state != .shutdown else { return }
        self.resolver?.close()
        self.resolver = resolver
        lastResolverResult = nil
        resolver.start(listener: ResolverWrapper(channel: self))
    }

    /// Shuts the channel down: SHUTDOWN for the channel, then for every subchannel.
    public func shutdown(reason: String = "channel shutdown") {
        eventLoop.preconditionInEventLoop()
        guard state != .shutdown else { return }
        resolver?.close()
        resolver = nil
        picks.close()
        publish(.shutdown, reason: reason)
        pendingWrapper?.close()
        pendingWrapper = nil
        pendingUpdate = nil
        balancerWrapper?.close()
        balancerWrapper = nil
        // The balancer shuts its SubConns down in close(); anything left (a misbehaving
        // balancer, or close() deferred behind a running call) is shut down here.
        for subConn in subConns.values.sorted(by: { $0.id < $1.id }) { subConn.shutdown() }
    }

    // MARK: Internals used by the wrappers

    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent) {
        observer?.clientConn(self, didEmit: .subchannel(subchannel.id, event))
        if case .transition(let transition) = event, transition.to == .shutdown {
            subConns[subchannel.id] = nil
        }
    }

    func resolveNow() {
        resolver?.resolveNow()
    }

    /// The balancer that receives resolver updates: the pending one during a switch.
    private var latestWrapper: CCBalancerWrapper? { pendingWrapper ?? balancerWrapper }

    /// Replaces the balancer. While the channel is READY the switch is graceful: the old
    /// balancer keeps serving until the new one is ready to (see ``pendingWrapper``).
    private func switchBalancer() {
        pendingWrapper?.close()
        pendingWrapper = nil
        pendingUpdate = nil
        if state == .ready {
            pendingWrapper = makeBalancer()
        } else {
            balancerWrapper?.close()
            balancerWrapper = makeBalancer()
        }
    }

    private func installBalancer() {
        balancerWrapper = makeBalancer()
    }

    private func makeBalancer() -> CCBalancerWrapper {
        let wrapper = CCBalancerWrapper(eventLoop: eventLoop)
        wrapper.onBadResolverState = { [weak self] message in
            guard let self else { return }
            logger.warning(
                "balancer rejected resolver update", metadata: ["target": "\(target)", "reason": "\(message)"])
            resolveNow()
        }
        let name = options.serviceConfig.balancerName
        let builder = options.balancers.builder(named: name) ?? PickFirstBalancerBuilder()
        let helper = BalancerHelperImpl(channel: self, wrapper: wrapper)
        wrapper.setBalancer(builder.build(helper: helper))
        observer?.clientConn(self, didEmit: .balancerChanged(builder.name))
        return wrapper
    }

    private func startResolver() throws(TargetError) {
        let resolver = try options.resolvers.makeResolver(
            for: target, context: ResolverContext(eventLoop: eventLoop, backoff: options.backoff))
        self.resolver = resolver
        resolver.start(listener: ResolverWrapper(channel: self))
    }

    private func clientConnState(_ result: ResolverResult) -> ClientConnState {
        ClientConnState(addresses: result.addresses, balancerConfig: options.serviceConfig.balancerConfig)
    }

    fileprivate func resolverDidResolve(_ result: ResolverResult) {
        guard state != .shutdown else { return }
        lastResolverResult = result
        observer?.clientConn(self, didEmit: .resolverUpdate(result))
        latestWrapper?.updateClientConnState(clientConnState(result))
    }

    fileprivate func resolverDidFail(_ error: ResolverError) {
        guard state != .shutdown else { return }
        observer?.clientConn(self, didEmit: .resolverError(error))
        latestWrapper?.resolverError(error)
    }

    fileprivate func newSubConn(addresses: [Address], wrapper: CCBalancerWrapper) -> any SubConn {
        let handle = ACBalancerWrapper(channel: self, updates: wrapper.updates)
        let subchannel = Subchannel(
            addresses: addresses, eventLoop: eventLoop, connector: options.connector, backoff: options.backoff,
            keepalive: options.keepalive, healthCheckService: options.serviceConfig.healthCheckServiceName,
            wallClock: wallClock, observer: handle, logger: logger, channelTarget: target.original)
        handle.wrap(subchannel)
        if wrapper.isClosed || state == .shutdown {
            // A balancer being closed may still create SubConns; they never live.
            subConns[subchannel.id] = handle
            observer?.clientConn(self, didEmit: .subchannelCreated(subchannel.id, addresses: addresses))
            handle.shutdown()
            return handle
        }
        subConns[subchannel.id] = handle
        observer?.clientConn(self, didEmit: .subchannelCreated(subchannel.id, addresses: addresses))
        return handle
    }

    /// docs/connection.md, "Between the channel and its balancer": the picker is swapped before the state is
    /// published; updates from a closed balancer are ignored.
    fileprivate func balancerDidUpdate(_ update: BalancerState, from wrapper: CCBalancerWrapper) {
        guard !wrapper.isClosed, state != .shutdown else { return }
        if wrapper === pendingWrapper {
            guard update.state != .connecting else {
                pendingUpdate = update
                return
            }
            promotePending(with: update)
            return
        }
        guard wrapper === balancerWrapper else { return }
        apply(update, from: wrapper)
        if pendingWrapper != nil, update.state != .ready {
            // The old balancer stopped serving: the new one takes over now, with what it last
            // reported (if anything).
            promotePending(with: pendingUpdate)
        }
    }

    private func promotePending(with update: BalancerState?) {
        guard let pending = pendingWrapper else { return }
        balancerWrapper?.close()
        balancerWrapper = pending
        pendingWrapper = nil
        pendingUpdate = nil
        if let update { apply(update, from: pending) }
    }

    private func apply(_ update: BalancerState, from wrapper: CCBalancerWrapper) {
        let error: String? = update.state == .transientFailure ? update.reason : nil
        picks.publish(update.picker, error: error)
        publish(update.state, reason: update.reason)
        if update.state == .idle, options.idle == .connected {
            wrapper.exitIdle()
        }
    }

    private func publish(_ new: ConnectivityState, reason: String) {
        let old = state
        guard TransitionRules.check(from: old, to: new, scope: .channel) != .unchanged else { return }
        state = new
        observer?.clientConn(self, didEmit: .channelTransition(
            ChannelTransition(time: wallClock(), from: old, to: new, reason: reason)))
    }
}

/// The channel as its balancer sees it. Holds the wrapper it belongs to, so that a replaced
/// balancer's late calls are recognised and ignored.
///
/// References are weak: a closed balancer may outlive its wrapper through a pending timer.
private final class BalancerHelperImpl: BalancerHelper {
    private weak var channel: ClientConn?
    private weak var wrapper: CCBalancerWrapper?
    let eventLoop: any EventLoop
    let target: String

    init(channel: ClientConn, wrapper: CCBalancerWrapper) {
        self.channel = channel
        self.wrapper = wrapper
        self.eventLoop = channel.eventLoop
        self.target = channel.target.original
    }

    func newSubConn(addresses: [Address]) -> any SubConn {
        guard let channel, let wrapper else { return DetachedSubConn(addresses: addresses) }
        return channel.newSubConn(addresses: addresses, wrapper: wrapper)
    }

    func updateState(_ state: BalancerState) {
        guard let channel, let wrapper else { return }
        channel.balancerDidUpdate(state, from: wrapper)
    }

    func resolveNow() {
        channel?.resolveNow()
    }
}

/// What a balancer gets if it asks for a SubConn after its channel is gone: inert.
private final class DetachedSubConn: SubConn {
    let id = SubchannelID.next()
    let addresses: [Address]
    var connectedAddress: Address? { nil }
    init(addresses: [Address]) { self.addresses = addresses }
    func updateAddresses(_ addresses: [Address]) {}
    func connect() {}
    func shutdown() {}
}

/// The channel as its resolver sees it (grpc-go's `ccResolverWrapper`).
private final class ResolverWrapper: ResolverListener {
    private weak var channel: ClientConn?
    init(channel: ClientConn) { self.channel = channel }
    func resolverDidResolve(_ result: ResolverResult) { channel?.resolverDidResolve(result) }
    func resolverDidFail(_ error: ResolverError) { channel?.resolverDidFail(error) }
}
