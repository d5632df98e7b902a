import NIOCore

/// What a resolver found: the full list of addresses to use (always a complete snapshot, so an
/// unread update may be replaced by a newer one).
public struct ResolverResult: Hashable, Sendable {
    public var addresses: [Address]

    public init(addresses: [Address]) {
        self.addresses = addresses
    }
}

/// A resolution failure, with a message for the channel's TF reason and the API.
public struct ResolverError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Receives a resolver's results. Called on the resolver's event loop, never from inside
/// ``NameResolver/start(listener:)`` or ``NameResolver/resolveNow()`` (results are always delivered in a
/// later loop tick), so a listener may call back into the resolver freely.
public protocol ResolverListener: AnyObject {
    func resolverDidResolve(_ result: ResolverResult)
    func resolverDidFail(_ error: ResolverError)
}

/// Watches a target and reports its addresses (grpc-go's `resolver.Resolver`).
///
/// Loop-confined: every method must be called on the event loop the resolver was built for.
public protocol NameResolver: AnyObject {
    /// Starts resolving; results go to `listener`, which the resolver holds until ``close()``.
    func start(listener: any ResolverListener)
    /// A hint that the addresses may be stale (a connection failed or closed). Resolvers may
    /// rate-limit or ignore it.
    func resolveNow()
    /// Stops: no result is delivered after this returns.
    func close()
}

/// What a resolver is built with.
public struct ResolverContext: Sendable {
    /// The loop the resolver and its channel live on.
    public var eventLoop: any EventLoop
    /// Backoff for failed resolutions (docs/connection.md, "Targets and resolvers": DNS failures back off like
    /// connections).
    public var backoff: BackoffConfiguration

    public init(eventLoop: any EventLoop, backoff: BackoffConfiguration = .init()) {
        self.eventLoop = eventLoop
        self.backoff = backoff
    }
}

/// Makes resolvers for one scheme (grpc-go's `resolver.Builder`).
public protocol ResolverBuilder: Sendable {
    /// The URI scheme this builder handles, lower case.
    var scheme: String { get }
    /// Checks the target's syntax without I/O; a target that passes can be built.
    func validate(_ target: Target) throws(TargetError)
    /// Builds a resolver for a target that passed ``validate(_:)``.
    func build(target: Target, context: ResolverContext) -> any NameResolver
}
