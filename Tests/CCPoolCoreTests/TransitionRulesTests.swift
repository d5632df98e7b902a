import CCPoolCore
import Testing

@Suite("Connectivity transition rules (SPEC §1)")
struct TransitionRulesTests {
    typealias S = ConnectivityState

    static let channelLegal: Set<String> = [
        "IDLE→CONNECTING", "CONNECTING→READY", "CONNECTING→TRANSIENT_FAILURE", "CONNECTING→IDLE",
        "READY→TRANSIENT_FAILURE", "READY→IDLE", "TRANSIENT_FAILURE→CONNECTING", "TRANSIENT_FAILURE→READY",
        "IDLE→SHUTDOWN", "CONNECTING→SHUTDOWN", "READY→SHUTDOWN", "TRANSIENT_FAILURE→SHUTDOWN",
    ]

    @Test("the full table of legal moves, per scope")
    func table() {
        for from in S.allCases {
            for to in S.allCases where from != to {
                let key = "\(from)→\(to)"
                #expect(TransitionRules.isLegal(from: from, to: to, scope: .channel) == Self.channelLegal.contains(key), "\(key)")
                let subchannelLegal = Self.channelLegal.contains(key) || key == "TRANSIENT_FAILURE→IDLE"
                #expect(TransitionRules.isLegal(from: from, to: to, scope: .subchannel) == subchannelLegal, "\(key)")
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
