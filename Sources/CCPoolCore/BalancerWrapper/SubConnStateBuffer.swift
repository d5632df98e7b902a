import NIOCore
import Synchronization
import Vocabulary

/// The seed's `scStateUpdateBuffer`: an unbounded, ordered, multi-producer buffer of SubConn
/// state updates on their way into a balancer.
///
/// `put` never blocks on the consumer and never drops: it appends under a short lock and, when
/// the buffer goes from empty to non-empty, calls `onAvailable` once so the consumer schedules
/// one drain. The consumer takes everything with ``drain()`` and sees each update exactly once,
/// in the order it was put (per producer, and globally in lock order). Dropping an update would
/// corrupt the balancer's ``ConnectivityStateEvaluator``, whose counts need matched pairs.
public final class SubConnStateBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items = CircularBuffer<Element>(initialCapacity: 16)
        /// True from the put that found the buffer empty until the next drain: one wake-up per
        /// batch, however many puts land in it.
        var wakeupPending = false
        var closed = false
    }

    private let state = Mutex(State())
    private let onAvailable: @Sendable () -> Void

    /// - Parameter onAvailable: called (outside the lock, on the producer's thread) when the
    ///   buffer becomes non-empty; it must only schedule a drain, never drain inline.
    public init(onAvailable: @escaping @Sendable () -> Void) {
        self.onAvailable = onAvailable
    }

    /// Appends `element`. Returns at once whatever the consumer is doing.
    public func put(_ element: Element) {
        let wake = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.items.append(element)
            if state.wakeupPending { return false }
            state.wakeupPending = true
            return true
        }
        if wake { onAvailable() }
    }

    /// Everything put since the last drain, oldest first.
    public func drain() -> [Element] {
        state.withLock { state in
            state.wakeupPending = false
            let items = Array(state.items)
            state.items.removeAll(keepingCapacity: state.items.count <= 1024)
            return items
        }
    }

    /// How many updates wait to be drained.
    public var count: Int { state.withLock { $0.items.count } }

    /// Stops accepting updates and discards the pending ones (the balancer is closed: docs/connection.md, "Between
    /// the channel and its balancer").
    public func close() {
        state.withLock { state in
            state.closed = true
            state.items.removeAll()
        }
    }
}
