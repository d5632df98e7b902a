import CCPoolCore
import Testing
import Vocabulary

@Suite("ConnectivityStateEvaluator")
struct ConnectivityStateEvaluatorTests {
    typealias S = ConnectivityState

    /// The obvious definition, recomputed from scratch.
    static func bruteForce(_ states: [S]) -> S {
        if states.contains(.ready) { return .ready }
        if states.contains(.connecting) { return .connecting }
        if states.contains(.idle) { return .idle }
        return .transientFailure
    }

    @Test("property: random transition sequences agree with a brute-force recount", arguments: 1...20)
    func property(seed: Int) {
        var random = SeededRandomSource(seed: UInt64(seed))
        var evaluator = ConnectivityStateEvaluator()
        var subConns: [S] = []
        let live: [S] = [.idle, .connecting, .ready, .transientFailure]
        for _ in 0..<2_000 {
            let action = random.integer(in: 0..<10)
            if action == 0 || subConns.isEmpty {
                subConns.append(.idle)
                evaluator.recordTransition(from: .shutdown, to: .idle)
            } else if action == 1 {
                let index = random.integer(in: 0..<subConns.count)
                evaluator.recordTransition(from: subConns[index], to: .shutdown)
                subConns.remove(at: index)
            } else {
                let index = random.integer(in: 0..<subConns.count)
                let next = live[random.integer(in: 0..<live.count)]
                evaluator.recordTransition(from: subConns[index], to: next)
                subConns[index] = next
            }
            #expect(evaluator.aggregate == Self.bruteForce(subConns))
            for state in live {
                #expect(evaluator.count(state) == subConns.filter { $0 == state }.count)
            }
        }
    }

    @Test("no SubConns means TRANSIENT_FAILURE; SHUTDOWN is not counted")
    func empty() {
        var evaluator = ConnectivityStateEvaluator()
        #expect(evaluator.aggregate == .transientFailure)
        evaluator.recordTransition(from: .shutdown, to: .idle)
        #expect(evaluator.aggregate == .idle)
        evaluator.recordTransition(from: .idle, to: .shutdown)
        #expect(evaluator.aggregate == .transientFailure)
        #expect(evaluator.count(.shutdown) == 0)
    }

    @Test("the aggregate is reported as it is: READY → CONNECTING when the last READY one drops")
    func aggregateIsTheTruth() {
        var evaluator = ConnectivityStateEvaluator()
        evaluator.recordTransition(from: .shutdown, to: .idle)
        evaluator.recordTransition(from: .shutdown, to: .idle)
        evaluator.recordTransition(from: .idle, to: .connecting)
        evaluator.recordTransition(from: .idle, to: .connecting)
        #expect(evaluator.recordTransition(from: .connecting, to: .ready) == .ready)
        // The READY one drops to IDLE while the other is still connecting.
        #expect(evaluator.recordTransition(from: .ready, to: .idle) == .connecting)
        // Both fail: nothing is connecting or idle.
        evaluator.recordTransition(from: .connecting, to: .transientFailure)
        #expect(evaluator.recordTransition(from: .idle, to: .transientFailure) == .transientFailure)
    }
}
