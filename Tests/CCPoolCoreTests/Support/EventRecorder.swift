import CCPoolCore
import Foundation
import Synchronization

/// A subchannel observer that keeps every event (in a ``Recorder``) and lets a test wait for a
/// condition on them, with a bounded timeout instead of fixed sleeps.
final class EventRecorder: SubchannelObserver, Sendable {
    private let recorder = Recorder<SubchannelEvent>()

    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent) {
        recorder.record(event)
    }

    var events: [SubchannelEvent] { recorder.events }

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
        try await recorder.wait(timeout: timeout, "subchannel events", until: predicate)
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

