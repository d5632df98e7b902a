import Synchronization

/// A broadcast of full address lists with one subscriber: the legacy API's notify channel, and
/// the naming source a legacy balancer watches.
///
/// Lists are full snapshots, so a subscriber that arrives late (or is slow) gets the latest one
/// and loses nothing it needs. Thread-safe.
public final class LegacyAddressList: Sendable {
    private struct State {
        var latest: [Address]?
        var subscriber: (@Sendable ([Address]) -> Void)?
        var finished = false
    }
    private let state = Mutex(State())

    public init() {}

    /// Publishes a full list; the subscriber (if any) is called on this thread.
    public func send(_ addresses: [Address]) {
        let subscriber = state.withLock { state -> (@Sendable ([Address]) -> Void)? in
            guard !state.finished else { return nil }
            state.latest = addresses
            return state.subscriber
        }
        subscriber?(addresses)
    }

    /// Sets the one subscriber; it receives the latest list at once if there is one.
    public func subscribe(_ handler: @escaping @Sendable ([Address]) -> Void) {
        let latest = state.withLock { state -> [Address]? in
            state.subscriber = handler
            return state.finished ? nil : state.latest
        }
        if let latest { handler(latest) }
    }

    /// Ends the stream: no more deliveries.
    public func finish() {
        state.withLock { state in
            state.finished = true
            state.subscriber = nil
        }
    }
}
