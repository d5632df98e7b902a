import Foundation
import Vocabulary

/// One connectivity-state transition of a channel or subchannel, as the writer receives it.
///
/// A plain value with no tie to the pool's types, so any producer (shards, tests, the CLI) can build one.
/// `time` is microseconds since the Unix epoch (UTC), which is also how it is stored.
public struct HistoryEvent: Sendable, Hashable {
    /// Microseconds since the Unix epoch.
    public var time: Int64
    public var target: String
    public var scope: TransitionScope
    /// The subchannel's id (unique for the process's life); nil for channel events.
    public var subchannel: Int64?
    /// The subchannel's address (`host:port` or a unix path), when known.
    public var address: String?
    public var from: ConnectivityState
    public var to: ConnectivityState
    /// A short human text: "connection refused", "GOAWAY", "resolver update", ...
    public var reason: String

    public init(time: Int64, target: String, scope: TransitionScope, subchannel: Int64? = nil, address: String? = nil,
                from: ConnectivityState, to: ConnectivityState, reason: String = "") {
        self.time = time
        self.target = target
        self.scope = scope
        self.subchannel = subchannel
        self.address = address
        self.from = from
        self.to = to
        self.reason = reason
    }

    public init(date: Date, target: String, scope: TransitionScope, subchannel: Int64? = nil, address: String? = nil,
                from: ConnectivityState, to: ConnectivityState, reason: String = "") {
        self.init(time: HistoryTime.micros(date), target: target, scope: scope, subchannel: subchannel,
                  address: address, from: from, to: to, reason: reason)
    }
}

extension TransitionScope {
    private static let channelText = StaticText("channel")
    private static let subchannelText = StaticText("subchannel")
    /// The stored spelling, as static C text for `SQLITE_STATIC` binding.
    public var staticText: StaticText { self == .channel ? Self.channelText : Self.subchannelText }
    /// The stored code (`events.scope` since migration 2): 0 channel, 1 subchannel.
    public var code: Int64 { self == .channel ? 0 : 1 }
    public init?(code: Int64) {
        switch code {
        case 0: self = .channel
        case 1: self = .subchannel
        default: return nil
        }
    }
}

extension ConnectivityState {
    private static let texts = allCases.map { StaticText($0.rawValue) }
    /// The stored spelling, as static C text for `SQLITE_STATIC` binding.
    public var staticText: StaticText { Self.texts[index] }
    /// The stored code (`events.from_state` / `to_state` since migration 2): the state's ``index``
    /// (0 IDLE, 1 CONNECTING, 2 READY, 3 TRANSIENT_FAILURE, 4 SHUTDOWN).
    public var code: Int64 { Int64(index) }
    public init?(code: Int64) {
        guard code >= 0 && code < Int64(Self.allCases.count) else { return nil }
        self = Self.allCases[Int(code)]
    }
}

/// A committed event: its `id` (the row id, increasing in commit order) and the event.
public struct StoredEvent: Sendable, Hashable {
    public var id: Int64
    public var event: HistoryEvent

    public init(id: Int64, event: HistoryEvent) {
        self.id = id
        self.event = event
    }
}
