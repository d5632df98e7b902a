/// The legacy v1 balancer as the adapter's ``StateMachineBalancer`` sees it: the object behind
/// the `legacy*` actions and the adapter's picker.
///
/// Loop-confined (its owner's loop), except the pickers it makes, which only hold the
/// thread-safe legacy balancer and immutable facts.
final class LegacyBridge {
    let legacy: any LegacyBalancer
    let pickFirst: Bool
    /// The naming feed the legacy balancer watches; the adapter fills it with resolver updates.
    let naming: LegacyAddressList
    /// The `down` each `up` returned, by SubConn.
    private var downs: [SubConnKey: @Sendable (String) -> Void] = [:]

    init(legacy: any LegacyBalancer, pickFirst: Bool, naming: LegacyAddressList) {
        self.legacy = legacy
        self.pickFirst = pickFirst
        self.naming = naming
    }

    func up(_ key: SubConnKey, _ address: Address) {
        downs[key] = legacy.up(address)
    }

    func down(_ key: SubConnKey, reason: String) {
        downs.removeValue(forKey: key)?(reason)
    }

    /// Subscribes to the legacy balancer's notify stream (it has one: the machine knows).
    func watchNotify(_ deliver: @escaping @Sendable ([Address]) -> Void) {
        legacy.notify()?.subscribe(deliver)
    }

    func picker(upAddresses: [Address], subConns: [PickedSubConn], failure: String?) -> any Picker {
        var slots: [Address: Int] = [:]
        for (slot, address) in upAddresses.enumerated() where slots[address] == nil { slots[address] = slot }
        return LegacyPicker(legacy: legacy, pickFirst: pickFirst, ready: subConns, slotByAddress: slots, failure: failure)
    }

    func close() {
        downs = [:]
        legacy.close()
    }
}

/// The adapter as a picker (grpc-go v1.20's `balancerWrapper.Pick`): asks the legacy balancer
/// for an address and maps it to a READY SubConn.
///
/// Only READY SubConns are returned: where v1.20 also handed out an IDLE one, this answers "no
/// SubConn available" so the pick waits for the next picker.
struct LegacyPicker: Picker {
    let legacy: any LegacyBalancer
    let pickFirst: Bool
    /// The READY subchannels (the picker's slots).
    let ready: [PickedSubConn]
    /// Each slot by the address the legacy balancer knows it by (the one given to `up`).
    let slotByAddress: [Address: Int]
    /// Set while the channel is TRANSIENT_FAILURE: every pick fails with it.
    let failure: String?

    func pick() -> PickResult {
        if let failure { return .transientFailure(failure) }
        switch legacy.get(blockingWait: false) {
        case .address(let address, let put):
            defer { put?() }
            if pickFirst { return ready.isEmpty ? .noSubConnAvailable : .pick(slot: 0) }
            guard let slot = slotByAddress[address] else { return .noSubConnAvailable }
            return .pick(slot: slot)
        case .noAddress:
            return .noSubConnAvailable
        case .failure(let reason):
            return .transientFailure(reason)
        }
    }

    func subConn(at slot: Int) -> PickedSubConn { ready[slot] }
}
