@testable import CCPoolCore
import NIOCore
import Vocabulary

/// Drives a balancer state machine by hand, as grpc-go's tests drive a balancer through a fake
/// ClientConn: it remembers the SubConns created, connected, updated and shut down, the channel
/// states published and the latest picker.
struct MachineHarness<Machine: BalancerStateMachine> {
    var machine: Machine
    private(set) var created: [(key: SubConnKey, addresses: [Address])] = []
    private(set) var connected: [SubConnKey] = []
    private(set) var shutDown: [SubConnKey] = []
    private(set) var addressUpdates: [(SubConnKey, [Address])] = []
    /// Channel states as published, changes only ("CONNECTING", "READY", ...), from CONNECTING.
    private(set) var moves: [ConnectivityState] = [.connecting]
    private(set) var picker: PickerSpec = .constant(.noSubConnAvailable)
    private(set) var publishCount = 0
    private(set) var rejections: [String] = []
    private(set) var timerArmed = false
    private(set) var ups: [(SubConnKey, Address)] = []
    private(set) var downs: [SubConnKey] = []
    private(set) var namings: [[Address]] = []
    private(set) var last: [BalancerAction] = []

    init(_ machine: Machine) { self.machine = machine }

    var state: ConnectivityState { moves.last! }

    /// The SubConns created for `address`, oldest first.
    func keys(for address: Address) -> [SubConnKey] {
        created.filter { $0.addresses.contains(address) }.map(\.key)
    }

    /// The newest SubConn created for `address`.
    func key(_ address: Address) -> SubConnKey { keys(for: address).last! }

    var live: [SubConnKey] { created.map(\.key).filter { !shutDown.contains($0) } }

    /// What a pick would get now.
    var pickResult: PickResult {
        switch picker {
        case .constant(let result): return result
        case .single: return .pick(slot: 0)
        case .rotating(let ready, _): return ready.isEmpty ? .noSubConnAvailable : .pick(slot: 0)
        case .legacy(let ready, let failure):
            if let failure { return .transientFailure(failure) }
            return ready.isEmpty ? .noSubConnAvailable : .pick(slot: 0)
        }
    }

    @discardableResult
    mutating func resolve(_ addresses: [Address], config: (any LoadBalancingConfig)? = nil) -> [BalancerAction] {
        record(machine.updateClientConnState(ClientConnState(addresses: addresses, balancerConfig: config)))
    }

    @discardableResult
    mutating func sc(_ key: SubConnKey, _ state: ConnectivityState, _ reason: String? = nil) -> [BalancerAction] {
        record(machine.subConnStateChanged(key, SubConnState(state, reason: reason)))
    }

    @discardableResult
    mutating func resolverError(_ message: String) -> [BalancerAction] { record(machine.resolverError(message)) }

    @discardableResult
    mutating func exitIdle() -> [BalancerAction] { record(machine.exitIdle()) }

    @discardableResult
    mutating func timer() -> [BalancerAction] {
        timerArmed = false
        return record(machine.timerFired(.happyEyeballs))
    }

    @discardableResult
    mutating func notify(_ addresses: [Address]) -> [BalancerAction] { record(machine.notified(addresses)) }

    @discardableResult
    mutating func close() -> [BalancerAction] { record(machine.close()) }

    private mutating func record(_ actions: [BalancerAction]) -> [BalancerAction] {
        last = actions
        for action in actions {
            switch action {
            case .createSubConn(let key, let addresses): created.append((key, addresses))
            case .connect(let key): connected.append(key)
            case .updateAddresses(let key, let addresses): addressUpdates.append((key, addresses))
            case .shutdown(let key): shutDown.append(key)
            case .publish(let state, let spec, _):
                publishCount += 1
                if state != moves.last { moves.append(state) }
                picker = spec
            case .rejectResolverUpdate(let message): rejections.append(message)
            case .armTimer: timerArmed = true
            case .disarmTimer: timerArmed = false
            case .legacyUp(let key, let address): ups.append((key, address))
            case .legacyDown(let key, _): downs.append(key)
            case .legacyNaming(let addresses): namings.append(addresses)
            case .resolveNow, .legacyWatchNotify: break
            }
        }
        return actions
    }
}

/// Test addresses: a(0) = 10.0.0.1:443, ...
func a(_ index: Int) -> Address { .hostPort(host: "10.0.0.\(index + 1)", port: 443) }
