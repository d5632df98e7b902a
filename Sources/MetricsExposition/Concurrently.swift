import Dispatch
import Synchronization

/// `body(0)`, …, `body(count - 1)` run at the same time (the calling thread and Dispatch's workers), their
/// results in order; returns when all are done, so `body` may read what the caller keeps alive meanwhile.
/// The large renders of `/metrics` (target families, their snapshot, their gzip prefix) split their work
/// over the two cores with it.
public func concurrently<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    if count == 1 { return [body(0)] }
    let results = Mutex<[T?]>(Array(repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: count) { i in
        let result = body(i)
        results.withLock { $0[i] = result }
    }
    return results.withLock { $0.map { $0! } }
}
