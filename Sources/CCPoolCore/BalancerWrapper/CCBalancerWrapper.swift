import NIOCore

/// The seed's `ccBalancerWrapper`: sits between a channel and its balancer and serialises every
/// call into the balancer (docs/connection.md, "Between the channel and its balancer").
///
/// The serializer is the event loop's FIFO plus a guard: work raised while the balancer is
/// running (by the balancer itself, or by anyone it calls) is queued and runs after the current
/// call returns, so a balancer never runs twice at once and never sees a callback from inside
/// its own call. Resolver updates are full snapshots: an unread one is replaced by a newer one.
/// SubConn updates arrive through the ``SubConnStateBuffer`` and are never coalesced or dropped.
/// After ``close()``, queued work is discarded without calling the balancer.
final class CCBalancerWrapper {
    private enum Work {
        case clientConnState(ClientConnState)
        case resolverError(ResolverError)
        case subConnUpdates
        case exitIdle
        case close
    }

    /// A SubConn state update on its way to the balancer.
    struct SubConnUpdate: Sendable {
        let subConn: NIOLoopBound<ACBalancerWrapper>
        let state: SubConnState
    }

    let eventLoop: any EventLoop
    private var balancer: (any Balancer)?
    private var queue = CircularBuffer<Work>()
    private var running = false
    private(set) var isClosed = false
    let updates: SubConnStateBuffer<SubConnUpdate>
    /// Called with a resolver update's error when the balancer rejects it.
    var onBadResolverState: ((String) -> Void)?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        let box = WeakBox<CCBalancerWrapper>()
        let bound = NIOLoopBound(box, eventLoop: eventLoop)
        self.updates = SubConnStateBuffer {
            // Hop: the producer may be on any thread; the drain runs as queued work on the loop.
            eventLoop.execute { bound.value.object?.enqueue(.subConnUpdates) }
        }
        box.object = self
    }

    /// Installs the balancer. Work queued before this runs once it is set.
    func setBalancer(_ balancer: any Balancer) {
        eventLoop.preconditionInEventLoop()
        self.balancer = balancer
        run()
    }

    func updateClientConnState(_ state: ClientConnState) {
        // A queued, unread resolver update is a stale snapshot: replace it in place.
        if let index = queue.firstIndex(where: { if case .clientConnState = $0 { return true } else { return false } }) {
            queue[index] = .clientConnState(state)
            return
        }
        enqueue(.clientConnState(state))
    }

    func resolverError(_ error: ResolverError) { enqueue(.resolverError(error)) }
    func exitIdle() { enqueue(.exitIdle) }

    /// Discards queued work, refuses new work, and closes the balancer (as the last call into it).
    func close() {
        eventLoop.preconditionInEventLoop()
        guard !isClosed else { return }
        isClosed = true
        queue.removeAll()
        updates.close()
        queue.append(.close)
        run()
    }

    private func enqueue(_ work: Work) {
        eventLoop.preconditionInEventLoop()
        guard !isClosed else { return }
        queue.append(work)
        run()
    }

    private func run() {
        guard !running, balancer != nil else { return }
        running = true
        defer { running = false }
        while let work = queue.popFirst() {
            guard let balancer else { return }
            switch work {
            case .clientConnState(let state):
                do {
                    try balancer.updateClientConnState(state)
                } catch {
                    if case .badResolverState(let message) = error { onBadResolverState?(message) }
                }
            case .resolverError(let error):
                balancer.resolverError(error)
            case .subConnUpdates:
                for update in updates.drain() {
                    // close() may have run from inside the balancer: stop calling it.
                    if isClosed { break }
                    balancer.updateSubConnState(update.subConn.value, update.state)
                }
            case .exitIdle:
                balancer.exitIdle()
            case .close:
                balancer.close()
                self.balancer = nil
                queue.removeAll()
            }
        }
    }
}

/// A weak reference that can be created before the object it points to.
final class WeakBox<Object: AnyObject> {
    weak var object: Object?
    init() {}
}
