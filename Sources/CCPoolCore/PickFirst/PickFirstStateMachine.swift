import NIOCore
import Vocabulary

/// pick_first's rules as a value (grpc-go's `pickfirstleaf`, gRPC A61/A62): inputs in,
/// ``BalancerAction``s out.
///
/// ```
///                 resolver update / exitIdle
///   IDLE ──────────────────────────────────────▶ CONNECTING ── first SubConn READY ──▶ READY
///    ▲                                              │                                  │  │
///    │ selected connection lost                     │ every address failed             │  │ health
///    │ (exitIdle starts a new pass)                 ▼                                  │  │ not SERVING
///    └──────────────────────────────────── TRANSIENT_FAILURE (sticky) ◀────────────────┼──┘
///                                                   └──────── some SubConn READY ──────┘
/// ```
///
/// - A *pass* walks the address list in order, creating a SubConn per address as it reaches
///   it. An IDLE SubConn is asked to connect and the next address starts after the happy
///   eyeballs delay (without cancelling the slower attempt); a SubConn still in
///   TRANSIENT_FAILURE from an earlier pass counts as failed at once. A SubConn that leaves
///   CONNECTING for IDLE (its transport died before READY, e.g. before the first health answer)
///   counts as failed too, so the pass never waits on it.
/// - The first READY SubConn is *selected*: the others are shut down, the picker returns it.
///   With health checking its health decides: READY while SERVING; TRANSIENT_FAILURE with the
///   health error (and nothing to pick) otherwise, on the same connection.
/// - Once every address failed the channel is TRANSIENT_FAILURE and stays so (sticky, with
///   the latest error) while the SubConns reconnect as their backoff ends, until one is READY.
/// - The selected connection lost: IDLE. A resolver update while IDLE only stores the
///   addresses; the channel leaves IDLE through ``exitIdle()``.
/// - An empty address list is TRANSIENT_FAILURE "produced zero addresses", rejected back to the
///   resolver.
public struct PickFirstStateMachine: BalancerStateMachine {
    /// One address's SubConn.
    struct Entry {
        let key: SubConnKey
        /// The SubConn's state as last reported (IDLE when created).
        var state: ConnectivityState = .idle
        /// Failed at least once since the current pass started.
        var failedThisPass = false
        var lastError: String?
    }

    /// What the balancer last reported; the channel starts CONNECTING.
    public private(set) var state: ConnectivityState = .connecting
    /// Addresses in the order they are tried.
    private(set) var addresses: [Address] = []
    private var entries: SmallMap<Address, Entry> = [:]
    /// The address of the pass being tried now; `addresses.count` once the pass ran past the end.
    private var index = 0
    /// Until the first pass ends in failure; then TRANSIENT_FAILURE is sticky.
    private var firstPass = true
    /// The SubConn whose connection is in use (READY, or health-failed over a live transport).
    private(set) var selected: Address?
    private var lastError: String?
    private var nextKey = 0
    private var random: any RandomSource
    private var closed = false
    let happyEyeballsDelay: TimeAmount

    public init(happyEyeballsDelay: TimeAmount = .milliseconds(250), random: any RandomSource) {
        self.happyEyeballsDelay = happyEyeballsDelay
        self.random = random
    }

    // MARK: Inputs

    public mutating func updateClientConnState(_ update: ClientConnState) -> [BalancerAction] {
        guard !closed else { return [] }
        let config = update.balancerConfig as? PickFirstConfig ?? PickFirstConfig()
        let list = Self.order(update.addresses, shuffle: config.shuffleAddressList, random: &random)
        var actions: [BalancerAction] = []
        guard !list.isEmpty else {
            actions += shutDownAll()
            addresses = []
            index = 0
            lastError = "produced zero addresses"
            actions += report(.transientFailure, .constant(.transientFailure("resolver produced zero addresses")), "produced zero addresses")
            actions.append(.rejectResolverUpdate("produced zero addresses"))
            return actions
        }
        let previousCount = addresses.count
        let hadSelection = selected != nil
        addresses = list
        if let selected, list.contains(selected) {
            // The connection in use is still listed: keep it, nothing changes.
            index = list.firstIndex(of: selected)!
            return []
        }
        actions += reconcile()
        if hadSelection || state == .connecting || previousCount == 0 {
            actions += report(.connecting, .constant(.noSubConnAvailable), "connecting to \(list.count) address(es)")
            actions += startFirstPass()
        } else if state == .transientFailure {
            // Sticky: stay TRANSIENT_FAILURE until READY, but walk the new list.
            actions += startFirstPass()
        }
        // IDLE: only store the addresses; exitIdle starts the pass.
        return actions
    }

    public mutating func resolverError(_ message: String) -> [BalancerAction] {
        guard !closed else { return [] }
        // With good addresses, keep using them; the error only shows while failing already.
        guard state == .transientFailure || addresses.isEmpty else { return [] }
        let text = "resolver error: \(message)"
        lastError = text
        return report(.transientFailure, .constant(.transientFailure(text)), text)
    }

    public mutating func subConnStateChanged(_ key: SubConnKey, _ update: SubConnState) -> [BalancerAction] {
        guard !closed, let address = entries.first(where: { $0.value.key == key })?.key,
            var entry = entries[address], update.state != .shutdown
        else { return [] }
        let old = entry.state
        entry.state = update.state
        let lostBeforeReady = old == .connecting && update.state == .idle
        if update.state == .transientFailure || lostBeforeReady {
            entry.failedThisPass = true
            entry.lastError = update.reason ?? (lostBeforeReady ? "connection lost before READY" : "connection failed")
            lastError = entry.lastError
        }
        entries[address] = entry

        if address == selected { return selectedChanged(address, entry, update) }
        if update.state == .ready { return select(address, entry) }
        guard selected == nil else { return [] }  // Not ours: shut down when the selection was made.

        if firstPass {
            switch update.state {
            case .connecting:
                if state != .transientFailure {
                    return report(.connecting, .constant(.noSubConnAvailable), "subchannel \(key) CONNECTING")
                }
                return []
            case .transientFailure:
                return addressFailed(address)
            case .idle where lostBeforeReady:
                return addressFailed(address)
            default:
                return []  // IDLE after backoff: reconnected when the pass ends, if it fails.
            }
        }
        // Sticky TRANSIENT_FAILURE: keep reconnecting, report the latest error.
        switch update.state {
        case .transientFailure:
            let text = lastError ?? "connection failed"
            return report(.transientFailure, .constant(.transientFailure(text)), text)
        case .idle:
            return [.connect(entry.key)]
        default:
            return []
        }
    }

    public mutating func exitIdle() -> [BalancerAction] {
        guard !closed, state == .idle, !addresses.isEmpty else { return [] }
        return report(.connecting, .constant(.noSubConnAvailable), "exit idle: connecting to \(addresses.count) address(es)")
            + startFirstPass()
    }

    public mutating func timerFired(_ timer: BalancerTimer) -> [BalancerAction] {
        guard !closed, timer == .happyEyeballs, selected == nil, index < addresses.count else { return [] }
        index += 1
        return requestConnection()
    }

    public mutating func close() -> [BalancerAction] {
        guard !closed else { return [] }
        closed = true
        return [.disarmTimer(.happyEyeballs)] + shutDownAll()
    }

    // MARK: Passes

    private mutating func startFirstPass() -> [BalancerAction] {
        firstPass = true
        index = 0
        for address in entries.keys { entries[address]?.failedThisPass = false }
        return requestConnection()
    }

    /// Starts the pass's current address, or skips it if it is still failing; ends the pass
    /// when it runs past the last address.
    private mutating func requestConnection() -> [BalancerAction] {
        var actions: [BalancerAction] = [.disarmTimer(.happyEyeballs)]
        while index < addresses.count {
            let address = addresses[index]
            if entries[address] == nil {
                let key = SubConnKey(nextKey)
                nextKey += 1
                entries[address] = Entry(key: key)
                actions.append(.createSubConn(key, addresses: [address]))
            }
            let entry = entries[address]!
            switch entry.state {
            case .idle:
                actions += [.connect(entry.key), .armTimer(.happyEyeballs, after: happyEyeballsDelay)]
                return actions
            case .connecting:
                // Already on its way (an earlier pass): wait for it or for the timer.
                actions.append(.armTimer(.happyEyeballs, after: happyEyeballsDelay))
                return actions
            case .transientFailure:
                // Failed in an earlier pass and still backing off: failed for this one too.
                entries[address]?.failedThisPass = true
                index += 1
            case .ready, .shutdown:
                return actions  // READY is selected at once; SHUTDOWN entries do not exist.
            }
        }
        return actions + endFirstPassIfPossible()
    }

    /// `address` failed in this pass: move on if it was the one being tried.
    private mutating func addressFailed(_ address: Address) -> [BalancerAction] {
        if index < addresses.count, addresses[index] == address {
            index += 1
            return requestConnection()
        }
        return endFirstPassIfPossible()
    }

    /// Every address was tried and every SubConn failed: sticky TRANSIENT_FAILURE, and the
    /// SubConns already back to IDLE reconnect now (the rest as their backoff ends).
    private mutating func endFirstPassIfPossible() -> [BalancerAction] {
        guard firstPass, index >= addresses.count, entries.values.allSatisfy(\.failedThisPass) else { return [] }
        firstPass = false
        let text = lastError ?? "all addresses failed"
        var actions: [BalancerAction] = [.disarmTimer(.happyEyeballs)]
        actions += report(.transientFailure, .constant(.transientFailure(text)), text)
        for address in addresses where entries[address]?.state == .idle {
            actions.append(.connect(entries[address]!.key))
        }
        return actions
    }

    // MARK: Selection

    private mutating func select(_ address: Address, _ entry: Entry) -> [BalancerAction] {
        var actions: [BalancerAction] = [.disarmTimer(.happyEyeballs)]
        for (other, otherEntry) in entries where other != address {
            actions.append(.shutdown(otherEntry.key))
        }
        entries = [address: entry]
        selected = address
        firstPass = false
        index = addresses.firstIndex(of: address) ?? 0
        actions += report(.ready, .single(PickedKey(entry.key, address)), "subchannel \(entry.key) READY on \(address)")
        return actions
    }

    /// The selected SubConn changed: its health moves the channel, its loss makes it IDLE.
    private mutating func selectedChanged(_ address: Address, _ entry: Entry, _ update: SubConnState) -> [BalancerAction] {
        switch update.state {
        case .ready:
            return report(.ready, .single(PickedKey(entry.key, address)), update.reason ?? "subchannel \(entry.key) READY")
        case .transientFailure:
            let text = update.reason ?? "health check failed"
            return report(.transientFailure, .constant(.transientFailure(text)), text)
        case .idle, .connecting, .shutdown:
            // The connection in use went away: IDLE until asked to connect (from the first address).
            selected = nil
            index = 0
            firstPass = true
            entries[address]?.failedThisPass = false
            return report(.idle, .constant(.idle), update.reason ?? "selected subchannel lost its connection")
        }
    }

    // MARK: Helpers

    /// Shuts down the SubConns of addresses no longer listed.
    private mutating func reconcile() -> [BalancerAction] {
        var actions: [BalancerAction] = []
        for (address, entry) in entries.sorted(by: { $0.value.key < $1.value.key }) where !addresses.contains(address) {
            actions.append(.shutdown(entry.key))
            entries[address] = nil
            if selected == address { selected = nil }
        }
        return actions
    }

    private mutating func shutDownAll() -> [BalancerAction] {
        let actions = entries.values.map(\.key).sorted().map { BalancerAction.shutdown($0) }
        entries = [:]
        selected = nil
        return actions
    }

    /// Publishes a state; an unchanged state is not published again, except TRANSIENT_FAILURE,
    /// whose picker carries the latest error.
    private mutating func report(_ new: ConnectivityState, _ picker: PickerSpec, _ reason: String) -> [BalancerAction] {
        if new == state, new != .transientFailure, new != .ready { return [] }
        state = new
        return [.publish(new, picker, reason: reason)]
    }

    /// De-duplicates, optionally shuffles, then interleaves address families starting with the
    /// family of the first address (gRPC A61, RFC 8305).
    static func order(_ input: [Address], shuffle: Bool, random: inout any RandomSource) -> [Address] {
        var seen = Set<Address>()
        var list = input.filter { seen.insert($0).inserted }
        if shuffle, list.count > 1 {
            for i in stride(from: list.count - 1, to: 0, by: -1) {
                list.swapAt(i, random.integer(in: 0..<(i + 1)))
            }
        }
        guard let first = list.first else { return [] }
        let firstIsV6 = first.isIPv6
        var primary = list.filter { $0.isIPv6 == firstIsV6 }[...]
        var secondary = list.filter { $0.isIPv6 != firstIsV6 }[...]
        var result: [Address] = []
        result.reserveCapacity(list.count)
        while !primary.isEmpty || !secondary.isEmpty {
            if let next = primary.popFirst() { result.append(next) }
            if let next = secondary.popFirst() { result.append(next) }
        }
        return result
    }
}
