import NIOCore

/// pick_first's configuration (`{"pick_first": {"shuffleAddressList": true}}`).
public struct PickFirstConfig: LoadBalancingConfig, Hashable {
    public var shuffleAddressList: Bool
    public init(shuffleAddressList: Bool = false) { self.shuffleAddressList = shuffleAddressList }
}

public struct PickFirstBalancerBuilder: BalancerBuilder {
    /// How long an attempt runs before the next address is tried alongside it (gRPC A61).
    public var happyEyeballsDelay: TimeAmount
    /// Randomness for `shuffleAddressList`.
    public var makeRandom: @Sendable () -> any RandomSource

    public init(
        happyEyeballsDelay: TimeAmount = .milliseconds(250),
        makeRandom: @escaping @Sendable () -> any RandomSource = { SystemRandomSource() }
    ) {
        self.happyEyeballsDelay = happyEyeballsDelay
        self.makeRandom = makeRandom
    }

    public var name: String { "pick_first" }

    public func parseConfig(_ json: [String: any Sendable]) throws(ServiceConfigError) -> (any LoadBalancingConfig)? {
        guard let value = json["shuffleAddressList"] else { return PickFirstConfig() }
        guard let shuffle = value as? Bool else {
            throw ServiceConfigError("pick_first.shuffleAddressList must be true or false")
        }
        return PickFirstConfig(shuffleAddressList: shuffle)
    }

    public func build(helper: any BalancerHelper) -> any Balancer {
        PickFirstBalancer(helper: helper, happyEyeballsDelay: happyEyeballsDelay, random: makeRandom())
    }
}

/// pick_first as grpc-go does it today (gRPC A61/A62): one SubConn per address, tried in order
/// with happy eyeballs; the first READY wins and the others are shut down.
///
/// Once every address has failed, the channel stays TRANSIENT_FAILURE (sticky, with the latest
/// error) while the SubConns keep reconnecting as their backoff ends, until one is READY. An
/// empty address list is TF "produced zero addresses" and is reported back as a bad update.
final class PickFirstBalancer: Balancer {
    private struct Entry {
        let subConn: any SubConn
        var state: ConnectivityState = .idle
        /// Failed at least once since the current pass started.
        var failedThisPass = false
    }

    private let helper: any BalancerHelper
    private let happyEyeballsDelay: TimeAmount
    private var random: any RandomSource

    /// Addresses in the order they are tried.
    private var addresses: [Address] = []
    private var entries: [Address: Entry] = [:]
    /// The next address of the current pass to start.
    private var nextIndex = 0
    private var happyEyeballsTimer: Scheduled<Void>?
    /// The SubConn in use while READY.
    private var selected: Address?
    /// What the balancer last reported; starts CONNECTING, the channel's state when it starts.
    private var state: ConnectivityState = .connecting
    private var lastError: String?

    init(helper: any BalancerHelper, happyEyeballsDelay: TimeAmount, random: any RandomSource) {
        self.helper = helper
        self.happyEyeballsDelay = happyEyeballsDelay
        self.random = random
    }

    // MARK: Balancer

    func updateClientConnState(_ update: ClientConnState) throws(BalancerError) {
        let config = update.balancerConfig as? PickFirstConfig ?? PickFirstConfig()
        let list = Self.order(update.addresses, shuffle: config.shuffleAddressList, random: &random)
        guard !list.isEmpty else {
            shutDownAll()
            addresses = []
            lastError = "resolver produced zero addresses"
            report(.transientFailure, ConstantPicker(.transientFailure("resolver produced zero addresses")), "produced zero addresses")
            throw .badResolverState("produced zero addresses")
        }
        let wasReady = state == .ready
        addresses = list
        reconcileSubConns()
        if let selected, entries[selected]?.state == .ready {
            return  // Still listed: keep the connection, nothing changes.
        }
        if wasReady {
            // The connection in use was dropped by the update: no READY subchannel and not yet
            // connecting (SPEC §1 has no channel move READY → CONNECTING).
            report(.idle, ConstantPicker(.idle), "selected address removed by resolver update")
        }
        startPass()
    }

    func resolverError(_ error: ResolverError) {
        lastError = "resolver error: \(error.message)"
        // Without addresses there is nothing else to report; with them, keep using them.
        guard addresses.isEmpty || state == .transientFailure else { return }
        report(.transientFailure, ConstantPicker(.transientFailure(lastError!)), lastError!)
    }

    func updateSubConnState(_ subConn: any SubConn, _ update: SubConnState) {
        guard let (address, found) = entries.first(where: { $0.value.subConn === subConn }) else {
            return  // A SubConn shut down earlier: stale.
        }
        var entry = found
        if update.state == .shutdown { return }
        entry.state = update.state
        entries[address] = entry

        switch update.state {
        case .ready:
            select(address)
        case .idle where address == selected:
            // The connection in use went away: the channel is IDLE until asked to connect.
            selected = nil
            report(.idle, ConstantPicker(.idle), update.reason ?? "subchannel IDLE")
        case .idle:
            // Backoff over. After the first pass (sticky TF), reconnect at once.
            if state == .transientFailure { entry.subConn.connect() }
        case .transientFailure:
            entries[address]?.failedThisPass = true
            lastError = update.reason ?? "connection failed"
            if state == .transientFailure {
                // Sticky: stay TF, but picks report the latest error.
                report(.transientFailure, ConstantPicker(.transientFailure(lastError!)), lastError!)
            } else if address == currentAttempt {
                happyEyeballsTimer?.cancel()
                nextIndex = addresses.firstIndex(of: address).map { $0 + 1 } ?? nextIndex
                requestConnection()
            }
            checkPassFailed()
        case .connecting, .shutdown:
            break
        }
    }

    func exitIdle() {
        guard state == .idle, !addresses.isEmpty else { return }
        reconcileSubConns()
        startPass()
    }

    func close() {
        happyEyeballsTimer?.cancel()
        happyEyeballsTimer = nil
        shutDownAll()
    }

    // MARK: Passes

    /// The address most recently started in this pass.
    private var currentAttempt: Address? {
        nextIndex > 0 && nextIndex <= addresses.count ? addresses[nextIndex - 1] : nil
    }

    private func startPass() {
        happyEyeballsTimer?.cancel()
        selected = nil
        nextIndex = 0
        for address in addresses { entries[address]?.failedThisPass = false }
        if state != .transientFailure {
            report(.connecting, ConstantPicker(.noSubConnAvailable), "connecting to \(addresses.count) address(es)")
        }
        requestConnection()
    }

    /// Starts the next address of the pass that is not already failed, and arms happy eyeballs.
    private func requestConnection() {
        while nextIndex < addresses.count {
            let address = addresses[nextIndex]
            nextIndex += 1
            guard let entry = entries[address] else { continue }
            switch entry.state {
            case .idle:
                entry.subConn.connect()
            case .connecting:
                break  // Already on its way (an earlier pass or happy eyeballs).
            case .transientFailure where entry.failedThisPass:
                continue
            case .transientFailure, .ready, .shutdown:
                break
            }
            armHappyEyeballs()
            return
        }
    }

    private func armHappyEyeballs() {
        happyEyeballsTimer?.cancel()
        happyEyeballsTimer = helper.eventLoop.assumeIsolated().scheduleTask(in: happyEyeballsDelay) {
            self.happyEyeballsTimer = nil
            guard self.selected == nil else { return }
            self.requestConnection()
        }
    }

    /// Every address failed in this pass: sticky TF.
    private func checkPassFailed() {
        guard state != .transientFailure, selected == nil, nextIndex >= addresses.count,
            addresses.allSatisfy({ entries[$0]?.failedThisPass ?? true })
        else { return }
        happyEyeballsTimer?.cancel()
        let reason = lastError ?? "all addresses failed"
        report(.transientFailure, ConstantPicker(.transientFailure(reason)), reason)
        helper.resolveNow()
        // SubConns already back to IDLE reconnect now; the rest as their backoff ends.
        for address in addresses where entries[address]?.state == .idle { entries[address]?.subConn.connect() }
    }

    private func select(_ address: Address) {
        happyEyeballsTimer?.cancel()
        happyEyeballsTimer = nil
        selected = address
        guard let entry = entries[address] else { return }
        for (other, otherEntry) in entries where other != address {
            otherEntry.subConn.shutdown()
            entries[other] = nil
        }
        let picked = PickedSubConn(id: entry.subConn.id, address: address)
        report(.ready, SingleSubConnPicker(picked), "subchannel \(entry.subConn.id) READY on \(address)")
    }

    // MARK: Helpers

    /// Creates SubConns for new addresses and shuts down those no longer listed.
    private func reconcileSubConns() {
        for (address, entry) in entries where !addresses.contains(address) {
            entry.subConn.shutdown()
            entries[address] = nil
            if selected == address { selected = nil }
        }
        for address in addresses where entries[address] == nil {
            entries[address] = Entry(subConn: helper.newSubConn(addresses: [address]))
        }
    }

    private func shutDownAll() {
        for entry in entries.values { entry.subConn.shutdown() }
        entries = [:]
        selected = nil
    }

    private func report(_ newState: ConnectivityState, _ picker: any Picker, _ reason: String) {
        state = newState
        helper.updateState(BalancerState(state: newState, picker: picker, reason: reason))
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
