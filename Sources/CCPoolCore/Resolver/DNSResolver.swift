import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Looks a host up and answers on `eventLoop`. Injected so tests control answers and timing.
public typealias DNSLookup = @Sendable (_ host: String, _ port: Int, _ eventLoop: any EventLoop) -> EventLoopFuture<[Address]>

/// `dns:///host[:port]` (default port 443).
///
/// Resolves at start, and again when asked (``NameResolver/resolveNow()``) but at most once per
/// ``minimumInterval`` (30 s); a failed lookup is retried after the §2.8 backoff, and requests
/// during that backoff wait for it.
public struct DNSResolverBuilder: ResolverBuilder {
    public var minimumInterval: TimeAmount
    public var lookup: DNSLookup

    public init(minimumInterval: TimeAmount = .seconds(30), lookup: DNSLookup? = nil) {
        self.minimumInterval = minimumInterval
        self.lookup = lookup ?? SystemDNS.lookup
    }

    public var scheme: String { "dns" }

    public func validate(_ target: Target) throws(TargetError) {
        _ = try hostPort(of: target)
    }

    public func build(target: Target, context: ResolverContext) -> any NameResolver {
        // validate() accepted the target; the fallback keeps build() total.
        let (host, port) = (try? hostPort(of: target)) ?? ("", 443)
        return DNSResolver(
            host: host, port: port, context: context, minimumInterval: minimumInterval, lookup: lookup)
    }

    private func hostPort(of target: Target) throws(TargetError) -> (String, Int) {
        if let authority = target.authority, !authority.isEmpty {
            throw TargetError(
                target: target.original,
                message: "custom DNS authorities (\"\(authority)\") are not supported; write dns:///host:port")
        }
        if target.endpoint.isEmpty {
            throw TargetError(target: target.original, message: "dns target has an empty host")
        }
        do {
            return try HostPort.parse(target.endpoint, defaultPort: 443)
        } catch {
            throw TargetError(target: target.original, message: error.message)
        }
    }
}

/// The DNS resolver's loop-confined state.
final class DNSResolver: NameResolver {
    private let host: String
    private let port: Int
    private let eventLoop: any EventLoop
    private let backoff: BackoffConfiguration
    private let minimumInterval: TimeAmount
    private let lookup: DNSLookup

    private var listener: (any ResolverListener)?
    private var lookupInFlight = false
    private var lastSuccess: NIODeadline?
    private var failures = 0
    /// A resolution scheduled for later: the end of a failure backoff, or of the 30 s interval.
    private var scheduled: Scheduled<Void>?
    private var random = SystemRandomSource()

    init(host: String, port: Int, context: ResolverContext, minimumInterval: TimeAmount, lookup: @escaping DNSLookup) {
        self.host = host
        self.port = port
        self.eventLoop = context.eventLoop
        self.backoff = context.backoff
        self.minimumInterval = minimumInterval
        self.lookup = lookup
    }

    func start(listener: any ResolverListener) {
        eventLoop.preconditionInEventLoop()
        self.listener = listener
        resolve()
    }

    func resolveNow() {
        eventLoop.preconditionInEventLoop()
        guard listener != nil, !lookupInFlight, scheduled == nil else { return }
        if let lastSuccess, eventLoop.now < lastSuccess + minimumInterval {
            schedule(at: lastSuccess + minimumInterval)
        } else {
            resolve()
        }
    }

    func close() {
        eventLoop.preconditionInEventLoop()
        listener = nil
        scheduled?.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline) {
        scheduled = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.scheduled = nil
            self.resolve()
        }
    }

    private func resolve() {
        guard listener != nil else { return }
        lookupInFlight = true
        lookup(host, port, eventLoop).hop(to: eventLoop).assumeIsolated().whenComplete { result in
            self.lookupInFlight = false
            guard let listener = self.listener else { return }
            switch result {
            case .success(let addresses) where !addresses.isEmpty:
                self.failures = 0
                self.lastSuccess = self.eventLoop.now
                listener.resolverDidResolve(ResolverResult(addresses: addresses))
            case .success:
                self.failed(ResolverError("DNS resolution of \(self.host) returned no addresses"), listener)
            case .failure(let error):
                self.failed(ResolverError("DNS resolution of \(self.host) failed: \(error)"), listener)
            }
        }
    }

    private func failed(_ error: ResolverError, _ listener: any ResolverListener) {
        let delay = backoff.delay(afterFailures: failures, random: &random)
        failures += 1
        schedule(at: eventLoop.now + delay)
        listener.resolverDidFail(error)
    }
}

/// Blocking `getaddrinfo`, run on NIO's shared thread pool.
public enum SystemDNS {
    public static let lookup: DNSLookup = { host, port, eventLoop in
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            try addresses(host: host, port: port)
        }
    }

    /// All TCP addresses of `host`, in the resolver's order, without duplicates.
    static func addresses(host: String, port: Int) throws -> [Address] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ResolverError(String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(first) }
        var result: [Address] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let text = numericHost(info.pointee.ai_addr, info.pointee.ai_addrlen) {
                let address = Address.hostPort(host: text, port: port)
                if !result.contains(address) { result.append(address) }
            }
            cursor = info.pointee.ai_next
        }
        return result
    }

    private static func numericHost(_ sa: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> String? {
        guard let sa else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let rc = getnameinfo(sa, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        guard rc == 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
