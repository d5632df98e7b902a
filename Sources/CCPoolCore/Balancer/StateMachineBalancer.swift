import NIOCore

/// Runs a ``BalancerStateMachine``: the only code of a balancer that touches SubConns, pickers
/// and timers, as ``Subchannel`` is for ``SubchannelStateMachine``.
///
/// Loop-confined, called by the channel's ``CCBalancerWrapper`` one input at a time. Timer
/// firings and legacy notifications arrive as loop tasks of their own, never inside another
/// call into the balancer. After ``close()`` nothing reaches the machine.
final class StateMachineBalancer<Machine: BalancerStateMachine>: Balancer {
    private var machine: Machine
    private let helper: any BalancerHelper
    private var subConns: SmallMap<SubConnKey, any SubConn> = [:]
    private var keys: SmallMap<ObjectIdentifier, SubConnKey> = [:]
    private var timers: [BalancerTimer: Scheduled<Void>] = [:]
    /// The legacy v1 balancer behind the adapter, for the `legacy*` actions.
    private let legacy: LegacyBridge?
    private var rejection: String?
    private var isClosed = false

    init(machine: Machine, helper: any BalancerHelper, legacy: LegacyBridge? = nil) {
        self.machine = machine
        self.helper = helper
        self.legacy = legacy
    }

    // MARK: Balancer

    func updateClientConnState(_ state: ClientConnState) throws(BalancerError) {
        guard !isClosed else { return }
        perform(machine.updateClientConnState(state))
        if let rejection {
            self.rejection = nil
            throw .badResolverState(rejection)
        }
    }

    func resolverError(_ error: ResolverError) {
        guard !isClosed else { return }
        perform(machine.resolverError(error.message))
    }

    func updateSubConnState(_ subConn: any SubConn, _ state: SubConnState) {
        guard !isClosed, let key = keys[ObjectIdentifier(subConn)] else { return }  // Shut down earlier: stale.
        perform(machine.subConnStateChanged(key, state))
    }

    func exitIdle() {
        guard !isClosed else { return }
        perform(machine.exitIdle())
    }

    func close() {
        guard !isClosed else { return }
        perform(machine.close())
        isClosed = true
        for timer in timers.values { timer.cancel() }
        timers = [:]
        legacy?.close()
        // The machine shut its SubConns down; anything left is shut down here.
        for subConn in subConns.values { subConn.shutdown() }
        subConns = [:]
        keys = [:]
    }

    // MARK: Inputs of its own

    private func timerFired(_ timer: BalancerTimer) {
        timers[timer] = nil
        guard !isClosed else { return }
        perform(machine.timerFired(timer))
    }

    private func notified(_ addresses: [Address]) {
        guard !isClosed else { return }
        perform(machine.notified(addresses))
    }

    // MARK: Actions

    private func perform(_ actions: [BalancerAction]) {
        for action in actions {
            switch action {
            case .createSubConn(let key, let addresses):
                let subConn = helper.newSubConn(addresses: addresses)
                subConns[key] = subConn
                keys[ObjectIdentifier(subConn)] = key
            case .connect(let key):
                subConns[key]?.connect()
            case .updateAddresses(let key, let addresses):
                subConns[key]?.updateAddresses(addresses)
            case .shutdown(let key):
                guard let subConn = subConns.removeValue(forKey: key) else { continue }
                keys[ObjectIdentifier(subConn)] = nil
                subConn.shutdown()
            case .publish(let state, let spec, let reason):
                helper.updateState(BalancerState(state: state, picker: picker(for: spec), reason: reason))
            case .resolveNow:
                helper.resolveNow()
            case .rejectResolverUpdate(let message):
                rejection = message
            case .armTimer(let timer, let delay):
                timers[timer]?.cancel()
                timers[timer] = helper.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
                    self?.timerFired(timer)
                }
            case .disarmTimer(let timer):
                timers.removeValue(forKey: timer)?.cancel()
            case .legacyUp(let key, let address):
                legacy?.up(key, address)
            case .legacyDown(let key, let reason):
                legacy?.down(key, reason: reason)
            case .legacyWatchNotify:
                let box = NIOLoopBound(WeakBox<StateMachineBalancer>(), eventLoop: helper.eventLoop)
                box.value.object = self
                let eventLoop = helper.eventLoop
                legacy?.watchNotify { addresses in
                    // Hop to the loop in a later tick: never inside the balancer's current call.
                    eventLoop.execute { box.value.object?.notified(addresses) }
                }
            case .legacyNaming(let addresses):
                legacy?.naming.send(addresses)
            }
        }
    }

    private func picker(for spec: PickerSpec) -> any Picker {
        switch spec {
        case .constant(let result):
            return ConstantPicker(result)
        case .single(let picked):
            return SingleSubConnPicker(self.picked(picked))
        case .rotating(let picked, let start):
            return RoundRobinPicker(picked.map(self.picked), start: start)
        case .legacy(let ready, let failure):
            guard let legacy else { preconditionFailure("a legacy picker needs the legacy balancer") }
            return legacy.picker(upAddresses: ready.map(\.address), subConns: ready.map(self.picked), failure: failure)
        }
    }

    private func picked(_ picked: PickedKey) -> PickedSubConn {
        guard let subConn = subConns[picked.key] else {
            preconditionFailure("a picker names \(picked.key), which the balancer shut down")
        }
        return PickedSubConn(id: subConn.id, address: subConn.connectedAddress ?? picked.address)
    }
}
