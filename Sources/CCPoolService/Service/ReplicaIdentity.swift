import ChannelPool

/// Which replica this process is when targets are spread over several (docs/api.md): explicit
/// `--shard-index`/`--shard-count`, or the index from a StatefulSet pod name (`ccpool-2` → 2).
public struct ReplicaIdentity: Sendable, Hashable {
    public var index: Int
    public var count: Int

    public static let single = ReplicaIdentity(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Resolves the identity; the error says what is inconsistent.
    public static func resolve(index: Int?, count: Int?, hostname: String) throws(ReplicaIdentityError) -> ReplicaIdentity {
        let count = count ?? 1
        guard count >= 1 else { throw ReplicaIdentityError("shard_count must be at least 1") }
        var resolved = index
        if resolved == nil, count > 1 {
            guard let dash = hostname.lastIndex(of: "-"), let ordinal = Int(hostname[hostname.index(after: dash)...]) else {
                throw ReplicaIdentityError(
                    "shard_index is not set and the hostname \"\(hostname)\" does not end in -N (a StatefulSet ordinal)")
            }
            resolved = ordinal
        }
        let index = resolved ?? 0
        guard (0..<count).contains(index) else {
            throw ReplicaIdentityError("shard_index \(index) is outside 0..<\(count)")
        }
        return ReplicaIdentity(index: index, count: count)
    }

    /// The replica that owns `name`.
    public func owner(of name: String) -> Int {
        count == 1 ? 0 : Rendezvous(count: count).owner(of: name)
    }

    public func owns(_ name: String) -> Bool { owner(of: name) == index }
}

public struct ReplicaIdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
