import CCPoolCore
import NIOCore
import NIOPosix
import Synchronization

/// Starts a resolver on a real loop and returns its first answer.
enum ResolverProbe {
    static func resolveOnce(
        _ text: String, registry: ResolverRegistry = .standard
    ) async throws -> Result<ResolverResult, ResolverError> {
        let target = try registry.parse(text)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Result<ResolverResult, ResolverError>.self)
        try await loop.submit {
            let resolver = try registry.makeResolver(for: target, context: ResolverContext(eventLoop: loop))
            let listener = OneShotListener(promise: promise, resolver: resolver)
            resolver.start(listener: listener)
        }.get()
        return try await promise.futureResult.get()
    }
}

/// Completes a promise with the first result, then closes the resolver. Loop-confined.
private final class OneShotListener: ResolverListener {
    let promise: EventLoopPromise<Result<ResolverResult, ResolverError>>
    var resolver: (any NameResolver)?

    init(promise: EventLoopPromise<Result<ResolverResult, ResolverError>>, resolver: any NameResolver) {
        self.promise = promise
        self.resolver = resolver
    }

    func resolverDidResolve(_ result: ResolverResult) { finish(.success(result)) }
    func resolverDidFail(_ error: ResolverError) { finish(.failure(error)) }

    private func finish(_ result: Result<ResolverResult, ResolverError>) {
        resolver?.close()
        resolver = nil
        promise.succeed(result)
    }
}
