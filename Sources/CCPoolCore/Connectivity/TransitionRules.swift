import Logging
import Synchronization
import Vocabulary

/// The one place that knows which connectivity-state moves are legal (docs/connection.md, "States and the rules on
/// moves").
///
/// Every transition ccpool records, delivers or counts goes through ``check(from:to:scope:)``.
/// An illegal move is a bug in ccpool: debug builds stop on an assertion so that tests catch it;
/// release builds count it in ``violationCount`` and log it, and the move is still delivered so
/// that observers' counts stay matched (an evaluator that dropped it would drift).
public enum TransitionRules {
    /// What ``check(from:to:scope:)`` concluded.
    public enum Verdict: Sendable, Hashable {
        /// A legal transition: record, count and deliver it.
        case transition
        /// `from == to`: not a transition. Record, count and deliver nothing.
        case unchanged
        /// An illegal move (a bug). Delivered anyway; counted in ``violationCount``.
        case illegal
    }

    private static let channelViolations = Atomic<Int>(0)
    private static let subchannelViolations = Atomic<Int>(0)
    private static let logger = Logger(label: "ccpool.transitions")

    /// How many illegal transitions this process has seen.
    public static var violationCount: Int { violationCount(scope: .channel) + violationCount(scope: .subchannel) }

    /// How many illegal transitions of `scope` this process has seen.
    public static func violationCount(scope: TransitionScope) -> Int {
        switch scope {
        case .channel: return channelViolations.load(ordering: .relaxed)
        case .subchannel: return subchannelViolations.load(ordering: .relaxed)
        }
    }

    /// Whether `from → to` is a legal move for `scope`, ignoring the `from == to` case.
    ///
    /// A subchannel follows its own state machine: TF → READY and READY → TF happen only when a
    /// health check changes its mind over a transport that stayed up. A channel's state is
    /// whatever its balancer reports, so any move between the four live states is legal for it
    /// (READY → CONNECTING when round_robin loses its last READY SubConn while another connects).
    /// Nothing leaves SHUTDOWN in either scope.
    public static func isLegal(from: ConnectivityState, to: ConnectivityState, scope: TransitionScope) -> Bool {
        switch (from, to) {
        case (.shutdown, _):
            return false
        case (_, .shutdown):
            return true
        case _ where scope == .channel:
            return true
        case (.idle, .connecting):
            return true
        case (.connecting, .ready), (.connecting, .transientFailure), (.connecting, .idle):
            return true
        case (.ready, .transientFailure), (.ready, .idle):
            return true
        case (.transientFailure, .ready), (.transientFailure, .idle):
            return true
        default:
            return false
        }
    }

    /// Checks one transition about to be recorded. See ``Verdict``.
    @discardableResult
    public static func check(
        from: ConnectivityState,
        to: ConnectivityState,
        scope: TransitionScope,
        file: StaticString = #fileID,
        line: UInt = #line
    ) -> Verdict {
        if from == to { return .unchanged }
        if isLegal(from: from, to: to, scope: scope) { return .transition }
        switch scope {
        case .channel: channelViolations.add(1, ordering: .relaxed)
        case .subchannel: subchannelViolations.add(1, ordering: .relaxed)
        }
        logger.error(
            "illegal connectivity transition",
            metadata: ["scope": "\(scope.rawValue)", "from": "\(from)", "to": "\(to)", "at": "\(file):\(line)"]
        )
        assertionFailure("illegal \(scope.rawValue) transition \(from) -> \(to) at \(file):\(line)")
        return .illegal
    }
}
