import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Closes connections whose request has been arriving for longer than a fixed deadline.
///
/// libmicrohttpd's connection timeout is an *idle* timeout: every byte restarts it, so a client that trickles
/// a byte every few seconds holds a connection (and its memory) for ever. This deadline starts when a
/// connection opens or its previous request completes, and only a complete request (handed to the router)
/// stops it; trickling does not extend it. A connection past it is shut down (`shutdown(2)`; MHD then sees the
/// socket end and closes it), which also ends keep-alive connections idle for that long.
///
/// One watchdog thread checks the table four times a second. **Owns** the table, guarded by a `Mutex`; the
/// socket is shut down while that lock is held, and MHD reports a connection closed (removing its entry under
/// the same lock) before it closes the socket, so a descriptor number reused by a newer connection is never
/// shut down by mistake.
final class RequestDeadlines: Sendable {
    private struct Entry {
        var socket: Int32
        /// Monotonic nanoseconds since which the current request has been arriving; nil while it is handled.
        var arrivingSince: UInt64?
    }

    private let limitNanos: UInt64
    private let entries = Mutex<[UInt: Entry]>([:])
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)
    /// Connections closed because their request took too long to arrive.
    let closedConnections = Atomic<Int>(0)

    init(seconds: Int) {
        limitNanos = UInt64(seconds) * 1_000_000_000
    }

    /// Starts the watchdog thread.
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { context in
            let watchdog = Unmanaged<RequestDeadlines>.fromOpaque(context!).takeRetainedValue()
            watchdog.run()
            return nil
        }, context)
        if result == 0 {
            thread.withLock { $0 = handle }
        } else {
            Unmanaged<RequestDeadlines>.fromOpaque(context).release()
        }
    }

    /// Stops and joins the watchdog thread. Idempotent.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        if let handle = thread.withLock({ state -> pthread_t? in defer { state = nil }; return state }) {
            pthread_join(handle, nil)
        }
    }

    func opened(_ connection: OpaquePointer) {
        let socket = ccpool_mhd_connection_fd(connection)
        guard socket >= 0 else { return }
        let now = Self.now()
        entries.withLock { $0[key(connection)] = Entry(socket: socket, arrivingSince: now) }
    }

    /// The whole request is in: the deadline stops while it is handled and answered.
    func handling(_ connection: OpaquePointer) {
        entries.withLock { $0[key(connection)]?.arrivingSince = nil }
    }

    /// The request is answered: the next one (or keep-alive idleness) starts a new deadline.
    func completed(_ connection: OpaquePointer) {
        let now = Self.now()
        entries.withLock { $0[key(connection)]?.arrivingSince = now }
    }

    func closed(_ connection: OpaquePointer) {
        _ = entries.withLock { $0.removeValue(forKey: key(connection)) }
    }

    private func key(_ connection: OpaquePointer) -> UInt { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))) }

    private func run() {
        while !stopping.load(ordering: .relaxed) {
            var pause = timespec(tv_sec: 0, tv_nsec: 250_000_000)
            nanosleep(&pause, nil)
            sweep(now: Self.now())
        }
    }

    /// Shuts down every connection whose request started arriving more than the limit before `now`.
    func sweep(now: UInt64) {
        entries.withLock { entries in
            for (key, entry) in entries {
                guard let since = entry.arrivingSince, now > since, now - since > limitNanos else { continue }
                _ = shutdown(entry.socket, Int32(SHUT_RDWR))
                entries[key]?.arrivingSince = nil
                closedConnections.add(1, ordering: .relaxed)
            }
        }
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
