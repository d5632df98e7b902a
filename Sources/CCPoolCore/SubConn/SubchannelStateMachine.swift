import NIOCore

/// The subchannel's (grpc-go's addrConn's) rules as a pure value type: inputs in, actions out.
///
/// ```
///            connect()                 SETTINGS received
///   IDLE ─────────────▶ CONNECTING ─────────────────────▶ READY
///    ▲                      │  every address failed, or      │ transport closed
///    │ backoff elapsed      │  the pass deadline passed      │ or GOAWAY
///    │                      ▼                                ▼
///    └──────────────── TRANSIENT_FAILURE                    IDLE
///
///   any state ── shutdown() ──▶ SHUTDOWN (terminal)
/// ```
///
/// A *pass* tries the addresses in order under one deadline,
/// `now + max(minConnectTimeout, backoff(n))`; the first success wins (SPEC §2.2–2.3). A failed
/// pass reports its first error, asks for re-resolution, waits `backoff(n)` in TF, then goes IDLE
/// with `n + 1` (§2.4). There is no automatic reconnect from IDLE: the balancer decides (§2.5).
///
/// Every attempt has an id; results for an attempt the machine no longer waits for (cancelled by
/// an address update or shutdown) are stale and only get their connection closed.
struct SubchannelStateMachine {
    enum State: Equatable {
        case idle
        case connecting(Pass)
        case ready(Connected)
        case transientFailure
        case shutdown
    }

    /// One connection pass over the address list.
    struct Pass: Equatable {
        var attemptID: Int
        var addressIndex: Int
        var deadline: NIODeadline
        var startedAt: NIODeadline
        var firstError: ConnectFailure?
    }

    /// The live transport.
    struct Connected: Equatable {
        var attemptID: Int
        var address: Address
    }

    /// What the owner must do, in order.
    enum Action: Equatable {
        /// Deliver this state change to the observer.
        case transition(from: ConnectivityState, to: ConnectivityState, address: Address?, reason: String, disconnect: DisconnectReason?)
        /// Dial `address`; report the outcome with `attemptID`. The dial must give up by `deadline`.
        case startAttempt(attemptID: Int, address: Address, deadline: NIODeadline)
        /// Abandon an attempt in progress (closing its socket if it has one).
        case cancelAttempt(attemptID: Int)
        /// Close a connection (READY or stale).
        case closeConnection(attemptID: Int)
        /// (Re)arm the pass deadline timer; only one is ever armed.
        case armPassDeadline(NIODeadline)
        case disarmPassDeadline
        /// Arm the backoff timer that ends TRANSIENT_FAILURE.
        case armBackoff(NIODeadline)
        case disarmBackoff
        case requestReresolution
        case attemptSucceeded(address: Address, duration: TimeAmount)
        case attemptFailed(reason: String)
    }

    private(set) var state: State = .idle
    private(set) var addresses: [Address]
    /// Consecutive failed passes (the backoff's n).
    private(set) var failures = 0
    var backoff: BackoffConfiguration
    private var nextAttemptID = 1
    private var random: any RandomSource

    init(addresses: [Address], backoff: BackoffConfiguration, random: any RandomSource) {
        self.addresses = addresses
        self.backoff = backoff
        self.random = random
    }

    var connectivityState: ConnectivityState {
        switch state {
        case .idle: return .idle
        case .connecting: return .connecting
        case .ready: return .ready
        case .transientFailure: return .transientFailure
        case .shutdown: return .shutdown
        }
    }

    var connectedAddress: Address? {
        if case .ready(let connected) = state { return connected.address }
        return nil
    }

    // MARK: Inputs

    /// §2.1: only IDLE starts a pass.
    mutating func connect(now: NIODeadline) -> [Action] {
        guard case .idle = state else { return [] }
        guard !addresses.isEmpty else {
            // Nothing to dial: a pass with no address fails at once.
            var actions: [Action] = [.transition(from: .idle, to: .connecting, address: nil, reason: "connect requested", disconnect: nil)]
            state = .connecting(Pass(attemptID: 0, addressIndex: 0, deadline: now, startedAt: now, firstError: nil))
            actions += failPass(now: now, error: ConnectFailure("no addresses to connect to"))
            return actions
        }
        var actions: [Action] = [
            .transition(from: .idle, to: .connecting, address: addresses[0], reason: "connect requested", disconnect: nil)
        ]
        actions += startPass(now: now)
        return actions
    }

    /// The transport for `attemptID` is up (TCP, TLS if any, and the server's SETTINGS).
    mutating func attemptSucceeded(attemptID: Int, now: NIODeadline) -> [Action] {
        guard case .connecting(let pass) = state, pass.attemptID == attemptID else {
            return [.closeConnection(attemptID: attemptID)]
        }
        let address = addresses[pass.addressIndex]
        state = .ready(Connected(attemptID: attemptID, address: address))
        failures = 0
        return [
            .disarmPassDeadline,
            .attemptSucceeded(address: address, duration: now - pass.startedAt),
            .transition(from: .connecting, to: .ready, address: address, reason: "connected", disconnect: nil),
        ]
    }

    /// The attempt `attemptID` failed; try the next address of the pass, or fail the pass.
    mutating func attemptFailed(attemptID: Int, error: ConnectFailure, now: NIODeadline) -> [Action] {
        guard case .connecting(var pass) = state, pass.attemptID == attemptID else { return [] }
        if pass.firstError == nil { pass.firstError = error }
        let next = pass.addressIndex + 1
        if next < addresses.count, now < pass.deadline {
            pass.addressIndex = next
            pass.attemptID = takeAttemptID()
            state = .connecting(pass)
            return [.startAttempt(attemptID: pass.attemptID, address: addresses[next], deadline: pass.deadline)]
        }
        return failPass(now: now, error: pass.firstError ?? error)
    }

    /// The pass deadline passed with an attempt still running.
    mutating func passDeadlineExpired(now: NIODeadline) -> [Action] {
        guard case .connecting(let pass) = state else { return [] }
        let timedOut = ConnectFailure("connection timed out", address: addresses[pass.addressIndex])
        return [.cancelAttempt(attemptID: pass.attemptID)] + failPass(now: now, error: pass.firstError ?? timedOut)
    }

    /// §2.4: the backoff after a failed pass is over.
    mutating func backoffElapsed() -> [Action] {
        guard case .transientFailure = state else { return [] }
        state = .idle
        return [.transition(from: .transientFailure, to: .idle, address: nil, reason: "backoff elapsed", disconnect: nil)]
    }

    /// §2.5: the READY transport closed or received GOAWAY.
    mutating func connectionLost(attemptID: Int, reason: DisconnectReason, detail: String?) -> [Action] {
        guard case .ready(let connected) = state, connected.attemptID == attemptID else { return [] }
        state = .idle
        let text = detail.map { "\(reason): \($0)" } ?? reason.description
        return [
            .requestReresolution,
            .transition(from: .ready, to: .idle, address: connected.address, reason: text, disconnect: reason),
        ]
    }

    /// §2.6.
    mutating func updateAddresses(_ new: [Address], now: NIODeadline) -> [Action] {
        guard new != addresses else { return [] }
        addresses = new
        switch state {
        case .idle, .transientFailure, .shutdown:
            return []
        case .ready(let connected) where new.contains(connected.address):
            return []
        case .ready(let connected):
            state = .idle
            var actions: [Action] = [
                .transition(
                    from: .ready, to: .idle, address: connected.address,
                    reason: "address removed by update", disconnect: .unknown),
                .closeConnection(attemptID: connected.attemptID),
            ]
            actions += connect(now: now)
            return actions
        case .connecting(let pass):
            // Cancelled, not failed: the backoff count stays as it is.
            var actions: [Action] = [.cancelAttempt(attemptID: pass.attemptID)]
            if new.isEmpty {
                actions += failPass(now: now, error: ConnectFailure("no addresses to connect to"))
            } else {
                actions += startPass(now: now)
            }
            return actions
        }
    }

    /// §2.7: SHUTDOWN is delivered first, then the transport is closed.
    mutating func shutdown() -> [Action] {
        let from = connectivityState
        switch state {
        case .shutdown:
            return []
        case .idle:
            state = .shutdown
            return [.transition(from: from, to: .shutdown, address: nil, reason: "subchannel shutdown", disconnect: nil)]
        case .transientFailure:
            state = .shutdown
            return [
                .disarmBackoff,
                .transition(from: from, to: .shutdown, address: nil, reason: "subchannel shutdown", disconnect: nil),
            ]
        case .connecting(let pass):
            state = .shutdown
            return [
                .disarmPassDeadline,
                .transition(from: from, to: .shutdown, address: nil, reason: "subchannel shutdown", disconnect: nil),
                .cancelAttempt(attemptID: pass.attemptID),
            ]
        case .ready(let connected):
            state = .shutdown
            return [
                .transition(
                    from: from, to: .shutdown, address: connected.address, reason: "subchannel shutdown",
                    disconnect: .subchannelShutdown),
                .closeConnection(attemptID: connected.attemptID),
            ]
        }
    }

    // MARK: Helpers

    private mutating func takeAttemptID() -> Int {
        defer { nextAttemptID += 1 }
        return nextAttemptID
    }

    private mutating func startPass(now: NIODeadline) -> [Action] {
        let deadline = now + backoff.passTimeout(afterFailures: failures, random: &random)
        let id = takeAttemptID()
        state = .connecting(Pass(attemptID: id, addressIndex: 0, deadline: deadline, startedAt: now, firstError: nil))
        return [.armPassDeadline(deadline), .startAttempt(attemptID: id, address: addresses[0], deadline: deadline)]
    }

    private mutating func failPass(now: NIODeadline, error: ConnectFailure) -> [Action] {
        let delay = backoff.delay(afterFailures: failures, random: &random)
        failures += 1
        state = .transientFailure
        return [
            .disarmPassDeadline,
            .attemptFailed(reason: error.message),
            .requestReresolution,
            .transition(from: .connecting, to: .transientFailure, address: error.address, reason: error.message, disconnect: nil),
            .armBackoff(now + delay),
        ]
    }
}

/// Why one connection attempt failed, as a short human text ("connection refused").
public struct ConnectFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var address: Address?

    public init(_ message: String, address: Address? = nil) {
        self.message = message
        self.address = address
    }

    public var description: String { message }
}
