/// A counter per connectivity state, held inline: no heap storage, unlike a dictionary by state
/// (one per target and one per address, so thousands of them).
public struct StateCounts: Sendable, Hashable {
    private var idle: UInt64 = 0
    private var connecting: UInt64 = 0
    private var ready: UInt64 = 0
    private var transientFailure: UInt64 = 0
    private var shutdown: UInt64 = 0

    public init() {}

    public subscript(state: ConnectivityState) -> UInt64 {
        get {
            switch state {
            case .idle: idle
            case .connecting: connecting
            case .ready: ready
            case .transientFailure: transientFailure
            case .shutdown: shutdown
            }
        }
        set {
            switch state {
            case .idle: idle = newValue
            case .connecting: connecting = newValue
            case .ready: ready = newValue
            case .transientFailure: transientFailure = newValue
            case .shutdown: shutdown = newValue
            }
        }
    }

    /// The sum over all states.
    public var total: UInt64 { idle + connecting + ready + transientFailure + shutdown }
}
