@testable import CCPoolCore
import Testing

/// Randomized model check of every balancer state machine (see ``BalancerModel``): over a
/// million steps in all, many seeds, each episode a random walk followed by a settle phase that
/// checks the channel reaches READY. A failure prints its seed and a shrunk list of events.
@Suite("Balancer model check")
struct BalancerModelCheckTests {
    /// One episode: its settings, its random events and how it settles.
    struct Episode: CustomStringConvertible {
        var settings: BalancerModel.Settings
        var seed: UInt64
        /// A machine to check instead of the real one of `settings.kind` (the checker's own test).
        var machine: (@Sendable () -> any BalancerStateMachine)? = nil
        var events: [ModelEvent]
        var reachable: [Int]
        var list: [Int]

        var description: String {
            "seed \(seed): \(settings); then reachable \(reachable), resolve \(list) and settle\n"
                + events.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        }
    }

    static func makeEpisode(
        kind: BalancerModel.Kind, seed: UInt64, length: Int, machine: (@Sendable () -> any BalancerStateMachine)? = nil
    ) -> Episode {
        var random = SeededRandomSource(seed: seed)
        let settings = BalancerModel.Settings(
            kind: kind, addressCount: 1 + random.integer(in: 0..<4), healthChecking: random.integer(in: 0..<2) == 0,
            lazy: random.integer(in: 0..<4) == 0)
        var model = BalancerModel(settings: settings, seed: seed, machine: machine?())
        var events: [ModelEvent] = [.resolve(Array(0..<settings.addressCount))]
        _ = try? model.apply(events[0])
        for _ in 0..<length {
            let event = model.randomEvent(&random)
            events.append(event)
            // Generation follows the model's state; a violation is found again by `run`.
            if (try? model.apply(event)) == nil { break }
        }
        let reachable = (0..<settings.addressCount).filter { _ in random.integer(in: 0..<2) == 0 }
        let chosen = reachable.isEmpty ? [random.integer(in: 0..<settings.addressCount)] : reachable
        var list = (0..<settings.addressCount).filter { chosen.contains($0) || random.integer(in: 0..<2) == 0 }
        if random.integer(in: 0..<2) == 0 { list.reverse() }
        return Episode(settings: settings, seed: seed, machine: machine, events: events, reachable: chosen, list: list)
    }

    /// Replays an episode; returns the steps taken, or the violation.
    static func run(_ episode: Episode) -> (steps: Int, violation: ModelViolation?) {
        var model = BalancerModel(settings: episode.settings, seed: episode.seed, machine: episode.machine?())
        var steps = 0
        do {
            for event in episode.events {
                try model.apply(event)
                steps += 1
            }
            steps += try model.settle(reachableIndices: episode.reachable, list: episode.list)
            try model.close()
            return (steps + 1, nil)
        } catch {
            return (steps, error)
        }
    }

    /// Removes events while the episode still fails, to a small reproduction.
    static func shrink(_ failing: Episode) -> Episode {
        var best = failing
        var chunk = max(1, best.events.count / 2)
        while chunk >= 1 {
            var index = 1  // The first resolver update stays.
            while index < best.events.count {
                var candidate = best
                candidate.events.removeSubrange(index..<min(index + chunk, candidate.events.count))
                if run(candidate).violation != nil {
                    best = candidate
                } else {
                    index += chunk
                }
            }
            chunk /= 2
        }
        return best
    }

    static let stepsPerBalancer = 260_000

    @Test("pick_first, round_robin and both legacy modes hold every invariant", arguments: BalancerModel.Kind.allCases)
    func modelCheck(kind: BalancerModel.Kind) {
        var steps = 0
        var episodes = 0
        var seed: UInt64 = 0x5eed_0000 &+ UInt64(kind.rawValue.utf8.count) << 20
        while steps < Self.stepsPerBalancer {
            seed &+= 1
            let episode = Self.makeEpisode(kind: kind, seed: seed, length: 40 + Int(seed % 160))
            let (taken, violation) = Self.run(episode)
            steps += max(taken, 1)
            episodes += 1
            if let violation {
                let small = Self.shrink(episode)
                Issue.record("\(kind.rawValue): \(violation) (\(Self.run(small).violation.map { "\($0)" } ?? "-"))\nreproduction (\(small.events.count) of \(episode.events.count) events):\n\(small)")
                return
            }
        }
        print("model check \(kind.rawValue): \(steps) steps in \(episodes) episodes, no violation")
        #expect(steps >= Self.stepsPerBalancer)
    }

    @Test("the checker catches a balancer that lies, and shrinks the case")
    func checkerCatchesALie() {
        // round_robin that never admits losing its last READY SubConn: it keeps reporting READY.
        var found: Episode?
        for seed in UInt64(1)...200 {
            let episode = Self.makeEpisode(kind: .roundRobin, seed: seed, length: 120) { StickyReadyRoundRobin() }
            if Self.run(episode).violation != nil {
                found = episode
                break
            }
        }
        guard let found else {
            Issue.record("200 episodes did not catch a balancer that reports READY with nothing to pick")
            return
        }
        let small = Self.shrink(found)
        #expect(Self.run(small).violation != nil)
        #expect(small.events.count < found.events.count)
        #expect(small.events.count <= 12, "reproduction not small: \(small)")
    }
}

/// round_robin with one lie: once READY it never reports anything else.
struct StickyReadyRoundRobin: BalancerStateMachine {
    var inner = RoundRobinStateMachine(random: SeededRandomSource(seed: 9))
    var wasReady = false

    mutating func filter(_ actions: [BalancerAction]) -> [BalancerAction] {
        actions.filter { action in
            guard case .publish(let state, _, _) = action else { return true }
            defer { wasReady = wasReady || state == .ready }
            return !(wasReady && state != .ready)
        }
    }
    mutating func updateClientConnState(_ update: ClientConnState) -> [BalancerAction] { filter(inner.updateClientConnState(update)) }
    mutating func resolverError(_ message: String) -> [BalancerAction] { filter(inner.resolverError(message)) }
    mutating func subConnStateChanged(_ key: SubConnKey, _ update: SubConnState) -> [BalancerAction] {
        filter(inner.subConnStateChanged(key, update))
    }
    mutating func exitIdle() -> [BalancerAction] { filter(inner.exitIdle()) }
    mutating func close() -> [BalancerAction] { filter(inner.close()) }
}
