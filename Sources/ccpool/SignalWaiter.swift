import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Waits for the first of some POSIX signals (until swift-service-lifecycle takes this over).
enum SignalWaiter {
    static func wait(for signals: [Int32]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "ccpool.signals")
            let once = OnceFlag()
            var sources: [any DispatchSourceSignal] = []
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.take() { continuation.resume(returning: number) }
                }
                source.resume()
                sources.append(source)
            }
            // The sources must outlive this scope: keep them until the process exits.
            SignalSources.keep(sources)
        }
    }
}

/// Stored signal sources; only touched once at start-up.
private enum SignalSources {
    nonisolated(unsafe) static var all: [any DispatchSourceSignal] = []
    static func keep(_ sources: [any DispatchSourceSignal]) { all += sources }
}

/// True exactly once. Only used on the serial signal queue.
private final class OnceFlag: @unchecked Sendable {
    private var taken = false
    func take() -> Bool {
        defer { taken = true }
        return !taken
    }
}
