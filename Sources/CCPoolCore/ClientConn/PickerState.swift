import NIOCore
import Synchronization

/// The channel's current picker, readable from any thread, and picks with wait-for-ready and a
/// deadline (docs/connection.md, "Picks").
///
/// Each published picker is a new *generation*; a waiting pick asks each generation at most
/// once. Picks never touch the loop-confined channel: they read an immutable picker under a
/// short lock, and waiting is a promise completed when the next generation arrives.
public final class PickerState: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var picker: any Picker = ConstantPicker(.noSubConnAvailable)
        var lastError: String?
        var waiters: [PickWaiter] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop
    private let requestExitIdle: @Sendable () -> Void

    init(eventLoop: any EventLoop, requestExitIdle: @escaping @Sendable () -> Void) {
        self.eventLoop = eventLoop
        self.requestExitIdle = requestExitIdle
    }

    /// Installs a new picker; `error` (when given) becomes the latest error picks report.
    func publish(_ picker: any Picker, error: String?) {
        let waiters = state.withLock { state in
            state.generation += 1
            state.picker = picker
            if let error { state.lastError = error }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.complete(.success(())) }
    }

    /// Fails every pick from now on.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.complete(.failure(PickError(.unavailable, "channel shut down"))) }
    }

    /// The latest error a picker or balancer reported.
    public var lastError: String? { state.withLock { $0.lastError } }

    /// Picks waiting for the next picker.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Picks a subchannel.
    ///
    /// - Parameters:
    ///   - waitForReady: when nothing can be picked, wait for the next picker instead of failing
    ///     fast with UNAVAILABLE.
    ///   - timeout: past it the pick fails with DEADLINE_EXCEEDED and the latest error.
    public func pick(waitForReady: Bool, timeout: TimeAmount) -> EventLoopFuture<PickedSubConn> {
        let deadline = NIODeadline.now() + timeout
        return attempt(after: nil, waitForReady: waitForReady, connecting: false, deadline: deadline)
    }

    /// - Parameter connecting: this pick woke an idle channel, so it waits through the
    ///   CONNECTING that follows (gRPC's connect-on-first-pick) even without wait-for-ready.
    private func attempt(
        after seen: UInt64?, waitForReady: Bool, connecting: Bool, deadline: NIODeadline
    ) -> EventLoopFuture<PickedSubConn> {
        let (generation, picker, lastError, closed) = state.withLock {
            ($0.generation, $0.picker, $0.lastError, $0.closed)
        }
        if closed { return eventLoop.makeFailedFuture(PickError(.unavailable, "channel shut down")) }
        if generation == seen {
            return wait(after: generation, waitForReady: waitForReady, connecting: connecting, deadline: deadline)
        }
        switch picker.pick() {
        case .pick(let slot):
            return eventLoop.makeSucceededFuture(picker.subConn(at: slot))
        case .idle:
            requestExitIdle()
            return wait(after: generation, waitForReady: waitForReady, connecting: true, deadline: deadline)
        case .noSubConnAvailable:
            guard waitForReady || connecting else {
                return eventLoop.makeFailedFuture(PickError(.unavailable, lastError ?? "no subchannel is ready"))
            }
            return wait(after: generation, waitForReady: waitForReady, connecting: connecting, deadline: deadline)
        case .transientFailure(let reason):
            guard waitForReady else { return eventLoop.makeFailedFuture(PickError(.unavailable, reason)) }
            return wait(after: generation, waitForReady: waitForReady, connecting: connecting, deadline: deadline)
        }
    }

    /// Waits for a generation newer than `generation`, or the deadline.
    private func wait(
        after generation: UInt64, waitForReady: Bool, connecting: Bool, deadline: NIODeadline
    ) -> EventLoopFuture<PickedSubConn> {
        let waiter = PickWaiter(promise: eventLoop.makePromise())
        let registered = state.withLock { state -> Bool in
            guard state.generation == generation, !state.closed else { return false }
            state.waiters.append(waiter)
            return true
        }
        if !registered {
            // A newer picker (or close) arrived in between: look again now. The unused waiter's promise is
            // completed, never dropped (NIO traps on a leaked promise in debug builds).
            waiter.complete(.success(()))
            return attempt(after: generation, waitForReady: waitForReady, connecting: connecting, deadline: deadline)
        }
        let timeout = eventLoop.scheduleTask(deadline: deadline) {
            // A waiter whose deadline passed leaves the queue now, not at the next picker: on a
            // stuck channel they would pile up.
            let reason = self.state.withLock { state -> String? in
                state.waiters.removeAll { $0 === waiter }
                return state.lastError
            }
            waiter.complete(.failure(PickError(.deadlineExceeded, reason ?? "deadline exceeded while waiting for a subchannel")))
        }
        return waiter.promise.futureResult.flatMap { _ in
            timeout.cancel()
            return self.attempt(after: generation, waitForReady: waitForReady, connecting: connecting, deadline: deadline)
        }
    }
}

/// A promise completed once, whichever of "new picker" and "deadline" comes first.
private final class PickWaiter: Sendable {
    let promise: EventLoopPromise<Void>
    private let done = Atomic<Bool>(false)

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func complete(_ result: Result<Void, any Error>) {
        guard done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        promise.completeWith(result)
    }
}

/// Why a pick failed, with gRPC's status code names.
public struct PickError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case unavailable = "UNAVAILABLE"
        case deadlineExceeded = "DEADLINE_EXCEEDED"
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
