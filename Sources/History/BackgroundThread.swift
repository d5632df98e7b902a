import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One thread of lower CPU priority (nice +10) that runs one job at a time for a caller who waits.
///
/// A history scan is CPU work; run on an HTTP thread at normal priority, two of them take both cores of a small
/// machine and every other thread — the one answering a liveness probe included — waits its turn in the
/// scheduler. Run here, the kernel lets normal-priority threads go first (about ten times the share), and the
/// waiting HTTP thread sleeps. On Linux the nice value is per thread, so only this thread is lowered; it is set
/// once and never raised again (raising needs a privilege the service does not have).
///
/// `@unchecked Sendable`: `job`, `finished` and `stopping` are read and written only while holding `condition`.
final class BackgroundThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var job: (() -> Void)?
    private var finished = false
    private var stopping = false

    init(nice: Int32 = 10) {
        let thread = Thread { [self] in
            #if canImport(Glibc)
            // PRIO_PROCESS with 0 is the calling thread on Linux.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
            #endif
            loop()
        }
        thread.name = "ccpool-history"
        thread.start()
    }

    /// Ends the thread after the job in progress, if any.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while true {
            while job == nil && !stopping { condition.wait() }
            guard let work = job else { break }
            condition.unlock()
            work()
            condition.lock()
            job = nil
            finished = true
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Runs `body` on the thread and returns its result; the caller blocks meanwhile. One caller at a time
    /// (the reader pool lends each thread to one caller).
    func run<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        var result: Result<T, SQLiteError>?
        withoutActuallyEscaping(body) { body in
            let work = {
                do {
                    result = .success(try body())
                } catch let error as SQLiteError {
                    result = .failure(error)
                } catch {
                    // Not reached: `body` throws only SQLiteError (withoutActuallyEscaping drops the type).
                    result = .failure(SQLiteError(code: 1, message: "\(error)"))
                }
            }
            condition.lock()
            finished = false
            job = work
            condition.broadcast()
            while !finished { condition.wait() }
            condition.unlock()
        }
        return try result!.get()
    }
}
