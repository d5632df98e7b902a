@testable import CCPoolCore
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Vocabulary

/// Records a channel's events and lets a test wait for conditions on them (bounded, no sleeps).
final class ChannelRecorder: ClientConnObserver, Sendable {
    private let events = Mutex<[ClientConnEvent]>([])
    private let waiters = Mutex<[UUID: (@Sendable ([ClientConnEvent]) -> Bool, CheckedContinuation<Void, Never>)]>([:])

    func clientConn(_ clientConn: ClientConn, didEmit event: ClientConnEvent) {
        let snapshot = events.withLock { $0.append(event); return $0 }
        // Predicates run outside every lock: they may read the recorder themselves.
        let candidates = waiters.withLock { $0 }
        for (id, waiter) in candidates where waiter.0(snapshot) {
            resume(id)
        }
    }

    /// Resumes a waiter once: whoever removes it resumes it.
    private func resume(_ id: UUID) {
        let waiter = waiters.withLock { $0.removeValue(forKey: id) }
        waiter?.1.resume()
    }

    var all: [ClientConnEvent] { events.withLock { $0 } }

    var channelTransitions: [ChannelTransition] {
        all.compactMap { if case .channelTransition(let t) = $0 { return t } else { return nil } }
    }

    /// Channel moves as "FROM→TO".
    var channelMoves: [String] { channelTransitions.map { "\($0.from)→\($0.to)" } }

    var subchannelTransitions: [SubchannelTransition] {
        all.compactMap {
            if case .subchannel(_, .transition(let t)) = $0 { return t } else { return nil }
        }
    }

    func moves(of id: SubchannelID) -> [String] {
        subchannelTransitions.filter { $0.subchannel == id }.map { "\($0.from)→\($0.to)" }
    }

    var created: [(SubchannelID, [Address])] {
        all.compactMap { if case .subchannelCreated(let id, let a) = $0 { return (id, a) } else { return nil } }
    }

    var channelState: ConnectivityState { channelTransitions.last?.to ?? .idle }

    func wait(
        timeout: Duration = .seconds(10), _ what: String = "condition",
        until predicate: @escaping @Sendable ([ClientConnEvent]) -> Bool
    ) async throws {
        let id = UUID()
        let flag = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.waiters.withLock { $0[id] = (predicate, continuation) }
                    if flag.value.load(ordering: .relaxed) || predicate(self.all) { self.resume(id) }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                flag.value.store(true, ordering: .relaxed)
                self.resume(id)
                throw ChannelWaitTimeout(what: what, moves: self.channelMoves)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    func waitForChannel(_ state: ConnectivityState, timeout: Duration = .seconds(10)) async throws {
        try await wait(timeout: timeout, "channel \(state)") { events in
            events.last(where: { if case .channelTransition = $0 { return true } else { return false } })
                .map { if case .channelTransition(let t) = $0 { return t.to == state } else { return false } } ?? false
        }
    }

    private final class Flag: Sendable { let value = Atomic<Bool>(false) }
}

struct ChannelWaitTimeout: Error, CustomStringConvertible {
    var what: String
    var moves: [String]
    var description: String { "timed out waiting for \(what); channel moves so far: \(moves)" }
}

/// One ClientConn on a real loop, behind a manual resolver the test controls.
struct ChannelHarness: Sendable {
    let loop: any EventLoop
    let recorder: ChannelRecorder
    let resolver: ManualResolverBuilder
    private let channel: NIOLoopBound<ClientConn>

    static func make(
        addresses: [Address],
        serviceConfig: String? = nil,
        balancers: BalancerRegistry = .standard,
        backoff: BackoffConfiguration = SubchannelHarness.quickBackoff,
        idle: IdleMode = .connected,
        deliverInitialAddresses: Bool = true
    ) async throws -> ChannelHarness {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let scheme = "test\(UInt32.random(in: 0...UInt32.max))"
        let resolver = ManualResolverBuilder(
            scheme: scheme, initial: deliverInitialAddresses ? ResolverResult(addresses: addresses) : nil)
        var resolvers = ResolverRegistry.standard
        resolvers.register(resolver)
        let config = try serviceConfig.map { try ServiceConfig.parse($0, registry: balancers) } ?? .default
        let options = ChannelOptions(
            serviceConfig: config, backoff: backoff, idle: idle, resolvers: resolvers, balancers: balancers)
        let target = try resolvers.parse("\(scheme):///test")
        let recorder = ChannelRecorder()
        let channel = try await loop.submit {
            let channel = ClientConn(target: target, options: options, eventLoop: loop, observer: recorder)
            try channel.start()
            return NIOLoopBound(channel, eventLoop: loop)
        }.get()
        return ChannelHarness(loop: loop, recorder: recorder, resolver: resolver, channel: channel)
    }

    func update(_ addresses: [Address]) {
        resolver.update(ResolverResult(addresses: addresses))
    }

    func pick(waitForReady: Bool = false, timeout: TimeAmount = .seconds(5)) async throws -> PickedSubConn {
        let picks = try await loop.submit { channel.value.picks }.get()
        return try await picks.pick(waitForReady: waitForReady, timeout: timeout).get()
    }

    /// Runs `body` on the channel's loop.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (ClientConn) throws -> T) async throws -> T {
        try await loop.submit { try body(channel.value) }.get()
    }

    var state: ConnectivityState {
        get async throws { try await onLoop { $0.state } }
    }

    func shutdown() async throws {
        try await onLoop { $0.shutdown() }
    }
}
