import Logging
import Synchronization

/// The one place that knows which connectivity-state moves are legal (SPEC §1).
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

    private static let violations = Atomic<Int>(0)
    private static let logger = Logger(label: "ccpool.transitions")

    /// How many illegal transitions this process has seen.
    public static var violationCount: Int { violations.load(ordering: .relaxed) }

    /// Whether `from → to` is a legal move for `scope`, ignoring the `from == to` case.
    ///
    /// TF → READY is legal in both scopes: it only happens when a health check reports SERVING
    /// again over a transport that stayed up.
    public static func isLegal(from: ConnectivityState, to: ConnectivityState, scope: TransitionScope) -> Bool {
        switch (from, to) {
        case (.shutdown, _):
            return false
        case (_, .shutdown):
            return true
        case (.idle, .connecting):
            return true
        case (.connecting, .ready), (.connecting, .transientFailure), (.connecting, .idle):
            return true
        case (.ready, .transientFailure), (.ready, .idle):
            return true
        case (.transientFailure, .connecting), (.transientFailure, .ready):
            return true
        case (.transientFailure, .idle):
            return scope == .subchannel
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
        violations.add(1, ordering: .relaxed)
        logger.error(
            "illegal connectivity transition",
            metadata: ["scope": "\(scope.rawValue)", "from": "\(from)", "to": "\(to)", "at": "\(file):\(line)"]
        )
        assertionFailure("illegal \(scope.rawValue) transition \(from) -> \(to) at \(file):\(line)")
        return .illegal
    }
}
