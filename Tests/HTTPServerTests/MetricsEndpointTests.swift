import HTTPServer
import MetricsExposition
import Synchronization
import Testing
import SharedBytes

/// `/metrics` served end to end: negotiation, gzip, HEAD, and the target families kept per pool version.
///
/// The handler here is the service's wiring (`MetricsEndpoint`) over a synthetic pool: the target families
/// come from a `TargetFamiliesCache` (rendered once per version and format), the process-wide tail is
/// rendered per scrape.
@Suite struct MetricsEndpointTests {
    final class Fixture: Sendable {
        let cache: TargetFamiliesCache
        let version = Atomic<UInt64>(1)

        init(streamingThreshold: Int = 8 << 20) {
            cache = TargetFamiliesCache(streamingThreshold: streamingThreshold)
        }

        func snapshot(_ version: UInt64) -> MetricsSnapshot {
            MetricsSnapshot.synthetic(version: version, targets: 20, subchannelsPerTarget: 2)
        }

        var router: Router {
            var router = Router()
            router.get("/metrics") { request in
                let format = ExpositionFormat.negotiate(accept: request.headers["Accept"])
                let gzip = acceptsGzip(request.headers["Accept-Encoding"])
                let version = self.version.load(ordering: .relaxed)
                var headers: HTTPHeaders = ["Content-Type": format.contentType, "Vary": "Accept, Accept-Encoding"]
                if gzip, let zipped = try? self.cache.renderGzip(version: version, format: format, snapshot: { _ in self.snapshot(version) }) {
                    headers.add("Content-Encoding", "gzip")
                    return HTTPResponse(status: 200, headers: headers, parts: zipped)
                }
                switch self.cache.exposition(version: version, format: format, snapshot: { _ in self.snapshot(version) }) {
                case .parts(let parts): return HTTPResponse(status: 200, headers: headers, parts: parts)
                case .stream(let stream): return HTTPResponse(status: 200, headers: headers, stream: stream.read(into:))
                }
            }
            return router
        }
    }

    /// Above the streaming threshold a plain scrape is written as it is sent, chunked, from a fresh snapshot
    /// each time: nothing is rendered whole or kept. Gzip scrapes still keep their compressed bytes.
    @Test func largeExpositionsAreStreamedNotKept() throws {
        let fixture = Fixture(streamingThreshold: 1)
        let server = try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 2),
                                    router: fixture.router)
        defer { server.stop() }

        for format in ExpositionFormat.allCases {
            let accept = format == .openMetrics ? ["Accept: application/openmetrics-text; version=1.0.0"] : []
            let streamed = try RawHTTPClient.request("GET", "/metrics", port: server.port, headers: accept)
            #expect(streamed.status == 200)
            #expect(streamed.chunked)
            #expect(streamed.header("Content-Length") == nil)
            #expect(streamed.body == MetricsRenderer.render(fixture.snapshot(1), format: format))
        }
        #expect(fixture.cache.renderCount == 0)

        let head = try RawHTTPClient.request("HEAD", "/metrics", port: server.port)
        #expect(head.status == 200)
        #expect(head.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")

        let zipped = try RawHTTPClient.request("GET", "/metrics", port: server.port, headers: ["Accept-Encoding: gzip"])
        #expect(zipped.header("Content-Encoding") == "gzip")
        #expect(fixture.cache.renderCount == 1)
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
        #expect(fixture.cache.renderCount == 2)  // the kept text, compressed once

        fixture.version.store(2, ordering: .relaxed)
        let changed = try RawHTTPClient.request("GET", "/metrics", port: server.port)
        #expect(changed.body == MetricsRenderer.render(fixture.snapshot(2), format: .prometheusText))
        #expect(fixture.cache.renderCount == 3)
    }
}
