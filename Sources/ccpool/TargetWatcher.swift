import CCPoolCore
import Logging
import NIOCore
import NIOPosix

/// Keeps one subchannel per resolved address of each watched target connected, logging every
/// transition. A stand-in for the pool until the ClientConn and balancers exist.
struct TargetWatcher: Sendable {
    private let loop: any EventLoop
    private let subchannels: NIOLoopBound<[Subchannel]>

    static func start(targets: [String], logger: Logger) async throws -> TargetWatcher {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        var subchannels: [NIOLoopBound<Subchannel>] = []
        for text in targets {
            let target = try ResolverRegistry.standard.parse(text)
            let addresses = try await resolve(target, on: loop)
            for address in addresses {
                let bound = try await loop.submit {
                    let observer = LoggingObserver(target: text, logger: logger)
                    let subchannel = Subchannel(
                        addresses: [address], eventLoop: loop, connector: HTTP2Connector(), observer: observer)
                    subchannel.connect()
                    return NIOLoopBound(subchannel, eventLoop: loop)
                }.get()
                subchannels.append(bound)
            }
        }
        let collected = subchannels
        let all = try await loop.submit { NIOLoopBound(collected.map(\.value), eventLoop: loop) }.get()
        return TargetWatcher(loop: loop, subchannels: all)
    }

    func stop() async {
        try? await loop.submit { subchannels.value.forEach { $0.shutdown() } }.get()
    }

    private static func resolve(_ target: Target, on loop: any EventLoop) async throws -> [Address] {
        let promise = loop.makePromise(of: [Address].self)
        try await loop.submit {
            let resolver = try ResolverRegistry.standard.makeResolver(for: target, context: ResolverContext(eventLoop: loop))
            resolver.start(listener: OneShot(promise: promise, resolver: resolver))
        }.get()
        return try await promise.futureResult.get()
    }
}

/// Logs transitions and reconnects a subchannel whenever it goes IDLE.
private final class LoggingObserver: SubchannelObserver {
    let target: String
    let logger: Logger

    init(target: String, logger: Logger) {
        self.target = target
        self.logger = logger
    }

    func subchannel(_ subchannel: Subchannel, didEmit event: SubchannelEvent) {
        guard case .transition(let t) = event else { return }
        logger.info(
            "subchannel \(t.from) -> \(t.to)",
            metadata: [
                "target": "\(target)", "subchannel": "\(t.subchannel)", "address": "\(t.address.map { "\($0)" } ?? "-")",
                "reason": "\(t.reason)",
            ])
        if t.to == .idle { subchannel.connect() }
    }
}

private final class OneShot: ResolverListener {
    let promise: EventLoopPromise<[Address]>
    var resolver: (any NameResolver)?
    init(promise: EventLoopPromise<[Address]>, resolver: any NameResolver) {
        self.promise = promise
        self.resolver = resolver
    }
    func resolverDidResolve(_ result: ResolverResult) {
        resolver?.close()
        resolver = nil
        promise.succeed(result.addresses)
    }
    func resolverDidFail(_ error: ResolverError) {
        resolver?.close()
        resolver = nil
        promise.fail(error)
    }
}
