#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where and how the server listens, and the limits it enforces.
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal (`127.0.0.1`, `0.0.0.0`, `::1`, `[::1]`, `::`). Names are not resolved.
    public var host: String
    /// 0 asks the kernel for a free port; `HTTPServer.port` reports it.
    public var port: UInt16
    /// MHD threads, each with its own epoll set. Default: the number of online cores (at least 2).
    public var threadCount: Int
    /// Connections served at once. MHD divides the limit evenly over its threads; a thread at its share stops
    /// accepting, so further connections wait in the kernel's accept queue (up to `listenBacklog`) until a
    /// slot frees.
    public var connectionLimit: Int
    /// Connections from one IP address at once (0: no limit).
    public var perIPConnectionLimit: Int
    /// A connection idle (or stalled mid-request) this long is closed. Every byte received restarts it.
    public var connectionTimeoutSeconds: Int
    /// A request whose line, headers and body have not all arrived this long after the connection opened
    /// (or after its previous response) is cut off, however steadily it trickles in; this also bounds how
    /// long a keep-alive connection may sit idle. 0: no such deadline.
    public var requestTimeoutSeconds: Int
    /// Worker threads for routes added with `offload: true`; requests beyond them answer 503 `overloaded`.
    /// 0: such routes run on the MHD threads like the others.
    public var offloadThreads: Int
    /// Memory per connection, which bounds the request line plus headers: MHD answers 414 for a request line
    /// and 431 for headers that do not fit.
    public var connectionMemoryLimit: Int
    /// Largest request body; larger ones get 413 `body_too_large`.
    public var maxBodyBytes: Int
    /// Pending connections in the kernel's accept queue.
    public var listenBacklog: Int

    public init(
        host: String = "127.0.0.1", port: UInt16 = 0, threadCount: Int = HTTPServerConfiguration.defaultThreadCount,
        connectionLimit: Int = 4096, perIPConnectionLimit: Int = 0, connectionTimeoutSeconds: Int = 30,
        connectionMemoryLimit: Int = 64 * 1024, maxBodyBytes: Int = 1 << 20, listenBacklog: Int = 511,
        requestTimeoutSeconds: Int = 0, offloadThreads: Int = 0
    ) {
        self.host = host
        self.port = port
        self.threadCount = threadCount
        self.connectionLimit = connectionLimit
        self.perIPConnectionLimit = perIPConnectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.connectionMemoryLimit = connectionMemoryLimit
        self.maxBodyBytes = maxBodyBytes
        self.listenBacklog = listenBacklog
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.offloadThreads = offloadThreads
    }

    /// The number of online cores, at least 2.
    public static var defaultThreadCount: Int {
        max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// Why the server did not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidAddress = "invalid_address"
        case invalidConfiguration = "invalid_configuration"
        case startFailed = "start_failed"
    }

    public var code: Code
    public var message: String

    public var description: String { "\(code.rawValue): \(message)" }
}

/// A socket address built from a numeric host and a port.
struct SocketAddress {
    var storage = sockaddr_storage()
    var isIPv6 = false

    init(host: String, port: UInt16) throws(HTTPServerError) {
        var literal = host
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) }
            }
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) }
            }
            isIPv6 = true
            return
        }
        throw HTTPServerError(code: .invalidAddress, message: "'\(host)' is not an IPv4 or IPv6 literal.")
    }
}
