import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A fixed number of worker threads, at lower CPU priority, for the handlers of expensive routes.
///
/// An MHD thread serves many connections from one event loop: a handler that runs for a second there (a history
/// scan) stalls every other connection of that thread, a probe's included. Expensive routes therefore run here:
/// the MHD thread suspends the connection, hands the job over and goes back to its loop; the worker answers and
/// resumes the connection. When every worker is busy the job is refused at once (the caller answers 503
/// `overloaded`): nothing queues. The workers run at nice +10 (on Linux the nice value is per thread, set once,
/// never raised again), so their CPU work gives way to the threads answering probes and scrapes.
///
/// `@unchecked Sendable`: `queue`, `idle` and `stopping` are only used while holding `condition`.
final class OffloadWorkers: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var idle = 0
    private var stopping = false
    private var running = 0
    let count: Int
    /// Jobs accepted and not yet finished (the server waits for 0 before stopping MHD).
    let inFlight = Atomic<Int>(0)

    init(count: Int, nice: Int32 = 10) {
        self.count = count
        for index in 0..<count {
            let thread = Thread { [self] in
                #if canImport(Glibc)
                // PRIO_PROCESS with 0 is the calling thread on Linux.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
                #endif
                work()
            }
            thread.name = "ccpool-offload-\(index)"
            condition.lock()
            running += 1
            condition.unlock()
            thread.start()
        }
        // Ready when every worker waits for work (a job submitted before would be refused).
        condition.lock()
        while idle < count { condition.wait() }
        condition.unlock()
    }

    /// Hands `job` to an idle worker; false (and `job` dropped) when none is idle.
    func trySubmit(_ job: @escaping () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, idle > queue.count else { return false }
        inFlight.add(1, ordering: .relaxed)
        queue.append(job)
        condition.signal()
        return true
    }

    /// Lets the workers end once the queue is empty.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            idle += 1
            condition.broadcast()
            while queue.isEmpty && !stopping { condition.wait() }
            idle -= 1
            if queue.isEmpty { break }
            let job = queue.removeFirst()
            condition.unlock()
            job()
            inFlight.subtract(1, ordering: .relaxed)
            condition.lock()
        }
        running -= 1
        condition.unlock()
    }
}
