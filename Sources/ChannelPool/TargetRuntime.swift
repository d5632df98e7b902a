import CCPoolCore
import Foundation
import Logging
import NIOCore

/// One target running on its shard: its ClientConn, and the observer that turns every channel
/// event into a history record, stats and a pool version bump. Loop-confined, except ``stats``
/// and ``picks``.
final class TargetRuntime: ClientConnObserver {
    private(set) var definition: PoolTarget
    let stats: TargetStats
    private(set) var channel: ClientConn!
    private let eventLoop: any EventLoop
    private let sink: any TransitionSink
    private let onChange: @Sendable () -> Void
    private let wallClock: @Sendable () -> Date

    init(
        definition: PoolTarget, eventLoop: any EventLoop, sink: any TransitionSink,
        wallClock: @escaping @Sendable () -> Date, onChange: @escaping @Sendable () -> Void, logger: Logger
    ) {
        self.definition = definition
        self.eventLoop = eventLoop
        self.sink = sink
        self.onChange = onChange
        self.wallClock = wallClock
        self.stats = TargetStats(lbPolicy: definition.lbPolicy, now: wallClock())
        self.channel = ClientConn(
            target: definition.target, options: definition.options, eventLoop: eventLoop, observer: self,
            wallClock: wallClock, logger: logger)
    }

    var picks: PickerState { channel.picks }

    func start() throws(TargetError) {
        try channel.start()
    }

    /// Applies a changed definition: only what changed is rebuilt (see ``ClientConn/updateOptions(_:)``).
    func update(_ new: PoolTarget) throws(TargetError) {
        try channel.updateTarget(new.target)
        channel.updateOptions(new.options)
        definition = new
        stats.update { $0.lbPolicy = new.lbPolicy }
        onChange()
    }

    func shutdown(reason: String) {
        channel.shutdown(reason: reason)
    }

    // MARK: ClientConnObserver

    func clientConn(_ clientConn: ClientConn, didEmit event: ClientConnEvent) {
        let name = definition.name
        switch event {
        case .channelTransition(let t):
            sink.record(TransitionRecord(
                time: t.time, target: name, scope: .channel, subchannel: nil, address: nil, from: t.from, to: t.to,
                reason: t.reason))
            stats.update { values in
                values.state = t.to
                values.since = t.time
                values.channelTransitions[t.to] += 1
                values.recordedTransitions += 1
            }
        case .subchannelCreated(let id, let addresses):
            stats.update { values in
                values.subchannels[id] = TargetStats.Subchannel(
                    id: id, addresses: addresses, connectedAddress: nil, state: .idle, since: wallClock(),
                    health: clientConn.options.serviceConfig.healthCheckServiceName == nil ? .disabled : .unknown,
                    lastReason: nil)
                for address in addresses { values.addressSeries[address.description, default: .init()].current = id }
            }
        case .subchannel(let id, let subchannelEvent):
            record(subchannelEvent, id: id, target: name, live: clientConn.subchannel(id))
        case .resolverUpdate:
            stats.update { $0.resolverUpdates += 1 }
        case .resolverError:
            stats.update { $0.resolverErrors += 1 }
        case .balancerChanged(let name):
            stats.update { $0.lbPolicy = name }
        }
        onChange()
    }

    private func record(_ event: SubchannelEvent, id: SubchannelID, target: String, live: CCPoolCore.Subchannel?) {
        switch event {
        case .transition(let t):
            // The address the transition concerns; for a one-address subchannel, always that one.
            let known = live?.addresses ?? stats.update { $0.subchannels[id]?.addresses } ?? []
            let address = (t.address ?? (known.count == 1 ? known[0] : nil))?.description
            sink.record(TransitionRecord(
                time: t.time, target: target, scope: .subchannel, subchannel: id, address: address,
                from: t.from, to: t.to, reason: t.reason))
            stats.update { values in
                values.recordedTransitions += 1
                if var sub = values.subchannels[id] {
                    sub.state = t.to
                    sub.since = t.time
                    sub.lastReason = t.reason
                    sub.connectedAddress = t.to == .shutdown ? nil : live?.connectedAddress
                    values.subchannels[id] = sub
                }
                if let address {
                    values.addressSeries[address, default: .init()].transitions[t.to] += 1
                    values.addressSeries[address, default: .init()].lastTransition = t.time
                }
                if let reason = t.disconnectReason { values.disconnections[reason, default: 0] += 1 }
                if t.to == .shutdown {
                    for (key, series) in values.addressSeries where series.current == id {
                        values.addressSeries[key]?.current = nil
                    }
                    values.subchannels[id] = nil
                }
            }
        case .connectionAttemptSucceeded(_, let duration):
            let seconds = Double(duration.nanoseconds) / 1e9
            stats.update { values in
                values.attemptsSucceeded += 1
                let bucket = TargetStats.connectBounds.firstIndex { seconds <= $0 } ?? TargetStats.connectBounds.count
                values.connectBuckets[bucket] += 1
                values.connectSum += seconds
            }
        case .connectionAttemptFailed:
            stats.update { $0.attemptsFailed += 1 }
        case .healthChanged(let status):
            let connected = live?.connectedAddress
            stats.update {
                $0.subchannels[id]?.health = status
                $0.subchannels[id]?.connectedAddress = connected
            }
        case .addressesUpdated(let addresses):
            stats.update { values in
                values.subchannels[id]?.addresses = addresses
                for (key, series) in values.addressSeries where series.current == id {
                    values.addressSeries[key]?.current = nil
                }
                for address in addresses { values.addressSeries[address.description, default: .init()].current = id }
            }
        case .reresolutionRequested, .keepaliveThrottled:
            break
        }
    }
}
