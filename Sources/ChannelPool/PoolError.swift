/// Why the pool refused a change.
public enum PoolError: Error, Hashable, Sendable, CustomStringConvertible {
    case closed
    public var description: String {
        switch self {
        case .closed: return "the pool is shutting down"
        }
    }
}
