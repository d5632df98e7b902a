import ChannelPool
@testable import CCPoolService
import Testing

@Suite("Replica identity")
struct ReplicaIdentityTests {
    @Test("the index comes from the flag, else from a StatefulSet hostname")
    func resolve() throws {
        #expect(try ReplicaIdentity.resolve(index: nil, count: nil, hostname: "anything") == .single)
        #expect(try ReplicaIdentity.resolve(index: 1, count: 3, hostname: "x") == ReplicaIdentity(index: 1, count: 3))
        #expect(try ReplicaIdentity.resolve(index: nil, count: 3, hostname: "ccpool-2") == ReplicaIdentity(index: 2, count: 3))
        #expect(throws: ReplicaIdentityError.self) { try ReplicaIdentity.resolve(index: nil, count: 3, hostname: "ccpool") }
        #expect(throws: ReplicaIdentityError.self) { try ReplicaIdentity.resolve(index: nil, count: 3, hostname: "ccpool-7") }
    }

    @Test("ownership follows rendezvous hashing; a single replica owns everything")
    func ownership() {
        let single = ReplicaIdentity.single
        #expect(single.owns("anything"))
        let replicas = (0..<3).map { ReplicaIdentity(index: $0, count: 3) }
        for name in ["a", "b", "payments", "auth"] {
            #expect(replicas.filter { $0.owns(name) }.count == 1)
            #expect(replicas[0].owner(of: name) == Rendezvous(count: 3).owner(of: name))
        }
    }
}
