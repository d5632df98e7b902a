import CCPoolCore
import Testing
import Vocabulary

@Suite("Connectivity transition rules")
struct TransitionRulesTests {
    typealias S = ConnectivityState

    /// A subchannel's moves (its state machine); health checking adds READY ⇄ TF.
    static let subchannelLegal: Set<String> = [
        "IDLE→CONNECTING", "CONNECTING→READY", "CONNECTING→TRANSIENT_FAILURE", "CONNECTING→IDLE",
        "READY→TRANSIENT_FAILURE", "READY→IDLE", "TRANSIENT_FAILURE→IDLE", "TRANSIENT_FAILURE→READY",
        "IDLE→SHUTDOWN", "CONNECTING→SHUTDOWN", "READY→SHUTDOWN", "TRANSIENT_FAILURE→SHUTDOWN",
    ]

    @Test("the full table of legal moves, per scope")
    func table() {
        for from in S.allCases {
            for to in S.allCases where from != to {
                let key = "\(from)→\(to)"
                // A channel reports its balancer's aggregate: any live move; nothing leaves SHUTDOWN.
                #expect(TransitionRules.isLegal(from: from, to: to, scope: .channel) == (from != .shutdown), "\(key)")
                #expect(TransitionRules.isLegal(from: from, to: to, scope: .subchannel) == Self.subchannelLegal.contains(key), "\(key)")
            }
        }
    }

    @Test("same state is not a transition")
    func unchanged() {
        for state in S.allCases {
            #expect(TransitionRules.check(from: state, to: state, scope: .channel) == .unchanged)
        }
        #expect(TransitionRules.check(from: .idle, to: .connecting, scope: .subchannel) == .transition)
    }
}
