@testable import CCPoolCore
import NIOCore
import Vocabulary

/// A randomized model of everything around a balancer state machine: subchannels that obey the
/// subchannel rules (connect, pass outcome, health answers, loss, backoff, address updates),
/// backends that come and go and change health, a resolver, the channel (which calls `exitIdle`
/// on IDLE as ccpool does, or on a pick in lazy mode), the SubConn-state buffer (FIFO, nothing
/// dropped) and a virtual clock.
///
/// Every input and every action is checked against the balancers' invariants; a broken one
/// throws a ``ModelViolation``. An episode is a list of ``ModelEvent``s, so a failing one can be
/// replayed and shrunk to a small reproduction.
struct BalancerModel {
    enum Kind: String, CaseIterable, Sendable {
        case pickFirst = "pick_first"
        case roundRobin = "round_robin"
        case legacyRoundRobin = "legacy_round_robin"
        case legacyPickFirst = "legacy_pick_first"
    }

    struct Settings: Sendable, CustomStringConvertible {
        var kind: Kind
        var addressCount: Int
        var healthChecking: Bool
        var lazy: Bool
        var description: String {
            "\(kind.rawValue), \(addressCount) addresses, health checking \(healthChecking ? "on" : "off"), idle \(lazy ? "lazy" : "connected")"
        }
    }

    /// One subchannel as the environment knows it (the truth the balancer learns late).
    struct Sub {
        var addresses: [Address]
        var state: ConnectivityState = .idle
        /// The address of the live transport (READY, or health-checked).
        var transport: Address?
        var awaitingHealth = false
        var backoffUntil: Int?
    }

    let settings: Settings
    let addresses: [Address]
    private var machine: any BalancerStateMachine
    private(set) var now = 0
    private var reachable: Set<Address>
    private var healthy: Set<Address>
    private var subs: [SubConnKey: Sub] = [:]
    /// Keys the balancer shut down, and every key it ever created.
    private var shutDown: Set<SubConnKey> = []
    private var created: Set<SubConnKey> = []
    /// The SubConn-state buffer: updates on their way to the balancer.
    private var updates: [(SubConnKey, SubConnState)] = []
    /// What the balancer has been told of each SubConn.
    private var delivered: [SubConnKey: ConnectivityState] = [:]
    /// The legacy notify stream (the shipped legacy balancer forwards its naming feed).
    private var notifies: [[Address]] = []
    private var watchingNotify = false
    private var legacyUp: Set<SubConnKey> = []
    private var timerDeadline: Int?
    private(set) var channel: ConnectivityState = .connecting
    private(set) var picker: PickerSpec = .constant(.noSubConnAvailable)
    private(set) var channelMoves: [String] = []
    private var closed = false
    static let backoffMs = 1_000
    static let happyEyeballsMs = 250

    init(settings: Settings, seed: UInt64, machine: (any BalancerStateMachine)? = nil) {
        self.settings = settings
        addresses = (0..<settings.addressCount).map { .hostPort(host: "10.0.0.\($0 + 1)", port: 443) }
        reachable = Set(addresses)
        healthy = Set(addresses)
        if let machine {
            self.machine = machine
            return
        }
        switch settings.kind {
        case .pickFirst:
            self.machine = PickFirstStateMachine(happyEyeballsDelay: .milliseconds(Int64(Self.happyEyeballsMs)), random: SeededRandomSource(seed: seed))
        case .roundRobin:
            self.machine = RoundRobinStateMachine(random: SeededRandomSource(seed: seed))
        case .legacyRoundRobin:
            self.machine = LegacyAdapterStateMachine(pickFirst: false, hasNotify: true)
        case .legacyPickFirst:
            self.machine = LegacyAdapterStateMachine(pickFirst: true, hasNotify: true)
        }
    }

    // MARK: Events

    /// Applies one event; an event that does not apply now (its SubConn is gone, nothing is
    /// queued) is skipped. Returns whether it applied.
    @discardableResult
    mutating func apply(_ event: ModelEvent) throws(ModelViolation) -> Bool {
        switch event {
        case .resolve(let indices):
            let list = indices.filter { $0 < addresses.count }.map { addresses[$0] }
            try run(machine.updateClientConnState(ClientConnState(addresses: list)))
        case .resolverError:
            try run(machine.resolverError("lookup failed"))
        case .deliver:
            guard !updates.isEmpty else { return false }
            let (key, state) = updates.removeFirst()
            // The driver drops updates of SubConns the balancer shut down.
            guard !shutDown.contains(key) else { return true }
            try checkLegalSubchannelMove(key, to: state.state)
            delivered[key] = state.state
            try run(machine.subConnStateChanged(key, state))
        case .deliverNotify:
            guard !notifies.isEmpty else { return false }
            try run(machine.notified(notifies.removeFirst()))
        case .complete(let raw):
            let key = SubConnKey(raw)
            guard var sub = subs[key], sub.state == .connecting, sub.transport == nil else { return false }
            if let address = sub.addresses.first(where: reachable.contains) {
                sub.transport = address
                if settings.healthChecking {
                    sub.awaitingHealth = true
                } else {
                    sub.state = .ready
                    emit(key, .ready, "connected")
                }
            } else {
                sub.state = .transientFailure
                sub.backoffUntil = now + Self.backoffMs
                emit(key, .transientFailure, "connection refused")
            }
            subs[key] = sub
        case .healthAnswer(let raw):
            let key = SubConnKey(raw)
            guard var sub = subs[key], sub.awaitingHealth, let address = sub.transport else { return false }
            sub.awaitingHealth = false
            sub.state = healthy.contains(address) ? .ready : .transientFailure
            subs[key] = sub
            emit(key, sub.state, healthy.contains(address) ? "health: SERVING" : "health check failed: NOT_SERVING")
        case .lose(let raw):
            let key = SubConnKey(raw)
            guard subs[key]?.transport != nil else { return false }
            lose(key, "connection reset")
        case .reachable(let index, let up):
            guard index < addresses.count else { return false }
            let address = addresses[index]
            if up {
                reachable.insert(address)
            } else {
                reachable.remove(address)
                for key in subs.keys.sorted() where subs[key]?.transport == address { lose(key, "connection reset") }
            }
        case .healthy(let index, let serving):
            guard index < addresses.count else { return false }
            let address = addresses[index]
            if serving { healthy.insert(address) } else { healthy.remove(address) }
            guard settings.healthChecking else { return true }
            for key in subs.keys.sorted() {
                guard var sub = subs[key], sub.transport == address, !sub.awaitingHealth else { continue }
                let new: ConnectivityState = serving ? .ready : .transientFailure
                guard sub.state != new else { continue }
                sub.state = new
                subs[key] = sub
                emit(key, new, serving ? "health: SERVING" : "health check failed: NOT_SERVING")
            }
        case .advance:
            let deadlines = subs.values.compactMap(\.backoffUntil) + [timerDeadline].compactMap { $0 }
            guard let next = deadlines.min() else { return false }
            now = max(now, next)
            for key in subs.keys.sorted() {
                guard var sub = subs[key], let until = sub.backoffUntil, until <= now else { continue }
                sub.backoffUntil = nil
                sub.state = .idle
                subs[key] = sub
                emit(key, .idle, "backoff elapsed")
            }
            if let deadline = timerDeadline, deadline <= now {
                timerDeadline = nil
                try run(machine.timerFired(.happyEyeballs))
            }
        case .exitIdle:
            try run(machine.exitIdle())
        }
        try checkInvariants()
        return true
    }

    /// Closes the balancer: every SubConn it created must be shut down exactly once.
    mutating func close() throws(ModelViolation) {
        try run(machine.close())
        closed = true
        let leaked = created.subtracting(shutDown)
        guard leaked.isEmpty else { throw ModelViolation("close() left SubConns \(leaked.sorted()) without SHUTDOWN") }
    }

    // MARK: Liveness

    /// Makes `reachableIndices` (at least one listed) reachable and healthy, the rest unreachable,
    /// resolves `list`, then lets only the system itself move: the channel must be READY within
    /// a bounded number of steps and of virtual time.
    mutating func settle(reachableIndices: [Int], list: [Int]) throws(ModelViolation) -> Int {
        for index in addresses.indices {
            try apply(.reachable(index, reachableIndices.contains(index)))
            try apply(.healthy(index, true))
        }
        try apply(.resolve(list))
        let start = now
        var steps = 0
        while steps < 5_000 {
            if channel == .ready, updates.isEmpty, notifies.isEmpty { return steps }
            steps += 1
            if try apply(.deliver) { continue }
            if try apply(.deliverNotify) { continue }
            if let key = subs.keys.sorted().first(where: { subs[$0]!.state == .connecting && subs[$0]!.transport == nil }) {
                try apply(.complete(key.rawValue))
                continue
            }
            if let key = subs.keys.sorted().first(where: { subs[$0]!.awaitingHealth }) {
                try apply(.healthAnswer(key.rawValue))
                continue
            }
            if settings.lazy, channel == .idle {
                try apply(.exitIdle)  // A pick wakes a lazy channel.
                continue
            }
            guard try apply(.advance) else { break }
            if now - start > 60 * Self.backoffMs { break }
        }
        throw ModelViolation(
            "not READY after settling: channel \(channel), \(steps) steps, \(now - start) ms; reachable \(reachableIndices), listed \(list); "
                + "subchannels \(subs.keys.sorted().map { "\($0)=\(subs[$0]!.state)" })")
    }

    // MARK: Actions

    private mutating func run(_ actions: [BalancerAction]) throws(ModelViolation) {
        guard !closed || actions.isEmpty else { throw ModelViolation("the balancer acted after close: \(actions)") }
        var exitIdle = false
        for action in actions {
            switch action {
            case .createSubConn(let key, let list):
                guard !created.contains(key) else { throw ModelViolation("\(key) created twice") }
                guard !list.isEmpty else { throw ModelViolation("\(key) created with no address") }
                created.insert(key)
                subs[key] = Sub(addresses: list)
            case .connect(let key):
                try checkLive(key, "connect")
                if subs[key]!.state == .idle {
                    subs[key]!.state = .connecting
                    emit(key, .connecting, "connect requested")
                }
            case .updateAddresses(let key, let list):
                try checkLive(key, "updateAddresses")
                updateAddresses(key, list)
            case .shutdown(let key):
                try checkLive(key, "shutdown")
                shutDown.insert(key)
                legacyUp.remove(key)
                subs[key] = nil
            case .publish(let state, let spec, _):
                for key in spec.pickable { try checkLive(key, "a picker") }
                if state != channel {
                    guard TransitionRules.isLegal(from: channel, to: state, scope: .channel) else {
                        throw ModelViolation("illegal channel move \(channel)→\(state)")
                    }
                    channelMoves.append("\(channel)→\(state)")
                }
                channel = state
                picker = spec
                if state == .idle, !settings.lazy { exitIdle = true }
            case .resolveNow, .rejectResolverUpdate:
                break
            case .armTimer(_, let delay):
                timerDeadline = now + Int(delay.nanoseconds / 1_000_000)
            case .disarmTimer:
                timerDeadline = nil
            case .legacyUp(let key, _):
                try checkLive(key, "up")
                guard legacyUp.insert(key).inserted else { throw ModelViolation("up called twice for \(key)") }
            case .legacyDown(let key, _):
                guard legacyUp.remove(key) != nil else { throw ModelViolation("down for \(key), which is not up") }
            case .legacyWatchNotify:
                watchingNotify = true
            case .legacyNaming(let list):
                if watchingNotify { notifies.append(list) }
            }
        }
        // The serializer runs the channel's exitIdle after the call that made it IDLE.
        if exitIdle { try run(machine.exitIdle()) }
    }

    private func checkLive(_ key: SubConnKey, _ what: String) throws(ModelViolation) {
        guard created.contains(key) else { throw ModelViolation("\(what) names \(key), never created") }
        guard !shutDown.contains(key) else { throw ModelViolation("\(what) names \(key) after its SHUTDOWN") }
    }

    // MARK: Invariants

    private func checkInvariants() throws(ModelViolation) {
        let pickable = picker.pickable
        for key in pickable where delivered[key] != .ready {
            throw ModelViolation("the picker can return \(key), which is \(delivered[key].map { "\($0)" } ?? "IDLE")")
        }
        if (channel == .ready) != !pickable.isEmpty {
            throw ModelViolation("channel \(channel) but the picker has \(pickable.count) READY SubConn(s)")
        }
        if settings.kind == .legacyRoundRobin || settings.kind == .legacyPickFirst {
            let ready = Set(delivered.filter { $0.value == .ready && !shutDown.contains($0.key) }.keys)
            if ready != legacyUp {
                throw ModelViolation("legacy up set \(legacyUp.sorted()) differs from the READY SubConns \(ready.sorted())")
            }
        }
    }

    private func checkLegalSubchannelMove(_ key: SubConnKey, to new: ConnectivityState) throws(ModelViolation) {
        let old = delivered[key] ?? .idle
        guard old != new else { throw ModelViolation("\(key) delivered \(new) twice in a row") }
        guard TransitionRules.isLegal(from: old, to: new, scope: .subchannel) else {
            throw ModelViolation("the model produced an illegal subchannel move \(old)→\(new) for \(key)")
        }
    }

    // MARK: Subchannel behaviour

    private mutating func emit(_ key: SubConnKey, _ state: ConnectivityState, _ reason: String) {
        updates.append((key, SubConnState(state, reason: reason)))
    }

    private mutating func lose(_ key: SubConnKey, _ reason: String) {
        guard var sub = subs[key], sub.transport != nil else { return }
        sub.transport = nil
        sub.awaitingHealth = false
        sub.state = .idle
        subs[key] = sub
        emit(key, .idle, reason)
    }

    /// A subchannel's `updateAddresses`: equal → nothing; IDLE/TF → store; a live transport on a
    /// listed address is kept; otherwise the old one closes and a new pass starts.
    private mutating func updateAddresses(_ key: SubConnKey, _ list: [Address]) {
        guard var sub = subs[key], sub.addresses != list else { return }
        sub.addresses = list
        subs[key] = sub
        if let transport = sub.transport {
            guard !list.contains(transport) else { return }
            lose(key, "address removed by update")
            subs[key]!.state = .connecting
            emit(key, .connecting, "connect requested")
        } else if sub.state == .connecting, list.isEmpty {
            subs[key]!.state = .idle
            emit(key, .idle, "address list emptied by update")
        }
    }

    // MARK: Random events

    /// A random event that fits the state now (or a harmless one that will be skipped).
    func randomEvent(_ random: inout SeededRandomSource) -> ModelEvent {
        let keys = subs.keys.sorted()
        func anyKey() -> Int { keys.isEmpty ? -1 : keys[random.integer(in: 0..<keys.count)].rawValue }
        func anyAddress() -> Int { random.integer(in: 0..<addresses.count) }
        switch random.integer(in: 0..<100) {
        case 0..<30: return .deliver
        case 30..<36: return .deliverNotify
        case 36..<44:
            // Mostly non-empty lists, sometimes reordered or empty.
            if random.integer(in: 0..<12) == 0 { return .resolve([]) }
            var list = addresses.indices.filter { _ in random.integer(in: 0..<3) > 0 }
            if list.isEmpty { list = [anyAddress()] }
            if random.integer(in: 0..<3) == 0 { list.reverse() }
            return .resolve(list)
        case 44..<47: return .resolverError
        case 47..<62: return .complete(anyKey())
        case 62..<70: return .healthAnswer(anyKey())
        case 70..<75: return .lose(anyKey())
        case 75..<81: return .reachable(anyAddress(), random.integer(in: 0..<3) > 0)
        case 81..<86: return .healthy(anyAddress(), random.integer(in: 0..<3) > 0)
        case 86..<96: return .advance
        default: return .exitIdle
        }
    }
}

/// One input to the model (see ``BalancerModel/apply(_:)``).
enum ModelEvent: Hashable, Sendable, CustomStringConvertible {
    case resolve([Int])
    case resolverError
    case deliver
    case deliverNotify
    case complete(Int)
    case healthAnswer(Int)
    case lose(Int)
    case reachable(Int, Bool)
    case healthy(Int, Bool)
    case advance
    case exitIdle

    var description: String {
        switch self {
        case .resolve(let list): return "resolve \(list)"
        case .resolverError: return "resolver error"
        case .deliver: return "deliver next SubConn update"
        case .deliverNotify: return "deliver next legacy notify"
        case .complete(let key): return "sc\(key): pass completes"
        case .healthAnswer(let key): return "sc\(key): first health answer"
        case .lose(let key): return "sc\(key): transport lost"
        case .reachable(let index, let up): return "address \(index) \(up ? "reachable" : "unreachable")"
        case .healthy(let index, let serving): return "address \(index) \(serving ? "SERVING" : "NOT_SERVING")"
        case .advance: return "advance the clock to the next deadline"
        case .exitIdle: return "exitIdle (a pick)"
        }
    }
}

struct ModelViolation: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
