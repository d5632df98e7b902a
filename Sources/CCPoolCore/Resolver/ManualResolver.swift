import NIOCore
import Synchronization

/// A resolver tests drive by hand (grpc-go's `manual` resolver), under a scheme of their choice.
///
/// Every resolver built from one builder shares its latest result: ``update(_:)`` and
/// ``fail(_:)`` reach all of them, on their own loops. ``resolveNowCount`` tells how often a
/// channel asked for re-resolution.
public final class ManualResolverBuilder: ResolverBuilder {
    public let scheme: String
    private struct State {
        var latest: Result<ResolverResult, ResolverError>?
        var resolvers: [ManualResolverBox] = []
        var resolveNowCount = 0
    }
    private let state: Mutex<State>

    public init(scheme: String = "manual", initial: ResolverResult? = nil) {
        self.scheme = scheme
        self.state = Mutex(State(latest: initial.map { .success($0) }))
    }

    public var resolveNowCount: Int { state.withLock { $0.resolveNowCount } }

    public func validate(_ target: Target) throws(TargetError) {}

    public func build(target: Target, context: ResolverContext) -> any NameResolver {
        let resolver = ManualResolver(eventLoop: context.eventLoop, builder: self)
        let box = ManualResolverBox(resolver: resolver, eventLoop: context.eventLoop)
        state.withLock { $0.resolvers.append(box) }
        return resolver
    }

    /// Sends `result` to every resolver built so far, and to those built later.
    public func update(_ result: ResolverResult) {
        deliver(.success(result))
    }

    /// Sends a resolution error to every resolver built so far.
    public func fail(_ error: ResolverError) {
        deliver(.failure(error))
    }

    private func deliver(_ result: Result<ResolverResult, ResolverError>) {
        let boxes = state.withLock { state in
            state.latest = result
            return state.resolvers
        }
        for box in boxes {
            box.eventLoop.execute { box.resolver.value.resolver?.deliver(result) }
        }
    }

    fileprivate var latest: Result<ResolverResult, ResolverError>? { state.withLock { $0.latest } }
    fileprivate func countResolveNow() { state.withLock { $0.resolveNowCount += 1 } }
}

/// Lets the builder reach a loop-confined resolver from any thread: `resolver` is only read on
/// `eventLoop` (through `NIOLoopBound`, which checks that).
private struct ManualResolverBox: Sendable {
    let resolver: NIOLoopBound<WeakManualResolver>
    let eventLoop: any EventLoop

    init(resolver: ManualResolver, eventLoop: any EventLoop) {
        self.resolver = NIOLoopBound(WeakManualResolver(resolver), eventLoop: eventLoop)
        self.eventLoop = eventLoop
    }
}

private final class WeakManualResolver {
    weak var resolver: ManualResolver?
    init(_ resolver: ManualResolver) { self.resolver = resolver }
}

final class ManualResolver: NameResolver {
    private let eventLoop: any EventLoop
    private let builder: ManualResolverBuilder
    private var listener: (any ResolverListener)?

    init(eventLoop: any EventLoop, builder: ManualResolverBuilder) {
        self.eventLoop = eventLoop
        self.builder = builder
    }

    func start(listener: any ResolverListener) {
        eventLoop.preconditionInEventLoop()
        self.listener = listener
        if let latest = builder.latest {
            eventLoop.assumeIsolated().execute { self.deliver(latest) }
        }
    }

    func resolveNow() {
        builder.countResolveNow()
    }

    func close() {
        listener = nil
    }

    fileprivate func deliver(_ result: Result<ResolverResult, ResolverError>) {
        guard let listener else { return }
        switch result {
        case .success(let value): listener.resolverDidResolve(value)
        case .failure(let error): listener.resolverDidFail(error)
        }
    }
}
