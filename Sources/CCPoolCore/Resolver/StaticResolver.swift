import NIOCore

/// A resolver whose answer is fixed by the target text (passthrough, ipv4, ipv6, unix).
///
/// It reports its addresses once, in the loop tick after ``start(listener:)``; ``resolveNow()``
/// has nothing new to say.
final class StaticResolver: NameResolver {
    private let addresses: [Address]
    private let eventLoop: any EventLoop
    private var listener: (any ResolverListener)?

    init(addresses: [Address], eventLoop: any EventLoop) {
        self.addresses = addresses
        self.eventLoop = eventLoop
    }

    func start(listener: any ResolverListener) {
        eventLoop.preconditionInEventLoop()
        self.listener = listener
        eventLoop.assumeIsolated().execute {
            self.listener?.resolverDidResolve(ResolverResult(addresses: self.addresses))
        }
    }

    func resolveNow() {}

    func close() {
        eventLoop.preconditionInEventLoop()
        listener = nil
    }
}

/// `passthrough:///address`: one address, handed to the dialler as written.
public struct PassthroughResolverBuilder: ResolverBuilder {
    public init() {}
    public var scheme: String { "passthrough" }

    public func validate(_ target: Target) throws(TargetError) {
        _ = try address(of: target)
    }

    public func build(target: Target, context: ResolverContext) -> any NameResolver {
        // validate() has accepted the target, so this cannot fail.
        let addresses = (try? address(of: target)).map { [$0] } ?? []
        return StaticResolver(addresses: addresses, eventLoop: context.eventLoop)
    }

    private func address(of target: Target) throws(TargetError) -> Address {
        if target.endpoint.isEmpty {
            throw TargetError(target: target.original, message: "passthrough target has an empty endpoint")
        }
        do {
            let (host, port) = try HostPort.parse(target.endpoint, defaultPort: 443)
            return .hostPort(host: host, port: port)
        } catch {
            throw TargetError(target: target.original, message: error.message)
        }
    }
}

/// `ipv4:a.b.c.d:port,...` and `ipv6:[addr]:port,...`: literal addresses, each with its port.
public struct IPResolverBuilder: ResolverBuilder {
    public enum Family: Sendable { case v4, v6 }
    public let family: Family

    public init(family: Family) {
        self.family = family
    }

    public var scheme: String { family == .v4 ? "ipv4" : "ipv6" }

    public func validate(_ target: Target) throws(TargetError) {
        _ = try addresses(of: target)
    }

    public func build(target: Target, context: ResolverContext) -> any NameResolver {
        StaticResolver(addresses: (try? addresses(of: target)) ?? [], eventLoop: context.eventLoop)
    }

    func addresses(of target: Target) throws(TargetError) -> [Address] {
        if let authority = target.authority, !authority.isEmpty {
            throw TargetError(target: target.original, message: "\(scheme) targets take no authority")
        }
        // Both "ipv4:1.2.3.4:80" and "ipv4:///1.2.3.4:80" are accepted.
        if target.endpoint.isEmpty {
            throw TargetError(target: target.original, message: "\(scheme) target lists no address")
        }
        var result: [Address] = []
        for part in target.endpoint.split(separator: ",", omittingEmptySubsequences: false) {
            let host: String
            let port: Int
            do {
                (host, port) = try HostPort.parse(String(part), defaultPort: nil)
            } catch {
                throw TargetError(target: target.original, message: error.message)
            }
            switch family {
            case .v4 where !IPAddressText.isIPv4(host):
                throw TargetError(target: target.original, message: "\"\(host)\" is not an IPv4 address")
            case .v6 where !IPAddressText.isIPv6(host):
                throw TargetError(target: target.original, message: "\"\(part)\" is not a bracketed IPv6 address with a port")
            default:
                result.append(.hostPort(host: host, port: port))
            }
        }
        return result
    }
}

/// `unix:///absolute/path` and `unix:path`. No authority is allowed.
public struct UnixResolverBuilder: ResolverBuilder {
    public init() {}
    public var scheme: String { "unix" }

    public func validate(_ target: Target) throws(TargetError) {
        _ = try path(of: target)
    }

    public func build(target: Target, context: ResolverContext) -> any NameResolver {
        let addresses = (try? path(of: target)).map { [Address.unix(path: $0)] } ?? []
        return StaticResolver(addresses: addresses, eventLoop: context.eventLoop)
    }

    private func path(of target: Target) throws(TargetError) -> String {
        let path: String
        if let authority = target.authority {
            if !authority.isEmpty {
                throw TargetError(
                    target: target.original,
                    message: "unix targets take no authority (\"\(authority)\"); write unix:///absolute/path or unix:path")
            }
            path = "/" + target.endpoint
        } else {
            path = target.endpoint
        }
        if path.isEmpty || path == "/" {
            throw TargetError(target: target.original, message: "unix target has an empty socket path")
        }
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
        if path.utf8.count > 107 {
            throw TargetError(target: target.original, message: "unix socket path is longer than 107 bytes")
        }
        return path
    }
}
