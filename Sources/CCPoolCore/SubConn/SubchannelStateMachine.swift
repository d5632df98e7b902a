import NIOCore
import Vocabulary

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
/// `now + max(minConnectTimeout, backoff(n))`; the first success wins (docs/connection.md, "Subchannels" 2–3). A failed
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
        /// Transport up, health checking decides (docs/connection.md, "Health checking"): CONNECTING until the
        /// first answer, TRANSIENT_FAILURE while the server is not serving or the health stream is retrying.
        case checkingHealth(Connected, HealthPhase)
    }

    enum HealthPhase: Equatable {
        /// Waiting for the first health answer: CONNECTING.
        case awaitingFirstAnswer
        /// The server answered something other than SERVING: TF.
        case notServing(String)
        /// The health stream failed; a new one starts after the backoff: TF.
        case retrying(String)
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
        /// Open a health Watch on the connection of `attemptID`.
        case startHealthCheck(attemptID: Int)
        case cancelHealthCheck
        case armHealthRetry(NIODeadline)
        case disarmHealthRetry
        /// The health status the API shows changed.
        case healthChanged(HealthStatus)
    }

    private(set) var state: State = .idle
    private(set) var addresses: [Address]
    /// Consecutive failed passes (the backoff's n).
    private(set) var failures = 0
    var backoff: BackoffConfiguration
    private var nextAttemptID = 1
    private var random: any RandomSource
    /// Whether READY waits for a health check (the target's `healthCheckConfig`).
    let checksHealth: Bool
    /// Consecutive failed health streams, reset by every health message received.
    private var healthFailures = 0
    /// What the API shows: DISABLED without health checking, UNKNOWN while there is no answer.
    private(set) var health: HealthStatus

    init(addresses: [Address], backoff: BackoffConfiguration, random: any RandomSource, checksHealth: Bool = false) {
        self.addresses = addresses
        self.backoff = backoff
        self.random = random
        self.checksHealth = checksHealth
        self.health = checksHealth ? .unknown : .disabled
    }

    /// Records a new health status, returning the event for it if it changed.
    private mutating func setHealth(_ new: HealthStatus) -> [Action] {
        guard new != health else { return [] }
        health = new
        return [.healthChanged(new)]
    }

    /// Stops health checking on a transport that is going away.
    private mutating func stopHealthChecking() -> [Action] {
        guard checksHealth else { return [] }
        return [.cancelHealthCheck, .disarmHealthRetry] + setHealth(.unknown)
    }

    var connectivityState: ConnectivityState {
        switch state {
        case .idle: return .idle
        case .connecting: return .connecting
        case .ready: return .ready
        case .transientFailure: return .transientFailure
        case .shutdown: return .shutdown
        case .checkingHealth(_, .awaitingFirstAnswer): return .connecting
        case .checkingHealth: return .transientFailure
        }
    }

    /// The live transport, READY or being health-checked.
    private var connected: Connected? {
        switch state {
        case .ready(let connected), .checkingHealth(let connected, _): return connected
        default: return nil
        }
    }

    var connectedAddress: Address? { connected?.address }

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
        let connected = Connected(attemptID: attemptID, address: address)
        failures = 0
        let succeeded: [Action] = [.disarmPassDeadline, .attemptSucceeded(address: address, duration: now - pass.startedAt)]
        if checksHealth {
            // §7: stay CONNECTING until the first health answer.
            state = .checkingHealth(connected, .awaitingFirstAnswer)
            healthFailures = 0
            return succeeded + setHealth(.unknown) + [.startHealthCheck(attemptID: attemptID)]
        }
        state = .ready(connected)
        return succeeded + [.transition(from: .connecting, to: .ready, address: address, reason: "connected", disconnect: nil)]
    }

    // MARK: Health checking (docs/connection.md, "Health checking")

    /// A health message arrived on the connection of `attemptID`.
    mutating func healthStatus(attemptID: Int, _ status: ServingStatus) -> [Action] {
        guard let connected, connected.attemptID == attemptID else { return [] }
        healthFailures = 0
        let from = connectivityState
        var actions = setHealth(HealthStatus(status))
        if status == .serving {
            state = .ready(connected)
            actions.append(.transition(from: from, to: .ready, address: connected.address, reason: "health: SERVING", disconnect: nil))
        } else {
            let reason = "health check failed: \(status)"
            state = .checkingHealth(connected, .notServing(reason))
            // The transport stays up: not a disconnection (gRPC A94 counts transports).
            actions.append(.transition(from: from, to: .transientFailure, address: connected.address, reason: reason, disconnect: nil))
        }
        return actions
    }

    /// The health stream of `attemptID` ended.
    mutating func healthFinished(attemptID: Int, _ status: GRPCStatus, now: NIODeadline) -> [Action] {
        guard let connected, connected.attemptID == attemptID else { return [] }
        let from = connectivityState
        if status.code == .unimplemented {
            // The server has no health service: READY, health DISABLED, checking stops.
            state = .ready(connected)
            return setHealth(.disabled) + [.transition(
                from: from, to: .ready, address: connected.address,
                reason: "health check UNIMPLEMENTED: health disabled", disconnect: nil)]
        }
        let reason = "health check failed: \(status.code)" + (status.message.isEmpty ? "" : " (\(status.message))")
        let delay = backoff.delay(afterFailures: healthFailures, random: &random)
        healthFailures += 1
        state = .checkingHealth(connected, .retrying(reason))
        var actions: [Action] = [.armHealthRetry(now + delay)] + setHealth(.unknown)
        actions.append(.transition(from: from, to: .transientFailure, address: connected.address, reason: reason, disconnect: nil))
        return actions
    }

    /// The backoff after a failed health stream is over: open a new one.
    mutating func healthRetryElapsed() -> [Action] {
        guard case .checkingHealth(let connected, .retrying) = state else { return [] }
        return [.startHealthCheck(attemptID: connected.attemptID)]
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
        guard let connected, connected.attemptID == attemptID else { return [] }
        let from = connectivityState
        let actions = stopHealthChecking()
        state = .idle
        let text = detail.map { "\(reason): \($0)" } ?? reason.description
        // Only a move out of READY is a disconnection (gRPC A94).
        return actions + [
            .requestReresolution,
            .transition(from: from, to: .idle, address: connected.address, reason: text, disconnect: from == .ready ? reason : nil),
        ]
    }

    /// §2.6.
    mutating func updateAddresses(_ new: [Address], now: NIODeadline) -> [Action] {
        guard new != addresses else { return [] }
        addresses = new
        switch state {
        case .idle, .transientFailure, .shutdown:
            return []
        case .ready(let connected) where new.contains(connected.address),
            .checkingHealth(let connected, _) where new.contains(connected.address):
            return []
        case .ready(let connected), .checkingHealth(let connected, _):
            let from = connectivityState
            state = .idle
            var actions = stopHealthChecking()
            actions += [
                .transition(
                    from: from, to: .idle, address: connected.address,
                    reason: "address removed by update", disconnect: from == .ready ? .unknown : nil),
                .closeConnection(attemptID: connected.attemptID),
            ]
            actions += connect(now: now)
            return actions
        case .connecting(let pass):
            // Cancelled, not failed: the backoff count stays as it is.
            var actions: [Action] = [.cancelAttempt(attemptID: pass.attemptID)]
            if new.isEmpty {
                // Nothing left to dial: back to IDLE, with no failure counted and no backoff.
                state = .idle
                actions += [
                    .disarmPassDeadline,
                    .transition(from: .connecting, to: .idle, address: nil, reason: "address list emptied by update", disconnect: nil),
                ]
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
        case .ready(let connected), .checkingHealth(let connected, _):
            state = .shutdown
            let cancel: [Action] = checksHealth ? [.cancelHealthCheck, .disarmHealthRetry] : []
            return cancel + [
                .transition(
                    from: from, to: .shutdown, address: connected.address, reason: "subchannel shutdown",
                    disconnect: from == .ready ? .subchannelShutdown : nil),
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
