import ChannelPool
import Testing

@Suite("Rendezvous hashing over replicas")
struct RendezvousTests {
    let names = (0..<5_000).map { "target-\($0)" }

    @Test("three replicas own disjoint sets whose union is every target")
    func partition() {
        let rendezvous = Rendezvous(count: 3)
        var owned: [[String]] = [[], [], []]
        for name in names { owned[rendezvous.owner(of: name)].append(name) }
        #expect(owned.reduce(0) { $0 + $1.count } == names.count)
        #expect(Set(owned.flatMap { $0 }).count == names.count)
        for set in owned { #expect(abs(set.count - names.count / 3) < names.count / 10, "balanced: \(set.count)") }
    }

    @Test("going from N to N+1 replicas moves about 1/(N+1) of the targets, all to the new one", arguments: [1, 2, 3, 5])
    func minimalMovement(n: Int) {
        let before = Rendezvous(count: n)
        let after = Rendezvous(count: n + 1)
        var moved = 0
        for name in names where before.owner(of: name) != after.owner(of: name) {
            moved += 1
            #expect(after.owner(of: name) == n, "a moved target goes to the new replica")
        }
        let expected = Double(names.count) / Double(n + 1)
        #expect(abs(Double(moved) - expected) < expected * 0.15, "moved \(moved), expected about \(Int(expected))")
    }
}
