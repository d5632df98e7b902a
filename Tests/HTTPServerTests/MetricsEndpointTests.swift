import HTTPServer
import MetricsExposition
import Synchronization
import Testing

/// `/metrics` served end to end: negotiation, gzip, HEAD, and the zero-copy path for cached bodies.
///
/// The handler here is the reference wiring for the service (which owns the pool and its version counter):
/// the cache keeps a `SharedBuffer` per (version, format, encoding), and every scrape of an unchanged pool
/// hands the same buffer to libmicrohttpd without rendering or copying.
@Suite struct MetricsEndpointTests {
    /// What the cache keeps for one rendered body.
    final class CachedBody: Sendable {
        let buffer: SharedBuffer
        let contentType: String
        let contentEncoding: String?
        init(_ rendered: RenderedMetrics) {
            buffer = SharedBuffer(copying: rendered.bytes)
            contentType = rendered.contentType
            contentEncoding = rendered.contentEncoding
        }
    }

    final class Fixture: Sendable {
        let cache = MetricsRenderCache<CachedBody> { CachedBody($0) }
        let version = Atomic<UInt64>(1)

        func snapshot(_ version: UInt64) -> MetricsSnapshot {
            MetricsSnapshot.synthetic(version: version, targets: 20, subchannelsPerTarget: 2)
        }

        var router: Router {
            var router = Router()
            router.get("/metrics") { request in
                let format = ExpositionFormat.negotiate(accept: request.headers["Accept"])
                let gzip = acceptsGzip(request.headers["Accept-Encoding"])
                let version = self.version.load(ordering: .relaxed)
                let body = self.cache.body(version: version, format: format, gzip: gzip) { self.snapshot(version) }
                var headers: HTTPHeaders = ["Content-Type": body.contentType, "Vary": "Accept, Accept-Encoding"]
                if let encoding = body.contentEncoding { headers.add("Content-Encoding", encoding) }
                return HTTPResponse(status: 200, headers: headers, shared: body.buffer)
            }
            return router
        }
    }

    @Test func scrapesNegotiateAndReuseTheCachedBody() throws {
        let fixture = Fixture()
        let server = try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 2),
                                    router: fixture.router)
        defer { server.stop() }

        let text = try RawHTTPClient.request("GET", "/metrics", port: server.port)
        #expect(text.status == 200)
        #expect(text.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(text.header("Content-Encoding") == nil)
        #expect(text.body == MetricsRenderer.render(fixture.snapshot(1), format: .prometheusText))

        let again = try RawHTTPClient.request("GET", "/metrics", port: server.port)
        #expect(again.body == text.body)
        #expect(fixture.cache.renderCount == 1)

        let head = try RawHTTPClient.request("HEAD", "/metrics", port: server.port)
        #expect(head.header("Content-Length") == "\(text.body.count)")
        #expect(head.header("Content-Type") == text.header("Content-Type"))
        #expect(fixture.cache.renderCount == 1)

        let om = try RawHTTPClient.request(
            "GET", "/metrics", port: server.port,
            headers: ["Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"])
        #expect(om.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(om.bodyText.hasSuffix("# EOF\n"))
        #expect(fixture.cache.renderCount == 2)

        let zipped = try RawHTTPClient.request("GET", "/metrics", port: server.port, headers: ["Accept-Encoding: gzip"])
        #expect(zipped.header("Content-Encoding") == "gzip")
        #expect(zipped.body.prefix(2) == [0x1f, 0x8b])
        #expect(zipped.body.count < text.body.count)

        fixture.version.store(2, ordering: .relaxed)
        let changed = try RawHTTPClient.request("GET", "/metrics", port: server.port)
        #expect(changed.body == MetricsRenderer.render(fixture.snapshot(2), format: .prometheusText))
        #expect(fixture.cache.renderCount == 4)
    }
}
