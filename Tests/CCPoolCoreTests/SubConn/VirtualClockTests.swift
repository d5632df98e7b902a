import CCPoolCore
import NIOCore
import NIOEmbedded
import Testing

/// Timing rules on a virtual clock (`EmbeddedEventLoop`): pass deadlines and backoff are exact.
/// The same behaviours run over real sockets in ``SubchannelScenarioTests``.
@Suite("Subchannel timing on a virtual clock")
struct VirtualClockTests {
    let address = Address.hostPort(host: "10.1.1.1", port: 443)

    func makeSubchannel(
        _ loop: EmbeddedEventLoop, _ connector: ScriptedConnector, _ recorder: EventRecorder,
        backoff: BackoffConfiguration = .init()
    ) -> Subchannel {
        Subchannel(
            addresses: [address], eventLoop: loop, connector: connector, backoff: backoff,
            random: FixedRandomSource(fraction: 0.5), observer: recorder)
    }

    @Test("a hung pass fails at exactly 20 s; TF lasts exactly backoff(0) = 1 s")
    func passDeadlineAndFirstBackoff() {
        let loop = EmbeddedEventLoop()
        let connector = ScriptedConnector()
        let recorder = EventRecorder()
        let subchannel = makeSubchannel(loop, connector, recorder)

        subchannel.connect()
        #expect(connector.attempts.count == 1)
        loop.advanceTime(by: .milliseconds(19_999))
        #expect(subchannel.state == .connecting)
        loop.advanceTime(by: .milliseconds(1))
        #expect(subchannel.state == .transientFailure)
        #expect(connector.attempts[0].handle.closed, "the hung attempt was cancelled")
        #expect(recorder.transitions.last?.reason == "connection timed out")

        loop.advanceTime(by: .milliseconds(999))
        #expect(subchannel.state == .transientFailure)
        loop.advanceTime(by: .milliseconds(1))
        #expect(subchannel.state == .idle)
        #expect(recorder.moves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE", "TRANSIENT_FAILURE→IDLE"])
    }

    @Test("health checking on a connection with no stream multiplexer: TF and retried, never CONNECTING for ever")
    func healthWithoutMultiplexer() {
        let loop = EmbeddedEventLoop()
        let connector = ScriptedConnector()
        let recorder = EventRecorder()
        let subchannel = Subchannel(
            addresses: [address], eventLoop: loop, connector: connector, backoff: .init(), healthCheckService: "",
            random: FixedRandomSource(fraction: 0.5), observer: recorder)
        subchannel.connect()
        connector.report(0, .ready)
        loop.run()
        #expect(subchannel.state == .transientFailure)
        #expect(recorder.transitions.last?.reason.hasPrefix("health check failed: UNAVAILABLE") == true)
        // The retry after backoff(0) = 1 s finds no multiplexer again: TF again, not stuck.
        loop.advanceTime(by: .seconds(1))
        #expect(subchannel.state == .transientFailure)
        #expect(recorder.moves == ["IDLE→CONNECTING", "CONNECTING→TRANSIENT_FAILURE"])
        #expect(!connector.attempts[0].handle.closed, "the transport stays up")
    }

    @Test("backoff grows ×1.6 per failed pass and resets after READY")
    func backoffGrowsAndResets() {
        let loop = EmbeddedEventLoop()
        let connector = ScriptedConnector()
        let recorder = EventRecorder()
        let subchannel = makeSubchannel(loop, connector, recorder)
        // The fixed random source sits at the middle of the jitter range: factor 1.0.
        let expected: [Int64] = [1000, 1600, 2560, 4096]
        for (pass, millis) in expected.enumerated() {
            subchannel.connect()
            connector.report(pass, .failed(ConnectFailure("connection refused")))
            #expect(subchannel.state == .transientFailure)
            loop.advanceTime(by: .milliseconds(millis - 1))
            #expect(subchannel.state == .transientFailure, "pass \(pass)")
            loop.advanceTime(by: .milliseconds(1))
            #expect(subchannel.state == .idle, "pass \(pass)")
        }
        subchannel.connect()
        connector.report(expected.count, .ready)
        #expect(subchannel.state == .ready)
        connector.report(expected.count, .closed(.connectionReset, detail: nil))
        #expect(subchannel.state == .idle)
        subchannel.connect()
        connector.report(expected.count + 1, .failed(ConnectFailure("connection refused")))
        loop.advanceTime(by: .milliseconds(999))
        #expect(subchannel.state == .transientFailure)
        loop.advanceTime(by: .milliseconds(1))
        #expect(subchannel.state == .idle, "back to backoff(0) after a READY")
    }

    @Test("an observer calling back in sees a flat, ordered sequence")
    func reentrantObserver() {
        let loop = EmbeddedEventLoop()
        let connector = ScriptedConnector()
        let observer = ReconnectingObserver()
        let subchannel = Subchannel(
            addresses: [address], eventLoop: loop, connector: connector, random: FixedRandomSource(fraction: 0.5),
            observer: observer)
        subchannel.connect()
        connector.report(0, .ready)
        connector.report(0, .closed(.connectionReset, detail: nil))
        // The observer reconnected from inside the IDLE callback.
        #expect(observer.moves == ["IDLE→CONNECTING", "CONNECTING→READY", "READY→IDLE", "IDLE→CONNECTING"])
        #expect(connector.attempts.count == 2)
    }
}

/// Reconnects whenever the subchannel reports IDLE, from inside the callback.
private final class ReconnectingObserver: SubchannelObserver {
    var moves: [String] = []
    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent) {
        guard case .transition(let t) = event else { return }
        moves.append("\(t.from)→\(t.to)")
        if t.to == .idle { subchannel.connect() }
    }
}
