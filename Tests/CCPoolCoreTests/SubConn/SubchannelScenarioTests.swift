import CCPoolCore
import NIOHTTP2
import Testing

/// The subchannel against real loopback sockets: each test asserts the exact transition
/// sequence the observer saw.
@Suite("Subchannel over real HTTP/2")
struct SubchannelScenarioTests {
    @Test("first address refused, second accepted: READY on the second")
    func failoverWithinAPass() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let refused = try await TestServer.closedPort()
        let harness = try await SubchannelHarness.make(addresses: [refused, server.address])

        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(harness.recorder.transitions.last?.address == server.address)
        #expect(try await harness.connectedAddress == server.address)
        let succeeded = harness.recorder.events.contains {
            if case .connectionAttemptSucceeded(let address, _) = $0 { return address == server.address }
            return false
        }
        #expect(succeeded)
        try await harness.shutdown()
    }

    @Test("hanging server: pass deadline, TF 'connection timed out', then IDLE after backoff")
    func hangingServerTimesOut() async throws {
        let server = try await TestServer.start(behaviour: .hang)
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [server.address], backoff: SubchannelHarness.shortDeadline)

        try await harness.connect()
        try await harness.recorder.waitForTransitions(3)

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→IDLE"])
        let failure = harness.recorder.transitions[1]
        #expect(failure.reason == "connection timed out")
        #expect(failure.address == server.address)
        #expect(harness.recorder.transitions[2].reason == "backoff elapsed")
        // The TCP connection was accepted: the failure is the missing SETTINGS, not the dial.
        #expect(server.acceptedCount == 1)
        #expect(harness.recorder.events.contains(.reresolutionRequested))
        try await harness.shutdown()
    }

    @Test("refused on every address: TF with the first error, failed attempt counted")
    func allRefused() async throws {
        let a = try await TestServer.closedPort()
        let b = try await TestServer.closedPort()
        let harness = try await SubchannelHarness.make(addresses: [a, b])

        try await harness.connect()
        try await harness.recorder.waitForTransitions(3)

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→IDLE"])
        #expect(harness.recorder.transitions[1].reason == "connection refused")
        #expect(harness.recorder.transitions[1].address == a)
        #expect(harness.recorder.events.contains(.connectionAttemptFailed(reason: "connection refused")))
        try await harness.shutdown()
    }

    @Test("GOAWAY NO_ERROR: READY → IDLE with reason 'GOAWAY NO_ERROR'")
    func goAwayNoError() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [server.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        try await server.sendGoAway(code: .noError)
        try await harness.recorder.waitForTransitions(3)

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→IDLE"])
        let lost = harness.recorder.transitions[2]
        #expect(lost.reason == "GOAWAY NO_ERROR")
        #expect(lost.disconnectReason == .goAway(.noError))
        #expect(lost.address == server.address)
        try await harness.shutdown()
    }

    @Test("abrupt close (TCP RST): READY → IDLE with 'connection reset'")
    func abruptClose() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [server.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        await server.resetConnections()
        try await harness.recorder.waitForTransitions(3)

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→IDLE"])
        let lost = harness.recorder.transitions[2]
        #expect(lost.disconnectReason == .connectionReset)
        #expect(lost.reason.hasPrefix("connection reset"))
        try await harness.shutdown()
    }

    @Test("address update that still lists the connected address keeps the connection")
    func updateKeepsReadyConnection() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let other = try await TestServer.closedPort()
        let harness = try await SubchannelHarness.make(addresses: [server.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        try await harness.updateAddresses([other, server.address])

        // A later event proves the loop handled the update; none may be a transition.
        #expect(try await harness.state == .ready)
        #expect(try await harness.connectedAddress == server.address)
        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        #expect(server.acceptedCount == 1)
        #expect(server.openCount == 1)
        try await harness.shutdown()
    }

    @Test("address update that drops the connected address reconnects to the new one")
    func updateMovesToNewAddress() async throws {
        let first = try await TestServer.start()
        let second = try await TestServer.start()
        defer { Task { await first.stop(); await second.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [first.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        try await harness.updateAddresses([second.address])
        try await harness.recorder.waitForTransitions(5)

        #expect(harness.recorder.moves == [
            "IDLE→CONNECTING", "CONNECTING→READY", "READY→IDLE", "IDLE→CONNECTING", "CONNECTING→READY",
        ])
        #expect(try await harness.connectedAddress == second.address)
        try await harness.shutdown()
    }

    @Test("shutdown delivers SHUTDOWN last, and nothing after it")
    func shutdownIsLast() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [server.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        try await harness.shutdown()
        // Wait until the server saw the connection close, then check nothing followed SHUTDOWN.
        try await waitUntil { server.closedCount == 1 }
        try await harness.connect()

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→SHUTDOWN"])
        #expect(harness.recorder.transitions.last?.disconnectReason == .subchannelShutdown)
        guard case .transition(let last) = harness.recorder.events.last else {
            Issue.record("the last event is not the SHUTDOWN transition: \(harness.recorder.events)")
            return
        }
        #expect(last.to == .shutdown)
        #expect(try await harness.state == .shutdown)
    }

    @Test("keepalive: a server that stops answering PINGs → IDLE with 'connection timed out'")
    func keepaliveTimeout() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(
            addresses: [server.address],
            keepalive: KeepaliveConfiguration(time: .milliseconds(50), timeout: .milliseconds(200)))
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        server.stopAnswering()
        try await harness.recorder.waitForTransitions(3)

        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→IDLE"])
        #expect(harness.recorder.transitions[2].disconnectReason == .connectionTimedOut)
        try await harness.shutdown()
    }

    @Test("keepalive: answered PINGs keep the connection READY")
    func keepaliveAnswered() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(
            addresses: [server.address],
            keepalive: KeepaliveConfiguration(time: .milliseconds(20), timeout: .seconds(5)))
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)
        // Answered ping rounds, each well inside the timeout, must not disturb READY. 160 rounds at 20 ms span
        // more than one window of the connection's control-frame flood guard (20 frames in 3 s), which
        // counts their ACKs too: the allowance for our own keepalive keeps it from closing the connection.
        try await waitUntil(timeout: .seconds(30)) { server.pingsReceived >= 160 }
        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        try await harness.shutdown()
    }

    @Test("a server flooding control frames loses the connection; a few PINGs do not")
    func controlFrameFlood() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [server.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        // Ten PINGs (twelve control frames with the SETTINGS exchange) are inside the guard of 20 in 3 s:
        // every one is answered and the connection stays READY.
        try await server.sendPings(10)
        try await waitUntil { server.pingAcksReceived >= 10 }
        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY"])

        // A burst of 25 is more than the guard allows in any window: NIOHTTP2 refuses it and the
        // connection closes.
        try await server.sendPings(25)
        try await harness.recorder.waitForTransitions(3)
        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→IDLE"])
        let lost = harness.recorder.transitions[2]
        #expect(lost.disconnectReason == .socketError)
        #expect(lost.reason.contains("HTTP/2 protocol error"))
        #expect(server.pingAcksReceived < 35)
        try await harness.shutdown()
    }

    @Test("ENHANCE_YOUR_CALM too_many_pings doubles the keepalive time")
    func tooManyPings() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(
            addresses: [server.address],
            keepalive: KeepaliveConfiguration(time: .seconds(10), timeout: .seconds(20)))
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)

        try await server.sendGoAway(code: .enhanceYourCalm, debugData: "too_many_pings")
        try await harness.recorder.waitForTransitions(3)

        #expect(harness.recorder.events.contains(.keepaliveThrottled(keepaliveTime: .seconds(20))))
        #expect(harness.recorder.transitions[2].reason == "GOAWAY ENHANCE_YOUR_CALM")
        try await harness.shutdown()
    }

    @Test("unix domain socket target")
    func unixSocket() async throws {
        let path = "/tmp/ccpool-test-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try await TestServer.start(unixPath: path)
        defer { Task { await server.stop() } }
        let harness = try await SubchannelHarness.make(addresses: [server.address])
        try await harness.connect()
        try await harness.recorder.waitForTransitions(2)
        #expect(harness.recorder.moves == ["IDLE→CONNECTING", "CONNECTING→READY"])
        try await harness.shutdown()
    }
}

/// Polls a condition on the test's side until it holds (bounded), for state owned by a server.
func waitUntil(timeout: Duration = .seconds(10), _ condition: @Sendable () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        if clock.now > deadline { throw WaitTimeout(events: []) }
        try await Task.sleep(for: .milliseconds(5))
    }
}
