import CCPoolCore
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@Suite("DNS resolver")
struct DNSResolverTests {
    /// A lookup the test scripts: answers from a list, counting calls.
    final class FakeDNS: Sendable {
        let answers = Mutex<[Result<[Address], ResolverError>]>([])
        let calls = Atomic<Int>(0)
        var lookup: DNSLookup {
            { _, _, loop in
                self.calls.add(1, ordering: .relaxed)
                let next = self.answers.withLock { $0.isEmpty ? .success([]) : $0.removeFirst() }
                return loop.makeCompletedFuture(next.mapError { $0 as any Error })
            }
        }
    }

    final class Collector: ResolverListener {
        var results: [Result<ResolverResult, ResolverError>] = []
        func resolverDidResolve(_ result: ResolverResult) { results.append(.success(result)) }
        func resolverDidFail(_ error: ResolverError) { results.append(.failure(error)) }
    }

    let a = Address.hostPort(host: "10.0.0.1", port: 443)

    func make(_ loop: EmbeddedEventLoop, _ dns: FakeDNS) throws -> any NameResolver {
        var registry = ResolverRegistry.standard
        registry.register(DNSResolverBuilder(lookup: dns.lookup))
        let target = try registry.parse("dns:///svc.example")
        return try registry.makeResolver(
            for: target, context: ResolverContext(eventLoop: loop, backoff: BackoffConfiguration(jitter: 0)))
    }

    @Test("re-resolution at most once per 30 s")
    func rateLimited() throws {
        let loop = EmbeddedEventLoop()
        let dns = FakeDNS()
        dns.answers.withLock { $0 = [.success([a]), .success([a]), .success([a])] }
        let resolver = try make(loop, dns)
        let collector = Collector()
        resolver.start(listener: collector)
        loop.run()
        #expect(dns.calls.load(ordering: .relaxed) == 1)
        #expect(collector.results == [.success(ResolverResult(addresses: [a]))])

        loop.advanceTime(by: .seconds(5))
        resolver.resolveNow()
        resolver.resolveNow()
        #expect(dns.calls.load(ordering: .relaxed) == 1, "deferred to 30 s after the last lookup")
        loop.advanceTime(by: .milliseconds(24_999))
        #expect(dns.calls.load(ordering: .relaxed) == 1)
        loop.advanceTime(by: .milliseconds(1))
        #expect(dns.calls.load(ordering: .relaxed) == 2)
        resolver.close()
    }

    @Test("failures are retried after the §2.8 backoff: 1 s, then 1.6 s")
    func failureBackoff() throws {
        let loop = EmbeddedEventLoop()
        let dns = FakeDNS()
        dns.answers.withLock {
            $0 = [.failure(ResolverError("SERVFAIL")), .failure(ResolverError("SERVFAIL")), .success([a])]
        }
        let resolver = try make(loop, dns)
        let collector = Collector()
        resolver.start(listener: collector)
        loop.run()
        #expect(dns.calls.load(ordering: .relaxed) == 1)
        resolver.resolveNow()
        #expect(dns.calls.load(ordering: .relaxed) == 1, "a request during the backoff waits for it")
        loop.advanceTime(by: .milliseconds(999))
        #expect(dns.calls.load(ordering: .relaxed) == 1)
        loop.advanceTime(by: .milliseconds(1))
        #expect(dns.calls.load(ordering: .relaxed) == 2)
        loop.advanceTime(by: .milliseconds(1599))
        #expect(dns.calls.load(ordering: .relaxed) == 2)
        loop.advanceTime(by: .milliseconds(1))
        #expect(dns.calls.load(ordering: .relaxed) == 3)
        #expect(collector.results.count == 3)
        #expect(collector.results.last == .success(ResolverResult(addresses: [a])))
        resolver.close()
    }

    @Test("close stops all delivery")
    func close() throws {
        let loop = EmbeddedEventLoop()
        let dns = FakeDNS()
        dns.answers.withLock { $0 = [.failure(ResolverError("x")), .success([a])] }
        let resolver = try make(loop, dns)
        let collector = Collector()
        resolver.start(listener: collector)
        loop.run()
        resolver.close()
        loop.advanceTime(by: .seconds(60))
        #expect(collector.results.count == 1)
        #expect(dns.calls.load(ordering: .relaxed) == 1)
    }

    @Test("the system resolver finds localhost on loopback")
    func systemLocalhost() async throws {
        let result = try await ResolverProbe.resolveOnce("dns:///localhost:50051")
        let addresses = try result.get().addresses
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy {
            $0 == .hostPort(host: "127.0.0.1", port: 50051) || $0 == .hostPort(host: "::1", port: 50051)
        })
    }

    @Test("an unresolvable name is an error, not an empty list")
    func systemFailure() async throws {
        let result = try await ResolverProbe.resolveOnce("dns:///does-not-exist.invalid:80")
        #expect(throws: ResolverError.self) { try result.get() }
    }
}
