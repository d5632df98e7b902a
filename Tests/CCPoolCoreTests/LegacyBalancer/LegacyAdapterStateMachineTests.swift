@testable import CCPoolCore
import Testing

/// The legacy v1 adapter's state machine against grpc-go v1.20.0's `balancer_v1_wrapper.go`
/// and the v1 balancer tests in `balancer_test.go` at v1.20.0.
@Suite("legacy v1 adapter state machine (grpc-go v1.20.0's cases)")
struct LegacyAdapterStateMachineTests {
    typealias H = MachineHarness<LegacyAdapterStateMachine>

    @Test("start gate: nothing happens before the first resolver update; then notify is watched and the naming fed")
    func startGate() {
        var h = H(LegacyAdapterStateMachine(pickFirst: false, hasNotify: true))
        #expect(h.notify([a(0)]).isEmpty)
        let actions = h.resolve([a(0), a(1)])
        #expect(actions == [.legacyWatchNotify, .legacyNaming([a(0), a(1)])])
        #expect(h.created.isEmpty)
    }

    @Test("TestRoundRobin (v1.20 balancer_test.go): one SubConn per notified address; up on READY, down on leaving it")
    func roundRobin() {
        var h = H(LegacyAdapterStateMachine(pickFirst: false, hasNotify: true))
        h.resolve([a(0), a(1)])
        h.notify([a(0), a(1)])
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)]])
        #expect(h.state == .connecting)
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .ready)
        #expect(h.ups.map(\.1) == [a(0)] && h.state == .ready)
        h.sc(h.key(a(0)), .idle, "connection reset")
        #expect(h.downs == [h.key(a(0))])
        #expect(h.connected.last == h.key(a(0)))
        #expect(h.moves == [.connecting, .ready, .connecting])
    }

    @Test("TestOneAddressRemoval (v1.20 balancer_test.go): a removed address's SubConn goes down and is shut down")
    func addressRemoval() {
        var h = H(LegacyAdapterStateMachine(pickFirst: false, hasNotify: true))
        h.resolve([a(0), a(1)])
        h.notify([a(0), a(1)])
        for i in 0..<2 {
            h.sc(h.key(a(i)), .connecting)
            h.sc(h.key(a(i)), .ready)
        }
        h.notify([a(1)])
        #expect(h.downs == [h.key(a(0))] && h.shutDown == [h.key(a(0))])
        #expect(h.state == .ready && h.picker.pickable == [h.key(a(1))])
    }

    @Test("TestPickFirstOrderAllServerUp (v1.20): pickfirst keeps its one SubConn and hands new lists to updateAddresses")
    func pickFirstKeepsItsSubConn() {
        var h = H(LegacyAdapterStateMachine(pickFirst: true, hasNotify: true))
        h.resolve([a(0), a(1)])
        h.notify([a(0), a(1)])
        #expect(h.created.map(\.addresses) == [[a(0), a(1)]])
        let only = h.created[0].key
        h.sc(only, .connecting)
        h.sc(only, .ready)
        #expect(h.ups.map(\.1) == [a(0)])
        // A third address appended: the same SubConn, new addresses, still READY, no flap.
        h.notify([a(0), a(1), a(2)])
        #expect(h.created.count == 1 && h.shutDown.isEmpty)
        #expect(h.addressUpdates.map(\.1) == [[a(0), a(1), a(2)]])
        #expect(h.moves == [.connecting, .ready])
        #expect(h.picker.pickable == [only])
    }

    @Test("TestPickFirstEmptyAddrs (v1.20): an empty list tears the SubConn down; the next list builds a new one")
    func pickFirstEmpty() {
        var h = H(LegacyAdapterStateMachine(pickFirst: true, hasNotify: true))
        h.resolve([a(0)])
        h.notify([a(0)])
        let first = h.created[0].key
        h.sc(first, .connecting)
        h.sc(first, .ready)
        h.notify([])
        #expect(h.shutDown == [first] && h.downs == [first])
        #expect(h.state == .transientFailure)
        h.notify([a(1)])
        #expect(h.created.count == 2 && h.state == .connecting)
    }

    @Test("a legacy balancer without notify: one SubConn on the resolver's addresses")
    func withoutNotify() {
        var h = H(LegacyAdapterStateMachine(pickFirst: false, hasNotify: false))
        h.resolve([a(0), a(1)])
        #expect(h.created.map(\.addresses) == [[a(0), a(1)]])
        h.resolve([a(1)])
        #expect(h.addressUpdates.map(\.1) == [[a(1)]] && h.created.count == 1)
    }
}
