/// Rendezvous (highest-random-weight) hashing of target names over replicas.
///
/// Every replica computes the same owner for a name without talking to the others, and going
/// from N to N+1 replicas moves only the names the new replica wins: about 1/(N+1) of them.
public struct Rendezvous: Sendable, Hashable {
    public let count: Int

    public init(count: Int) {
        precondition(count >= 1, "at least one replica")
        self.count = count
    }

    /// The replica (0..<count) that owns `name`.
    public func owner(of name: String) -> Int {
        var best = 0
        var bestWeight: UInt64 = 0
        for replica in 0..<count {
            let weight = Self.weight(name, replica)
            if replica == 0 || weight > bestWeight {
                best = replica
                bestWeight = weight
            }
        }
        return best
    }

    /// A 64-bit FNV-1a of the name and the replica index, finished with a SplitMix64 mix so that
    /// close inputs give unrelated weights.
    static func weight(_ name: String, _ replica: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        var z = hash ^ (UInt64(replica) &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
