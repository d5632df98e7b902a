import CCPoolCore
import Foundation
import Synchronization

/// A subchannel observer that keeps every event and lets a test wait for a condition on them,
/// with a bounded timeout instead of fixed sleeps.
final class EventRecorder: SubchannelObserver, Sendable {
    private struct Waiter {
        let predicate: @Sendable ([SubchannelEvent]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }
    private let state = Mutex<(events: [SubchannelEvent], waiters: [UUID: Waiter])>(([], [:]))

    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.events.append(event)
            let events = state.events
            var ready: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters where waiter.predicate(events) {
                ready.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    var events: [SubchannelEvent] { state.withLock { $0.events } }

    var transitions: [SubchannelTransition] {
        events.compactMap { if case .transition(let t) = $0 { return t } else { return nil } }
    }

    /// `from→to` pairs, e.g. ["IDLE→CONNECTING", "CONNECTING→READY"].
    var moves: [String] { transitions.map { "\($0.from)→\($0.to)" } }

    /// Waits until `predicate` holds for the events so far, or fails after `timeout`.
    func wait(
        timeout: Duration = .seconds(10),
        until predicate: @escaping @Sendable ([SubchannelEvent]) -> Bool
    ) async throws {
        let id = UUID()
        let timedOut = TimeoutFlag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.state.withLock { state in
                        if predicate(state.events) || timedOut.value.load(ordering: .relaxed) { return true }
                        state.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                        return false
                    }
                    if done { continuation.resume() }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                // Release the waiter (registered or not yet) so the group can finish.
                let waiter = self.state.withLock { state in
                    timedOut.value.store(true, ordering: .relaxed)
                    return state.waiters.removeValue(forKey: id)
                }
                waiter?.continuation.resume()
                throw WaitTimeout(events: self.events)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Waits until at least `count` transitions were seen.
    func waitForTransitions(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        try await wait(timeout: timeout) { events in
            events.filter { if case .transition = $0 { return true } else { return false } }.count >= count
        }
    }
}

struct WaitTimeout: Error, CustomStringConvertible {
    var events: [SubchannelEvent]
    var description: String { "timed out waiting; events so far: \(events)" }
}

private final class TimeoutFlag: Sendable {
    let value = Atomic<Bool>(false)
}
