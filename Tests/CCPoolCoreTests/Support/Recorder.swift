import Foundation
import Synchronization

/// Keeps every value recorded from any thread and lets an async test wait for a condition on
/// them with a bounded timeout, never a fixed sleep. ``EventRecorder`` records subchannel events in one.
final class Recorder<Event: Sendable>: Sendable {
    private struct Waiter {
        let predicate: @Sendable ([Event]) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }
    private struct State {
        var events: [Event] = []
        var waiters: [UUID: Waiter] = [:]
        /// Waits whose timeout fired before their waiter was registered.
        var expired: Set<UUID> = []
    }
    private let state = Mutex(State())

    init() {}

    func record(_ event: Event) {
        let ready: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.events.append(event)
            let events = state.events
            var ready: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.waiters where waiter.predicate(events) {
                ready.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return ready
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    var events: [Event] { state.withLock { $0.events } }

    /// Waits until `predicate` holds for the values so far; throws ``RecorderTimeout`` after `timeout`.
    func wait(
        timeout: Duration = .seconds(10),
        _ what: String = "condition",
        until predicate: @escaping @Sendable ([Event]) -> Bool
    ) async throws {
        let id = UUID()
        let met: Bool = await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done: Bool? = self.state.withLock { state in
                        if predicate(state.events) { return true }
                        if state.expired.contains(id) { return false }
                        state.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                        return nil
                    }
                    if let done { continuation.resume(returning: done) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if Task.isCancelled { return nil }  // The condition was met first.
                // Release the waiter, or mark the wait expired if it is not registered yet.
                let waiter: Waiter? = self.state.withLock { state in
                    if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                    state.expired.insert(id)
                    return nil
                }
                waiter?.continuation.resume(returning: false)
                return nil
            }
            var met = false
            while let result = await group.next() {
                if let result {
                    met = result
                    group.cancelAll()
                }
            }
            return met
        }
        state.withLock { _ = $0.expired.remove(id) }
        if !met { throw RecorderTimeout(what: what, events: "\(events)") }
    }
}

struct RecorderTimeout: Error, CustomStringConvertible {
    var what: String
    var events: String
    var description: String { "timed out waiting for \(what); recorded so far: \(events)" }
}
