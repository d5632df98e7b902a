@testable import CCPoolCore
import NIOCore
import Testing

/// pick_first's state machine against the cases of grpc-go's own tests (each case names the
/// test it comes from: `balancer/pickfirst/pickfirst_ext_test.go` and `pickfirst_test.go`), plus
/// the places where ccpool's rules are stated differently.
@Suite("pick_first state machine (grpc-go's cases)")
struct PickFirstStateMachineTests {
    typealias H = MachineHarness<PickFirstStateMachine>

    static func harness() -> H { H(PickFirstStateMachine(random: SeededRandomSource(seed: 1))) }

    /// Resolves `addresses` and makes the first one READY.
    static func ready(_ addresses: [Address]) -> H {
        var h = harness()
        h.resolve(addresses)
        h.sc(h.key(addresses[0]), .connecting)
        h.sc(h.key(addresses[0]), .ready)
        return h
    }

    @Test("TestPickFirstLeaf_SimpleResolverUpdate_FirstServerReady: one SubConn, CONNECTING then READY")
    func firstServerReady() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        #expect(h.created.map(\.addresses) == [[a(0)]])  // The second is created only if needed.
        #expect(h.connected == [h.key(a(0))])
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .ready)
        #expect(h.moves == [.connecting, .ready])
        #expect(h.picker == .single(PickedKey(h.key(a(0)), a(0))))
        #expect(h.shutDown.isEmpty)
    }

    @Test("TestPickFirstLeaf_SimpleResolverUpdate_FirstServerUnReady: the second wins, the first is shut down")
    func firstServerUnready() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .transientFailure, "connection refused")
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)]])
        #expect(h.state == .connecting)  // No TF before the pass is over.
        h.sc(h.key(a(1)), .connecting)
        h.sc(h.key(a(1)), .ready)
        #expect(h.moves == [.connecting, .ready])
        #expect(h.shutDown == [h.key(a(0))])
    }

    @Test("TestPickFirstLeaf_SimpleResolverUpdate_DuplicateAddrs and TestPickFirstLeaf_TFPickerUpdate: duplicates are ignored")
    func duplicates() {
        var h = Self.harness()
        h.resolve([a(0), a(0), a(1), a(0)])
        h.sc(h.key(a(0)), .transientFailure, "refused")
        h.sc(h.key(a(1)), .transientFailure, "refused")
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)]])
        #expect(h.state == .transientFailure)
    }

    @Test("TestPickFirstLeaf_HappyEyeballs_TF_AfterEndOfList: TF only once every SubConn failed")
    func happyEyeballsEndOfList() {
        var h = Self.harness()
        h.resolve([a(0), a(1), a(2)])
        #expect(h.created.count == 1 && h.timerArmed)
        h.timer()
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)]])
        h.timer()
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)], [a(2)]])
        for i in 0..<3 { h.sc(h.key(a(i)), .connecting) }
        h.sc(h.key(a(0)), .transientFailure, "test error")
        #expect(h.state == .connecting)
        h.sc(h.key(a(2)), .transientFailure, "test error")
        #expect(h.state == .connecting)
        h.sc(h.key(a(1)), .transientFailure, "test error")
        #expect(h.moves == [.connecting, .transientFailure])
        #expect(h.pickResult == .transientFailure("test error"))
    }

    @Test("TestPickFirstLeaf_HappyEyeballs_TriggerConnectionDelay: the timer starts the second; it wins")
    func happyEyeballsDelay() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        h.sc(h.key(a(0)), .connecting)
        h.timer()
        #expect(h.connected == [h.key(a(0)), h.key(a(1))])
        #expect(!h.shutDown.contains(h.key(a(0))))  // The slow attempt is not cancelled.
        h.sc(h.key(a(1)), .connecting)
        h.sc(h.key(a(1)), .ready)
        #expect(h.moves == [.connecting, .ready])
        #expect(h.shutDown == [h.key(a(0))])
        #expect(!h.timerArmed)
    }

    @Test("TestPickFirstLeaf_HappyEyeballs_TF_ThenTimerFires: a failure moves on at once, the timer moves on again")
    func happyEyeballsFailureThenTimer() {
        var h = Self.harness()
        h.resolve([a(0), a(1), a(2)])
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .transientFailure, "test error")
        #expect(h.connected == [h.key(a(0)), h.key(a(1))])
        h.sc(h.key(a(1)), .connecting)
        h.timer()
        #expect(h.connected.count == 3)
        h.sc(h.key(a(1)), .ready)
        #expect(h.state == .ready)
        #expect(Set(h.shutDown) == [h.key(a(0)), h.key(a(2))])
    }

    @Test("TestPickFirstLeaf_TFPickerUpdate: no reconnect before the first pass ends; then the latest error")
    func tfPickerUpdate() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        let sc0 = h.key(a(0))
        h.sc(sc0, .connecting)
        h.sc(sc0, .transientFailure, "test err: connection refused")
        h.sc(sc0, .idle)
        #expect(h.connected.filter { $0 == sc0 }.count == 1)
        #expect(h.pickResult == .noSubConnAvailable)
        let sc1 = h.key(a(1))
        h.sc(sc1, .connecting)
        h.sc(sc1, .transientFailure, "test err: connection refused")
        #expect(h.pickResult == .transientFailure("test err: connection refused"))
        // The pass is over: sc0, IDLE again, reconnects now.
        #expect(h.connected.filter { $0 == sc0 }.count == 2)
        h.sc(sc1, .idle)
        #expect(h.connected.filter { $0 == sc1 }.count == 2)
        h.sc(sc0, .connecting)
        h.sc(sc0, .transientFailure, "newer error")
        #expect(h.pickResult == .transientFailure("newer error"))
        #expect(h.moves == [.connecting, .transientFailure])
    }

    @Test("TestPickFirst_ResolverErrorinTF: the error picker is replaced, nothing is shut down")
    func resolverErrorInTF() {
        var h = Self.harness()
        h.resolve([a(0)])
        h.sc(h.key(a(0)), .connecting)
        h.sc(h.key(a(0)), .transientFailure, "test error: connection refused")
        let publishes = h.publishCount
        h.resolverError("resolution failed: test error")
        #expect(h.publishCount == publishes + 1)
        #expect(h.pickResult == .transientFailure("resolver error: resolution failed: test error"))
        #expect(h.shutDown.isEmpty)
    }

    @Test("TestPickFirst_InitialResolverError / ResolverError_NoPreviousUpdate: TF at once")
    func resolverErrorFirst() {
        var h = Self.harness()
        h.resolverError("no such host")
        #expect(h.moves == [.connecting, .transientFailure])
        #expect(h.created.isEmpty)
    }

    @Test("TestPickFirst_ResolverError_WithPreviousUpdate_Ready: a READY channel ignores resolver errors")
    func resolverErrorWhileReady() {
        var h = Self.ready([a(0)])
        #expect(h.resolverError("boom").isEmpty)
        #expect(h.state == .ready)
    }

    @Test("TestPickFirstLeaf_ResolverUpdates_ActiveBackendInUpdatedList: the connection in use is kept")
    func activeBackendStillListed() {
        var h = Self.ready([a(0)])
        #expect(h.resolve([a(1), a(0)]).isEmpty)
        #expect(h.created.count == 1 && h.shutDown.isEmpty)
        #expect(h.moves == [.connecting, .ready])
    }

    @Test("TestPickFirstLeaf_ResolverUpdates_DisjointLists: READY → CONNECTING on the new list")
    func disjointLists() {
        var h = Self.ready([a(0)])
        h.resolve([a(1), a(2)])
        #expect(h.shutDown == [h.key(a(0))])
        #expect(h.state == .connecting)
        h.sc(h.key(a(1)), .connecting)
        h.sc(h.key(a(1)), .ready)
        #expect(h.moves == [.connecting, .ready, .connecting, .ready])
    }

    @Test("TestPickFirstLeaf_StopConnectedServer_FirstServerRestart: lost → IDLE; exitIdle reconnects the same SubConn")
    func stopConnectedServer() {
        var h = Self.ready([a(0), a(1)])
        let sc0 = h.key(a(0))
        h.sc(sc0, .idle, "connection reset")
        #expect(h.state == .idle && h.pickResult == .idle)
        h.exitIdle()
        #expect(h.connected.last == sc0)
        h.sc(sc0, .connecting)
        h.sc(sc0, .ready)
        #expect(h.moves == [.connecting, .ready, .idle, .connecting, .ready])
        #expect(h.created.count == 1)
    }

    @Test("TestPickFirstLeaf_EmptyAddressList: TF 'produced zero addresses', rejected; a good list connects again")
    func emptyList() {
        var h = Self.ready([a(0)])
        h.resolve([])
        #expect(h.rejections == ["produced zero addresses"])
        #expect(h.shutDown == [h.key(a(0))])
        #expect(h.state == .transientFailure)
        h.resolve([a(1)])
        // Not sticky: the TF came from the resolver, not from failed connections.
        #expect(h.state == .connecting)
        #expect(h.connected.last == h.key(a(1)))
    }

    @Test("TestPickFirst_StickyTransientFailure: TF until READY, reconnecting as backoffs end")
    func stickyTransientFailure() {
        var h = Self.harness()
        h.resolve([a(0)])
        let sc0 = h.key(a(0))
        h.sc(sc0, .connecting)
        h.sc(sc0, .transientFailure, "refused")
        h.sc(sc0, .idle)
        #expect(h.connected == [sc0, sc0])
        h.sc(sc0, .connecting)
        h.sc(sc0, .transientFailure, "refused again")
        #expect(h.pickResult == .transientFailure("refused again"))
        h.sc(sc0, .idle)
        h.sc(sc0, .connecting)
        h.sc(sc0, .ready)
        #expect(h.moves == [.connecting, .transientFailure, .ready])
    }

    @Test("TestPickFirstLeaf_HealthUpdates: the selected SubConn's health moves the channel, same connection")
    func healthUpdates() {
        var h = Self.ready([a(0), a(1)])
        let sc0 = h.key(a(0))
        h.sc(sc0, .transientFailure, "health check failed: NOT_SERVING")
        #expect(h.state == .transientFailure)
        #expect(h.pickResult == .transientFailure("health check failed: NOT_SERVING"))
        h.sc(sc0, .ready, "health: SERVING")
        #expect(h.moves == [.connecting, .ready, .transientFailure, .ready])
        #expect(h.picker == .single(PickedKey(sc0, a(0))))
        #expect(h.created.count == 1 && h.shutDown.isEmpty)
    }

    @Test("ccpool: a SubConn that leaves CONNECTING for IDLE fails its address; the pass moves on at once")
    func lostBeforeReady() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        let sc0 = h.key(a(0))
        h.sc(sc0, .connecting)
        h.sc(sc0, .idle, "connection reset: connection closed by peer")
        #expect(h.connected.last == h.key(a(1)))
        h.sc(h.key(a(1)), .connecting)
        h.sc(h.key(a(1)), .transientFailure, "refused")
        // Every address failed: sticky TF, and sc0 (IDLE) reconnects.
        #expect(h.state == .transientFailure)
        #expect(h.connected.last == sc0)

        var single = Self.harness()
        single.resolve([a(0)])
        single.sc(single.key(a(0)), .connecting)
        single.sc(single.key(a(0)), .idle, "connection reset")
        #expect(single.state == .transientFailure)
        #expect(single.connected == [single.key(a(0)), single.key(a(0))])
    }

    @Test("ccpool (idle: lazy): a resolver update while IDLE only stores the addresses")
    func updateWhileIdle() {
        var h = Self.ready([a(0)])
        h.sc(h.key(a(0)), .idle, "GOAWAY")
        let connects = h.connected.count
        #expect(h.resolve([a(1), a(0)]).isEmpty)
        #expect(h.state == .idle && h.connected.count == connects)
        h.exitIdle()
        #expect(h.state == .connecting)
        #expect(h.created.map(\.addresses) == [[a(0)], [a(1)]])
        #expect(h.connected.last == h.key(a(1)))
    }

    @Test("TestPickFirstLeaf_InterleavingIPV4Preferred: families interleave from the first address's")
    func interleaving() {
        var h = Self.harness()
        let v6 = Address.hostPort(host: "::1", port: 443)
        h.resolve([a(0), a(1), v6])
        h.sc(h.key(a(0)), .transientFailure, "x")
        h.sc(h.key(v6), .transientFailure, "x")
        #expect(h.created.map(\.addresses) == [[a(0)], [v6], [a(1)]])
    }

    @Test("close shuts every SubConn down and ignores what follows")
    func close() {
        var h = Self.harness()
        h.resolve([a(0), a(1)])
        h.timer()
        h.close()
        #expect(Set(h.shutDown) == Set(h.created.map(\.key)))
        #expect(h.sc(h.key(a(0)), .ready).isEmpty)
        #expect(h.resolve([a(2)]).isEmpty)
    }
}
