import Foundation
import Logging
import NIOCore
import Vocabulary

/// A subchannel (grpc-go's addrConn): keeps at most one HTTP/2 connection to one of its
/// addresses, following ``SubchannelStateMachine``'s rules, and reports every event to its
/// observer.
///
/// Loop-confined: create it, call it and observe it on its `eventLoop` only. It owns no task and
/// no stream; timers are loop-scheduled tasks, so a subchannel costs a few hundred bytes plus its
/// connection. Inputs raised while an event is being delivered (an observer calling back in) are
/// queued and handled after it, so the observer sees a flat, ordered sequence.
public final class Subchannel {
    public let id: SubchannelID
    public let eventLoop: any EventLoop

    private var machine: SubchannelStateMachine
    private let connector: any SubchannelConnector
    private var observer: (any SubchannelObserver)?
    private let wallClock: @Sendable () -> Date
    private let logger: Logger
    /// The channel's target, for log lines. Kept beside the logger rather than in its metadata: a
    /// logger with metadata holds a dictionary of its own, ~300 bytes for every subchannel.
    private let channelTarget: String

    /// The attempt in progress, or the live connection once READY.
    private var connection: (attemptID: Int, handle: any ConnectionHandle)?
    private var passDeadlineTimer: Scheduled<Void>?
    private var backoffTimer: Scheduled<Void>?
    /// The grpc.health.v1 service to watch once connected (docs/connection.md, "Health checking"), or nil.
    public let healthCheckService: String?
    private var healthCall: HealthCheckCall?
    private var healthRetryTimer: Scheduled<Void>?

    /// Keepalive in force; doubled when the server complains of too many pings (docs/connection.md, "Subchannels" 9).
    public private(set) var keepalive: KeepaliveConfiguration?

    private var isHandling = false
    private var queuedInputs: [Input] = []

    private enum Input {
        case connect
        case updateAddresses([Address])
        case shutdown
        case passDeadline
        case backoffElapsed
        case connection(attemptID: Int, ConnectionEvent)
        case health(attemptID: Int, HealthCheckEvent)
        case healthRetry
    }

    public init(
        id: SubchannelID = .next(),
        addresses: [Address],
        eventLoop: any EventLoop,
        connector: any SubchannelConnector,
        backoff: BackoffConfiguration = .init(),
        keepalive: KeepaliveConfiguration? = nil,
        healthCheckService: String? = nil,
        random: any RandomSource = SystemRandomSource(),
        wallClock: @escaping @Sendable () -> Date = { Date() },
        observer: (any SubchannelObserver)?,
        logger: Logger = Logger(label: "ccpool.subchannel"),
        channelTarget: String = ""
    ) {
        self.id = id
        self.eventLoop = eventLoop
        self.machine = SubchannelStateMachine(
            addresses: addresses, backoff: backoff, random: random, checksHealth: healthCheckService != nil)
        self.healthCheckService = healthCheckService
        self.connector = connector
        self.keepalive = keepalive
        self.wallClock = wallClock
        self.observer = observer
        self.logger = logger
        self.channelTarget = channelTarget
    }

    // MARK: Public API (on the event loop)

    public var state: ConnectivityState { machine.connectivityState }
    public var addresses: [Address] { machine.addresses }
    public var connectedAddress: Address? { machine.connectedAddress }
    /// The health the API shows: DISABLED without health checking (or when the server does not
    /// implement it), UNKNOWN until the server answers.
    public var health: HealthStatus { machine.health }

    /// Starts a connection pass if IDLE (docs/connection.md, "Subchannels" 1); does nothing otherwise.
    public func connect() { handle(.connect) }

    /// Replaces the address list (docs/connection.md, "Subchannels" 6).
    public func updateAddresses(_ addresses: [Address]) { handle(.updateAddresses(addresses)) }

    /// Moves to SHUTDOWN (delivered last) and closes the transport (docs/connection.md, "Subchannels" 7).
    public func shutdown() { handle(.shutdown) }

    // MARK: Input handling

    private func handle(_ input: Input) {
        eventLoop.preconditionInEventLoop()
        queuedInputs.append(input)
        guard !isHandling else { return }
        isHandling = true
        defer { isHandling = false }
        while !queuedInputs.isEmpty {
            let next = queuedInputs.removeFirst()
            perform(actions(for: next))
        }
    }

    private func actions(for input: Input) -> [SubchannelStateMachine.Action] {
        let now = eventLoop.now
        switch input {
        case .connect:
            return machine.connect(now: now)
        case .updateAddresses(let addresses):
            let before = machine.addresses
            let actions = machine.updateAddresses(addresses, now: now)
            if machine.addresses != before { emit(.addressesUpdated(machine.addresses)) }
            return actions
        case .shutdown:
            return machine.shutdown()
        case .passDeadline:
            passDeadlineTimer = nil
            return machine.passDeadlineExpired(now: now)
        case .backoffElapsed:
            backoffTimer = nil
            return machine.backoffElapsed()
        case .connection(let attemptID, let event):
            switch event {
            case .ready:
                return machine.attemptSucceeded(attemptID: attemptID, now: now)
            case .failed(let failure):
                forget(attemptID)
                return machine.attemptFailed(attemptID: attemptID, error: failure, now: now)
            case .goAway(let code, let debugData):
                if code == .enhanceYourCalm, debugData == "too_many_pings", var keepalive {
                    keepalive.time = keepalive.time * 2
                    self.keepalive = keepalive
                    emit(.keepaliveThrottled(keepaliveTime: keepalive.time))
                }
                return machine.connectionLost(attemptID: attemptID, reason: DisconnectReason(goAway: code), detail: nil)
                    + [.closeConnection(attemptID: attemptID)]
            case .closed(let reason, let detail):
                forget(attemptID)
                return machine.connectionLost(attemptID: attemptID, reason: reason, detail: detail)
            }
        case .health(let attemptID, let event):
            switch event {
            case .status(let status):
                return machine.healthStatus(attemptID: attemptID, status)
            case .finished(let status):
                healthCall = nil
                if status.code == .unimplemented {
                    logger.notice(
                        "server does not implement grpc.health.v1: health checking disabled for this connection",
                        metadata: logMetadata)
                }
                return machine.healthFinished(attemptID: attemptID, status, now: now)
            }
        case .healthRetry:
            healthRetryTimer = nil
            return machine.healthRetryElapsed()
        }
    }

    private func perform(_ actions: [SubchannelStateMachine.Action]) {
        for action in actions {
            switch action {
            case .transition(let from, let to, let address, let reason, let disconnect):
                let verdict = TransitionRules.check(from: from, to: to, scope: .subchannel)
                guard verdict != .unchanged else { continue }
                emit(.transition(SubchannelTransition(
                    time: wallClock(), subchannel: id, from: from, to: to, address: address,
                    reason: reason, disconnectReason: disconnect)))
                if to == .shutdown { observer = nil }
            case .startAttempt(let attemptID, let address, let deadline):
                startAttempt(attemptID, address: address, deadline: deadline)
            case .cancelAttempt(let attemptID), .closeConnection(let attemptID):
                if let connection, connection.attemptID == attemptID {
                    self.connection = nil
                    connection.handle.close()
                }
            case .armPassDeadline(let deadline):
                passDeadlineTimer?.cancel()
                passDeadlineTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                    self.handle(.passDeadline)
                }
            case .disarmPassDeadline:
                passDeadlineTimer?.cancel()
                passDeadlineTimer = nil
            case .armBackoff(let deadline):
                backoffTimer?.cancel()
                backoffTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                    self.handle(.backoffElapsed)
                }
            case .disarmBackoff:
                backoffTimer?.cancel()
                backoffTimer = nil
            case .requestReresolution:
                emit(.reresolutionRequested)
            case .attemptSucceeded(let address, let duration):
                emit(.connectionAttemptSucceeded(address: address, duration: duration))
            case .attemptFailed(let reason):
                emit(.connectionAttemptFailed(reason: reason))
            case .startHealthCheck(let attemptID):
                startHealthCheck(attemptID)
            case .cancelHealthCheck:
                healthCall?.cancel()
                healthCall = nil
            case .armHealthRetry(let deadline):
                healthRetryTimer?.cancel()
                healthRetryTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                    self.handle(.healthRetry)
                }
            case .disarmHealthRetry:
                healthRetryTimer?.cancel()
                healthRetryTimer = nil
            case .healthChanged(let status):
                emit(.healthChanged(status))
            }
        }
    }

    private var logMetadata: Logger.Metadata { ["target": "\(channelTarget)", "subchannel": "\(id)"] }

    private func startAttempt(_ attemptID: Int, address: Address, deadline: NIODeadline) {
        logger.trace("dialling", metadata: logMetadata.merging(["address": "\(address)", "attempt": "\(attemptID)"]) { $1 })
        let handle = connector.connect(
            to: address, deadline: deadline, keepalive: keepalive, on: eventLoop
        ) { [weak self] event in
            self?.handle(.connection(attemptID: attemptID, event.withAddress(address)))
        }
        connection = (attemptID, handle)
    }

    private func startHealthCheck(_ attemptID: Int) {
        guard let service = healthCheckService, let connection, connection.attemptID == attemptID,
            let address = machine.connectedAddress
        else { return }  // The connection is gone: its close event moves the machine on.
        guard let multiplexer = connection.handle.multiplexer else {
            // No stream can be opened on this connection: a failed health stream (TF, retried
            // after the backoff), never a silent CONNECTING without a timer.
            let status = GRPCStatus(code: .unavailable, message: "no HTTP/2 stream multiplexer on the connection")
            eventLoop.assumeIsolated().execute { self.handle(.health(attemptID: attemptID, .finished(status))) }
            return
        }
        healthCall?.cancel()
        // Every health RPC has a deadline: the first answer must come within the connect timeout.
        healthCall = HealthCheckClient.watch(
            service: service, on: multiplexer, eventLoop: eventLoop, authority: address.authority,
            firstResponseTimeout: machine.backoff.minConnectTimeout
        ) { [weak self] event in
            guard let self else { return }
            if case .finished(let status) = event, status.code != .unimplemented {
                // A health stream that fails because its connection is closing fails first: let the
                // transport's own close (and its disconnect reason, docs/connection.md, "Subchannels" 5) arrive,
                // then look again. If the connection is gone by then, the machine ignores this stale health event.
                self.eventLoop.assumeIsolated().execute { self.handle(.health(attemptID: attemptID, event)) }
                return
            }
            self.handle(.health(attemptID: attemptID, event))
        }
    }

    private func forget(_ attemptID: Int) {
        if connection?.attemptID == attemptID { connection = nil }
    }

    private func emit(_ event: SubchannelEvent) {
        observer?.subchannel(self, didEmit: event)
    }
}

extension ConnectionEvent {
    /// Stamps a failure with the address it happened on, for the TF event.
    fileprivate func withAddress(_ address: Address) -> ConnectionEvent {
        if case .failed(var failure) = self, failure.address == nil {
            failure.address = address
            return .failed(failure)
        }
        return self
    }
}
