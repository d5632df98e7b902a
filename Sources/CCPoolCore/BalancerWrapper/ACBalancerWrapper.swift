import NIOCore

/// grpc-go's `acBalancerWrapper`: a balancer's ``SubConn`` handle over one ``Subchannel``.
///
/// It observes its subchannel: every event goes first to the channel (history and metrics, losslessly and
/// in order), then state changes go to the balancer through the SubConn-state buffer. Events from
/// a subchannel this handle no longer wraps (one it replaced) are ignored. `connect()` is
/// asynchronous so that a balancer calling it never re-enters the serializer.
final class ACBalancerWrapper: SubConn, SubchannelObserver {
    private(set) var subchannel: Subchannel!
    /// Weak: a subchannel (kept alive by a pending timer) may outlive its channel.
    private weak var channel: ClientConn?
    private let eventLoop: any EventLoop
    private let updates: SubConnStateBuffer<CCBalancerWrapper.SubConnUpdate>
    private var isShutdown = false

    init(channel: ClientConn, updates: SubConnStateBuffer<CCBalancerWrapper.SubConnUpdate>) {
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.updates = updates
    }

    /// Sets (or replaces) the subchannel this handle wraps.
    func wrap(_ subchannel: Subchannel) {
        self.subchannel = subchannel
    }

    var id: SubchannelID { subchannel.id }
    var addresses: [Address] { subchannel.addresses }
    var connectedAddress: Address? { subchannel.connectedAddress }

    func updateAddresses(_ addresses: [Address]) {
        subchannel.updateAddresses(addresses)
    }

    func connect() {
        let subchannel = NIOLoopBound(self.subchannel!, eventLoop: eventLoop)
        eventLoop.execute { subchannel.value.connect() }
    }

    func shutdown() {
        guard !isShutdown else { return }
        isShutdown = true
        subchannel.shutdown()
    }

    // MARK: SubchannelObserver

    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent) {
        guard subchannel === self.subchannel, let channel else { return }
        channel.subchannel(subchannel, didEmit: event)
        if case .transition(let transition) = event {
            let state = SubConnState(transition.to, reason: transition.reason)
            updates.put(.init(subConn: NIOLoopBound(self, eventLoop: eventLoop), state: state))
        }
        if case .reresolutionRequested = event {
            channel.resolveNow()
        }
    }
}
