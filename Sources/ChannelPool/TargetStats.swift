import CCPoolCore
import Foundation
import NIOCore
import Synchronization
import Vocabulary

/// What the pool knows about one target, updated on its shard loop and read by HTTP threads.
///
/// A short lock per target: the shard holds it for one event's bookkeeping, a reader for one
/// copy. Readers never touch the channel itself.
public final class TargetStats: Sendable {
    /// A subchannel as the API shows it.
    public struct Subchannel: Sendable, Hashable {
        public var id: SubchannelID
        public var addresses: [Address]
        public var connectedAddress: Address?
        public var state: ConnectivityState
        public var since: Date
        public var health: HealthStatus
        public var lastReason: String?

        public init(
            id: SubchannelID, addresses: [Address], connectedAddress: Address?, state: ConnectivityState,
            since: Date, health: HealthStatus, lastReason: String?
        ) {
            self.id = id
            self.addresses = addresses
            self.connectedAddress = connectedAddress
            self.state = state
            self.since = since
            self.health = health
            self.lastReason = lastReason
        }
    }

    /// Per (target, address) series: they outlive the subchannel so that counters stay equal
    /// to the history rows (docs/metrics.md, "Consistency rules").
    public struct AddressSeries: Sendable, Hashable {
        public var transitions = StateCounts()
        public var lastTransition: Date?
        /// The subchannel currently using this address, if any.
        public var current: SubchannelID?
    }

    public struct Values: Sendable {
        public var state: ConnectivityState = .idle
        public var since: Date
        public var lbPolicy: String
        public var subchannels: SmallMap<SubchannelID, Subchannel> = [:]
        public var channelTransitions = StateCounts()
        public var addressSeries: SmallMap<String, AddressSeries> = [:]
        public var attemptsSucceeded: UInt64 = 0
        public var attemptsFailed: UInt64 = 0
        public var disconnections: [DisconnectReason: UInt64] = [:]
        /// Connect durations, seconds: bucket counts over ``connectBounds`` plus +Inf, and the sum.
        public var connectBuckets: [UInt64] = Array(repeating: 0, count: TargetStats.connectBounds.count + 1)
        public var connectSum: Double = 0
        public var resolverUpdates: UInt64 = 0
        public var resolverErrors: UInt64 = 0
        public var picks: UInt64 = 0
        public var pickFailures: UInt64 = 0
        /// Total transitions recorded (channel + subchannel), for the consistency checks.
        public var recordedTransitions: UInt64 = 0

        /// A channel that has not moved yet: IDLE since `since`, no subchannels, no counts.
        public init(since: Date, lbPolicy: String) {
            self.since = since
            self.lbPolicy = lbPolicy
        }

        /// Open transports: subchannels with a live connection.
        public var openConnections: Int { subchannels.reduce(0) { $0 + ($1.value.connectedAddress == nil ? 0 : 1) } }
    }

    public static let connectBounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private let values: Mutex<Values>

    init(lbPolicy: String, now: Date) {
        values = Mutex(Values(since: now, lbPolicy: lbPolicy))
    }

    /// A copy of everything.
    public var snapshot: Values { values.withLock { $0 } }

    /// Reads some values under the lock without copying the others.
    public func read<T>(_ body: (Values) -> T) -> T {
        values.withLock { body($0) }
    }

    func update<T>(_ body: (inout Values) -> T) -> T {
        values.withLock { body(&$0) }
    }

    func countPick(failed: Bool) {
        values.withLock { values in
            values.picks += 1
            if failed { values.pickFailures += 1 }
        }
    }
}
