import Synchronization

/// A subchannel's identity: unique for the life of the process, never reused.
public struct SubchannelID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    private static let counter = Atomic<Int64>(0)

    /// The next unused id (1, 2, 3, ...), from any thread.
    public static func next() -> SubchannelID {
        SubchannelID(rawValue: counter.add(1, ordering: .relaxed).newValue)
    }

    public static func < (lhs: SubchannelID, rhs: SubchannelID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
