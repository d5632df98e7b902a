import CCPoolCore
import Foundation
import Vocabulary

/// One recorded transition of a channel or subchannel: a history row.
public struct TransitionRecord: Sendable, Hashable {
    public var time: Date
    public var target: String
    public var scope: TransitionScope
    public var subchannel: SubchannelID?
    public var address: String?
    public var from: ConnectivityState
    public var to: ConnectivityState
    public var reason: String

    public init(
        time: Date, target: String, scope: TransitionScope, subchannel: SubchannelID?, address: String?,
        from: ConnectivityState, to: ConnectivityState, reason: String
    ) {
        self.time = time
        self.target = target
        self.scope = scope
        self.subchannel = subchannel
        self.address = address
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Where the pool sends every transition, in order per channel. `record` is called on shard
/// loops and must never block (the history writer only appends to a queue).
public protocol TransitionSink: Sendable {
    func record(_ transition: TransitionRecord)
}

/// Keeps records in memory: for tests, and when no history is configured.
public final class MemoryTransitionSink: TransitionSink {
    private let records = Mutex<[TransitionRecord]>([])
    public init() {}
    public func record(_ transition: TransitionRecord) { records.withLock { $0.append(transition) } }
    public var all: [TransitionRecord] { records.withLock { $0 } }
}

import Synchronization
