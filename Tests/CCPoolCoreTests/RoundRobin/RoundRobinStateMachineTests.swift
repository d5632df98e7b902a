@testable import CCPoolCore
import Testing

/// round_robin's state machine against the cases of grpc-go's own tests
/// (`balancer/roundrobin/roundrobin_test.go` at v1.20.0, today's `test/roundrobin_test.go`, and
/// the base balancer's `balancer/base/balancer.go` rules), each naming the test it comes from.
@Suite("round_robin state machine (grpc-go's cases)")
struct RoundRobinStateMachineTests {
    typealias H = MachineHarness<RoundRobinStateMachine>

    static func harness() -> H { H(RoundRobinStateMachine(random: SeededRandomSource(seed: 2))) }

    static func allReady(_ count: Int) -> H {
        var h = harness()
        h.resolve((0..<count).map(a))
        for i in 0..<count {
            h.sc(h.key(a(i)), .connecting)
            h.sc(h.key(a(i)), .ready)
        }
        return h
    }

    func readyKeys(_ h: H) -> Set<SubConnKey> { Set(h.picker.pickable) }

    @Test("TestRoundRobin_Basic / TestBackendsRoundRobin: every address connected at once, all in the rotation")
    func basic() {
        var h = Self.harness()
        h.resolve([a(0), a(1), a(2)])
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)], [a(2)]])
        #expect(h.connected == h.created.map(\.key))
        #expect(h.state == .connecting && h.pickResult == .noSubConnAvailable)
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .ready)
        #expect(h.state == .ready && readyKeys(h) == [h.key(a(0))])
        for i in 1..<3 {
            h.sc(h.key(a(i)), .connecting)
            h.sc(h.key(a(i)), .ready)
        }
        #expect(readyKeys(h) == Set(h.created.map(\.key)))
        #expect(h.moves == [.connecting, .ready])
    }

    @Test("TestRoundRobin_OneServerDown / TestOneServerDown: the rest keep serving, READY throughout")
    func oneServerDown() {
        var h = Self.allReady(3)
        h.sc(h.key(a(2)), .idle, "connection reset")
        #expect(h.connected.last == h.key(a(2)))  // Reconnected at once.
        #expect(readyKeys(h) == [h.key(a(0)), h.key(a(1))])
        h.sc(h.key(a(2)), .connecting)
        h.sc(h.key(a(2)), .transientFailure, "refused")
        #expect(h.moves == [.connecting, .ready])
    }

    @Test("TestRoundRobin_AllServersDown / TestAllServersDown: sticky TF per SubConn, picks fail with the error")
    func allServersDown() {
        var h = Self.allReady(2)
        for i in 0..<2 {
            h.sc(h.key(a(i)), .idle, "connection reset")
            h.sc(h.key(a(i)), .connecting)
            h.sc(h.key(a(i)), .transientFailure, "connection refused")
        }
        #expect(h.state == .transientFailure)
        #expect(h.pickResult == .transientFailure("connection refused"))
        // Reconnecting SubConns stay TF: the channel does not flap to CONNECTING.
        h.sc(h.key(a(0)), .idle)
        h.sc(h.key(a(0)), .connecting)
        #expect(h.state == .transientFailure)
        h.sc(h.key(a(0)), .ready)
        #expect(h.state == .ready && readyKeys(h) == [h.key(a(0))])
    }

    @Test("ccpool: READY → CONNECTING when the last READY SubConn drops while another connects (grpc-go does so)")
    func readyToConnecting() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .ready)
        h.sc(h.key(a(1)), .connecting)
        h.sc(h.key(a(0)), .idle, "GOAWAY")
        #expect(h.state == .connecting && h.pickResult == .noSubConnAvailable)
        #expect(h.moves == [.connecting, .ready, .connecting])
    }

    @Test("TestRoundRobin_AddressesRemoved / TestAddressesRemoved: an empty list is TF, rejected; removed SubConns shut down")
    func addressesRemoved() {
        var h = Self.allReady(2)
        h.resolve([])
        #expect(Set(h.shutDown) == Set(h.created.map(\.key)))
        #expect(h.state == .transientFailure)
        #expect(h.rejections == ["produced zero addresses"])
        #expect(h.pickResult == .transientFailure("produced zero addresses"))
    }

    @Test("TestRoundRobin_NewAddressWhileBlocking / TestNewAddressWhileBlocking: a new address joins the rotation")
    func newAddress() {
        var h = Self.allReady(1)
        h.resolve([a(0), a(1)])
        #expect(h.created.count == 2 && h.shutDown.isEmpty)
        h.sc(h.key(a(1)), .connecting)
        h.sc(h.key(a(1)), .ready)
        #expect(readyKeys(h) == [h.key(a(0)), h.key(a(1))])
    }

    @Test("base balancer: removing the only READY SubConn stops counting it at once; late updates are ignored")
    func removedReady() {
        var h = Self.allReady(2)
        h.resolve([a(1)])
        #expect(h.shutDown == [h.key(a(0))])
        #expect(readyKeys(h) == [h.key(a(1))])
        #expect(h.sc(h.key(a(0)), .idle).isEmpty)
        h.resolve([a(2)])
        #expect(h.state == .connecting && h.pickResult == .noSubConnAvailable)
    }

    @Test("base balancer ResolverError: while TF the new picker carries both errors; otherwise nothing changes")
    func resolverError() {
        var h = Self.harness()
        h.resolverError("no such host")
        #expect(h.state == .transientFailure && h.pickResult == .transientFailure("resolver error: no such host"))
        h.resolve([a(0)])
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .transientFailure, "connection refused")
        let publishes = h.publishCount
        h.resolverError("timeout")
        #expect(h.publishCount == publishes + 1)
        #expect(h.pickResult == .transientFailure("connection refused; resolver error: timeout"))
        var ready = Self.allReady(1)
        #expect(ready.resolverError("timeout").isEmpty)
    }
}
