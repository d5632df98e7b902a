import Synchronization

/// The shipped legacy balancer: round robin over the addresses its naming source lists.
///
/// It announces every naming update as a full list on ``notify()``, rotates ``get`` over the
/// addresses currently up, and forgets an address when its `down` is called.
public final class LegacyRoundRobin: LegacyBalancer {
    private struct State {
        var upAddresses: [Address] = []
        var next = 0
        var closed = false
    }
    private let state = Mutex(State())
    private let naming: LegacyAddressList
    private let notifier = LegacyAddressList()

    /// - Parameter naming: where the desired addresses come from (in ccpool: the channel's resolver).
    public init(naming: LegacyAddressList) {
        self.naming = naming
    }

    public func start(target: String) {
        let notifier = self.notifier
        naming.subscribe { addresses in notifier.send(addresses) }
    }

    public func up(_ address: Address) -> @Sendable (String) -> Void {
        state.withLock { state in
            if !state.upAddresses.contains(address) { state.upAddresses.append(address) }
        }
        return { [weak self] _ in
            self?.state.withLock { state in state.upAddresses.removeAll { $0 == address } }
        }
    }

    public func get(blockingWait: Bool) -> LegacyGetResult {
        // Never blocks: a channel pick with wait-for-ready waits for the next picker instead.
        state.withLock { state in
            if state.closed { return .failure("legacy balancer closed") }
            guard !state.upAddresses.isEmpty else { return .noAddress }
            let address = state.upAddresses[state.next % state.upAddresses.count]
            state.next = (state.next + 1) % state.upAddresses.count
            return .address(address, put: nil)
        }
    }

    public func notify() -> LegacyAddressList? { notifier }

    public func close() {
        state.withLock { $0.closed = true }
        notifier.finish()
        naming.finish()
    }
}
