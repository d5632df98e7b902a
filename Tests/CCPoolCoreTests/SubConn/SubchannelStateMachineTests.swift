@testable import CCPoolCore
import NIOCore
import Testing

/// The addrConn rules without I/O: inputs in, actions out.
@Suite("Subchannel state machine")
struct SubchannelStateMachineTests {
    typealias Machine = SubchannelStateMachine
    let a = Address.hostPort(host: "10.0.0.1", port: 1)
    let b = Address.hostPort(host: "10.0.0.2", port: 2)
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let backoff = BackoffConfiguration(jitter: 0)

    func machine(_ addresses: [Address]) -> Machine {
        Machine(addresses: addresses, backoff: backoff, random: FixedRandomSource(fraction: 0.5))
    }

    @Test("connect from IDLE starts a pass on the first address with max(20 s, backoff(0)) deadline")
    func connectStartsPass() {
        var m = machine([a, b])
        let actions = m.connect(now: t0)
        #expect(actions == [
            .transition(from: .idle, to: .connecting, address: a, reason: "connect requested", disconnect: nil),
            .armPassDeadline(t0 + .seconds(20)),
            .startAttempt(attemptID: 1, address: a, deadline: t0 + .seconds(20)),
        ])
        #expect(m.connect(now: t0) == [], "connect does nothing outside IDLE")
    }

    @Test("a failed attempt moves to the next address under the same deadline")
    func nextAddress() {
        var m = machine([a, b])
        _ = m.connect(now: t0)
        let actions = m.attemptFailed(attemptID: 1, error: ConnectFailure("connection refused", address: a), now: t0 + .seconds(1))
        #expect(actions == [.startAttempt(attemptID: 2, address: b, deadline: t0 + .seconds(20))])
    }

    @Test("all addresses failed: TF with the first error, re-resolve, backoff(0) = 1 s, n+1")
    func passFails() {
        var m = machine([a, b])
        _ = m.connect(now: t0)
        _ = m.attemptFailed(attemptID: 1, error: ConnectFailure("connection refused", address: a), now: t0)
        let now = t0 + .milliseconds(5)
        let actions = m.attemptFailed(attemptID: 2, error: ConnectFailure("no route", address: b), now: now)
        #expect(actions == [
            .disarmPassDeadline,
            .attemptFailed(reason: "connection refused"),
            .requestReresolution,
            .transition(from: .connecting, to: .transientFailure, address: a, reason: "connection refused", disconnect: nil),
            .armBackoff(now + .seconds(1)),
        ])
        #expect(m.failures == 1)
        #expect(m.backoffElapsed() == [
            .transition(from: .transientFailure, to: .idle, address: nil, reason: "backoff elapsed", disconnect: nil)
        ])
        // The next pass waits backoff(1) = 1.6 s after failing, with a 20 s pass deadline.
        let second = m.connect(now: t0 + .seconds(10))
        #expect(second.contains(.armPassDeadline(t0 + .seconds(30))))
    }

    @Test("pass deadline: cancel the attempt, TF 'connection timed out'")
    func deadline() {
        var m = machine([a])
        _ = m.connect(now: t0)
        let actions = m.passDeadlineExpired(now: t0 + .seconds(20))
        #expect(actions.first == .cancelAttempt(attemptID: 1))
        #expect(actions.contains(.transition(
            from: .connecting, to: .transientFailure, address: a, reason: "connection timed out", disconnect: nil)))
    }

    @Test("success resets n and reports READY with the connect duration")
    func success() {
        var m = machine([a])
        _ = m.connect(now: t0)
        _ = m.passDeadlineExpired(now: t0 + .seconds(20))
        _ = m.backoffElapsed()
        _ = m.connect(now: t0 + .seconds(30))
        #expect(m.failures == 1)
        let actions = m.attemptSucceeded(attemptID: 2, now: t0 + .seconds(30) + .milliseconds(3))
        #expect(actions == [
            .disarmPassDeadline,
            .attemptSucceeded(address: a, duration: .milliseconds(3)),
            .transition(from: .connecting, to: .ready, address: a, reason: "connected", disconnect: nil),
        ])
        #expect(m.failures == 0)
    }

    @Test("stale results are ignored; a stale success only closes its connection")
    func staleResults() {
        var m = machine([a, b])
        _ = m.connect(now: t0)
        _ = m.updateAddresses([b], now: t0)  // cancels attempt 1, starts attempt 2
        #expect(m.attemptFailed(attemptID: 1, error: ConnectFailure("late"), now: t0) == [])
        #expect(m.attemptSucceeded(attemptID: 1, now: t0) == [.closeConnection(attemptID: 1)])
        #expect(m.connectivityState == .connecting)
    }

    @Test("READY then the transport closes: re-resolve, IDLE with the reason; no reconnect")
    func connectionLost() {
        var m = machine([a])
        _ = m.connect(now: t0)
        _ = m.attemptSucceeded(attemptID: 1, now: t0)
        let actions = m.connectionLost(attemptID: 1, reason: .goAway(.noError), detail: nil)
        #expect(actions == [
            .requestReresolution,
            .transition(from: .ready, to: .idle, address: a, reason: "GOAWAY NO_ERROR", disconnect: .goAway(.noError)),
        ])
        #expect(m.connectivityState == .idle)
    }

    @Test("updateAddresses: equal → nothing; IDLE/TF → store; READY kept if still listed")
    func updates() {
        var m = machine([a])
        #expect(m.updateAddresses([a], now: t0) == [])
        #expect(m.updateAddresses([b, a], now: t0) == [])
        #expect(m.addresses == [b, a])
        _ = m.connect(now: t0)
        _ = m.attemptSucceeded(attemptID: 1, now: t0)
        #expect(m.connectedAddress == b)
        #expect(m.updateAddresses([b], now: t0) == [])
        let moved = m.updateAddresses([a], now: t0)
        #expect(moved.prefix(2) == [
            .transition(from: .ready, to: .idle, address: b, reason: "address removed by update", disconnect: .unknown),
            .closeConnection(attemptID: 1),
        ])
        #expect(m.connectivityState == .connecting)
    }

    @Test("an update while CONNECTING restarts the pass without counting a failure")
    func updateWhileConnecting() {
        var m = machine([a])
        _ = m.connect(now: t0)
        let actions = m.updateAddresses([b], now: t0 + .seconds(1))
        #expect(actions == [
            .cancelAttempt(attemptID: 1),
            .armPassDeadline(t0 + .seconds(21)),
            .startAttempt(attemptID: 2, address: b, deadline: t0 + .seconds(21)),
        ])
        #expect(m.failures == 0)
    }

    @Test("shutdown from every state: SHUTDOWN first, then close; terminal")
    func shutdown() {
        var idle = machine([a])
        #expect(idle.shutdown() == [.transition(from: .idle, to: .shutdown, address: nil, reason: "subchannel shutdown", disconnect: nil)])
        #expect(idle.shutdown() == [])
        #expect(idle.connect(now: t0) == [])

        var ready = machine([a])
        _ = ready.connect(now: t0)
        _ = ready.attemptSucceeded(attemptID: 1, now: t0)
        #expect(ready.shutdown() == [
            .transition(from: .ready, to: .shutdown, address: a, reason: "subchannel shutdown", disconnect: .subchannelShutdown),
            .closeConnection(attemptID: 1),
        ])

        var connecting = machine([a])
        _ = connecting.connect(now: t0)
        #expect(connecting.shutdown().last == .cancelAttempt(attemptID: 1))

        var failed = machine([a])
        _ = failed.connect(now: t0)
        _ = failed.passDeadlineExpired(now: t0)
        #expect(failed.shutdown().first == .disarmBackoff)
    }

    @Test("an update to an empty list while CONNECTING cancels the pass: IDLE, no failure counted, no backoff")
    func emptiedWhileConnecting() {
        var m = machine([a])
        _ = m.connect(now: t0)
        let actions = m.updateAddresses([], now: t0)
        #expect(actions.first == .cancelAttempt(attemptID: 1))
        #expect(actions.contains(.transition(
            from: .connecting, to: .idle, address: nil, reason: "address list emptied by update", disconnect: nil)))
        #expect(!actions.contains { if case .armBackoff = $0 { return true } else { return false } })
        #expect(!actions.contains { if case .attemptFailed = $0 { return true } else { return false } })
        #expect(m.connectivityState == .idle && m.failures == 0)
    }

    @Test("connect with no addresses fails the pass at once")
    func emptyList() {
        var m = machine([])
        let actions = m.connect(now: t0)
        #expect(actions.contains(.transition(
            from: .connecting, to: .transientFailure, address: nil, reason: "no addresses to connect to", disconnect: nil)))
        #expect(m.connectivityState == .transientFailure)
    }
}
