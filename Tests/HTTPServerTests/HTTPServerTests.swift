import HTTPServer
import MetricsExposition
import SharedBytes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real libmicrohttpd servers on loopback, driven by a raw-socket client.
@Suite struct HTTPServerTests {
    static func makeRouter(shared: SharedBuffer = SharedBuffer(copying: Array("shared body\n".utf8))) -> Router {
        var router = Router()
        router.get("/healthz") { _ in .text("ok\n") }
        router.get("/v1/targets/{name}") { request in
            .json(#"{"name":\#(JSONString.quoted(request.parameter("name") ?? ""))}"#)
        }
        router.put("/v1/targets/{name}") { request in
            .json(#"{"bytes":\#(request.body.count)}"#, status: 201)
        }
        router.post("/echo") { request in HTTPResponse(status: 200, body: request.body) }
        router.get("/query") { request in
            .text(request.query.map { "\($0.rawName)|\($0.rawValue ?? "nil")|\($0.name)|\($0.value ?? "nil")" }.joined(separator: "\n"))
        }
        router.get("/shared") { _ in HTTPResponse(headers: ["Content-Type": "text/plain"], shared: shared) }
        router.get("/parts") { _ in
            HTTPResponse(headers: ["Content-Type": "text/plain"], parts: [shared, SharedBuffer(copying: Array("and a tail\n".utf8))])
        }
        router.get("/fail") { _ throws(HTTPError) in throw HTTPError(status: 409, code: "conflict", message: "No \"way\".") }
        let admin = AdminAuth(token: "s3cret")
        router.put("/admin", admin.protect { _ in .json("{}") })
        return router
    }

    static func start(host: String = "127.0.0.1", maxBody: Int = 1024, memory: Int = 16 * 1024) throws -> HTTPServer {
        try HTTPServer(
            configuration: HTTPServerConfiguration(
                host: host, port: 0, threadCount: 2, connectionTimeoutSeconds: 10, connectionMemoryLimit: memory,
                maxBodyBytes: maxBody),
            router: makeRouter())
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func startsOnPortZeroAndStops(host: String) throws {
        let server = try Self.start(host: host)
        #expect(server.port != 0)
        let response = try RawHTTPClient.request("GET", "/healthz", port: server.port, host: host)
        #expect(response.status == 200)
        #expect(response.bodyText == "ok\n")
        server.stop()
        server.stop()  // idempotent
        #expect(server.stats.liveRequestContexts == 0)
        #expect(throws: (any Error).self) { try RawHTTPClient(host: host, port: server.port) }
    }

    @Test func refusesNonLiteralHostAndBusyPort() throws {
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: HTTPServerConfiguration(host: "localhost"), router: Router())
        }
        let server = try Self.start()
        defer { server.stop() }
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: server.port), router: Router())
        }
    }

    @Test func headAnswersLikeGetWithoutBody() throws {
        let server = try Self.start()
        defer { server.stop() }
        let get = try RawHTTPClient.request("GET", "/v1/targets/payments", port: server.port)
        let head = try RawHTTPClient.request("HEAD", "/v1/targets/payments", port: server.port)
        #expect(get.status == 200)
        #expect(head.status == 200)
        #expect(get.bodyText == #"{"name":"payments"}"#)
        #expect(head.header("Content-Length") == "\(get.body.count)")
        #expect(head.header("Content-Type") == "application/json")
        #expect(head.body.isEmpty)
    }

    @Test func methodNotAllowedListsAllow() throws {
        let server = try Self.start()
        defer { server.stop() }
        let response = try RawHTTPClient.request("POST", "/v1/targets/payments", port: server.port)
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD, PUT")
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText.hasPrefix(#"{"error":{"code":"method_not_allowed","message":"#))
        let odd = try RawHTTPClient.request("BREW", "/healthz", port: server.port)
        #expect(odd.status == 405)
        #expect(odd.header("Allow") == "GET, HEAD")
    }

    @Test func unknownPathIs404Json() throws {
        let server = try Self.start()
        defer { server.stop() }
        for target in ["/nope", "/v1/targets", "/v1/targets/", "//healthz", "/healthz/"] {
            let response = try RawHTTPClient.request("GET", target, port: server.port)
            #expect(response.status == 404, "\(target)")
            #expect(response.bodyText.hasPrefix(#"{"error":{"code":"not_found","#), "\(target)")
        }
    }

    @Test func handlerErrorsUseTheErrorShape() throws {
        let server = try Self.start()
        defer { server.stop() }
        let response = try RawHTTPClient.request("GET", "/fail", port: server.port)
        #expect(response.status == 409)
        #expect(response.bodyText == #"{"error":{"code":"conflict","message":"No \"way\"."}}"#)
    }

    @Test func keepAliveReusesOneConnection() throws {
        let server = try Self.start()
        defer { server.stop() }
        let before = server.stats.connectionsOpened
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try client.sendRequest("GET", "/healthz")
        let first = try client.readResponse()
        try client.sendRequest("POST", "/echo", body: Array("hello".utf8))
        let second = try client.readResponse()
        try client.sendRequest("HEAD", "/healthz")
        let third = try client.readResponse(bodyExpected: false)
        #expect(first.status == 200)
        #expect(second.status == 200)
        #expect(second.bodyText == "hello")
        #expect(third.status == 200)
        #expect(first.header("Connection")?.lowercased() != "close")
        #expect(server.stats.connectionsOpened - before == 1)
        #expect(server.stats.connectionsOpen == 1)
    }

    @Test func bodyLimit() throws {
        let server = try Self.start(maxBody: 1024)
        defer { server.stop() }
        // Within the limit.
        let ok = try RawHTTPClient.request("PUT", "/v1/targets/a", port: server.port, body: Array(repeating: 0x61, count: 1024))
        #expect(ok.status == 201)
        #expect(ok.bodyText == #"{"bytes":1024}"#)
        // Announced too large: refused before the body is read.
        let big = try RawHTTPClient.request("PUT", "/v1/targets/a", port: server.port, body: Array(repeating: 0x61, count: 1025))
        #expect(big.status == 413)
        #expect(big.bodyText.hasPrefix(#"{"error":{"code":"body_too_large","#))
        // Chunked, growing past the limit.
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        var request = "PUT /v1/targets/a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<3 { request += "200\r\n" + String(repeating: "b", count: 512) + "\r\n" }
        request += "0\r\n\r\n"
        try client.send(request)
        let chunked = try client.readResponse()
        #expect(chunked.status == 413)
        #expect(chunked.header("Content-Type") == "application/json")
        // Still serving.
        #expect(try RawHTTPClient.request("GET", "/healthz", port: server.port).status == 200)
    }

    @Test func longTargetAndHugeHeadersGetA4xx() throws {
        let server = try Self.start(memory: 16 * 1024)
        defer { server.stop() }
        let longTarget = "/v1/targets/" + String(repeating: "x", count: 100_000)
        let longURL = try RawHTTPClient.request("GET", longTarget, port: server.port)
        #expect(longURL.status == 414)
        let huge = try RawHTTPClient.request(
            "GET", "/healthz", port: server.port,
            headers: (0..<200).map { "X-Filler-\($0): " + String(repeating: "y", count: 200) })
        #expect(huge.status == 431)
        #expect(try RawHTTPClient.request("GET", "/healthz", port: server.port).status == 200)
        server.stop()
        #expect(server.stats.liveRequestContexts == 0)
    }

    @Test func malformedPathsAre400NotACrash() throws {
        let server = try Self.start()
        defer { server.stop() }
        let bad = [
            "/v1/targets/..", "/v1/targets/%2e%2e", "/v1/targets/%2E", "/../healthz", "/v1/targets/%ff",
            "/v1/targets/%c3%28", "/v1/targets/a%2fb", "/v1/targets/a%00b", "/v1/targets/%zz", "/v1/targets/%4",
            "/query?x=%ff", "/query?%=1", "healthz",
        ]
        for target in bad {
            let response = try RawHTTPClient.request("GET", target, port: server.port)
            #expect(response.status == 400, "\(target) → \(response.status)")
            #expect(response.bodyText.contains(#""code":"invalid_"#), "\(target)")
        }
        // Raw non-UTF-8 bytes in the request line.
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try client.send(Array("GET /v1/targets/".utf8) + [0xff, 0xfe] + Array(" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8))
        let raw = try client.readResponse()
        #expect((400..<500).contains(raw.status))
        // Encoded names that are fine.
        let spaced = try RawHTTPClient.request("GET", "/v1/targets/a%20b%C3%A9", port: server.port)
        #expect(spaced.bodyText == #"{"name":"a bé"}"#)
        #expect(try RawHTTPClient.request("GET", "/healthz", port: server.port).status == 200)
    }

    @Test func queryKeepsRawAndDuplicateParameters() throws {
        let server = try Self.start()
        defer { server.stop() }
        let response = try RawHTTPClient.request("GET", "/query?a=1&a=2&flag&c=%20x+y&&unknown=", port: server.port)
        #expect(response.status == 200)
        #expect(response.bodyText == "a|1|a|1\na|2|a|2\nflag|nil|flag|nil\nc|%20x+y|c| x y\nunknown||unknown|")
    }

    @Test func sharedBufferIsServedAndReleased() throws {
        weak var weakBuffer: SharedBuffer?
        do {
            let buffer = SharedBuffer(copying: Array(repeating: UInt8(ascii: "z"), count: 300_000))
            weakBuffer = buffer
            let server = try HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 2),
                router: Self.makeRouter(shared: buffer))
            for _ in 0..<3 {
                let response = try RawHTTPClient.request("GET", "/shared", port: server.port)
                #expect(response.status == 200)
                #expect(response.body.count == 300_000)
                #expect(response.body.allSatisfy { $0 == UInt8(ascii: "z") })
            }
            // The same buffer as the first of two parts, sent with a vector (MHD_create_response_from_iovec).
            for _ in 0..<3 {
                let response = try RawHTTPClient.request("GET", "/parts", port: server.port)
                #expect(response.status == 200)
                #expect(response.body.count == 300_000 + 11)
                #expect(response.body.prefix(300_000).allSatisfy { $0 == UInt8(ascii: "z") })
                #expect(Array(response.body.suffix(11)) == Array("and a tail\n".utf8))
            }
            let head = try RawHTTPClient.request("HEAD", "/parts", port: server.port)
            #expect(head.header("Content-Length") == "300011")
            #expect(head.body.isEmpty)
            server.stop()
            #expect(server.stats.liveRequestContexts == 0)
        }
        // Every retain MHD's responses took was balanced by its free callback, and the server let go of the
        // router (the last owner) when it went away.
        #expect(weakBuffer == nil)
    }

    @Test func adminAuthOnALiveRoute() throws {
        let server = try Self.start()
        defer { server.stop() }
        let missing = try RawHTTPClient.request("PUT", "/admin", port: server.port)
        #expect(missing.status == 401)
        #expect(missing.bodyText.contains(#""code":"unauthorized""#))
        #expect(missing.header("WWW-Authenticate") == "Bearer")
        let wrong = try RawHTTPClient.request("PUT", "/admin", port: server.port, headers: ["Authorization: Bearer nope"])
        #expect(wrong.status == 403)
        #expect(wrong.bodyText.contains(#""code":"forbidden""#))
        let right = try RawHTTPClient.request("PUT", "/admin", port: server.port, headers: ["Authorization: bearer s3cret"])
        #expect(right.status == 200)
    }

    /// Waits (bounded) until `condition` holds; polls server counters, never sleeps a fixed time.
    static func waitUntil(_ condition: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while !condition() {
            if clock.now >= deadline { return false }
            usleep(1000)
        }
        return true
    }

    @Test func idleConnectionsTimeOut() throws {
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 2, connectionTimeoutSeconds: 1),
            router: Self.makeRouter())
        defer { server.stop() }
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n")  // never finished
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try client.readsEndOfStream())  // blocks until MHD closes it (recv timeout 5 s)
        #expect(clock.now - start < .seconds(4))
        #expect(Self.waitUntil { server.stats.connectionsOpen == 0 })
    }

    @Test func connectionLimitHoldsTheExtraConnectionUntilASlotFrees() throws {
        // MHD splits the limit over its threads (1 each here); a thread at its limit stops accepting, so an
        // extra connection waits in the kernel's backlog rather than being served or reset.
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 2, connectionLimit: 2),
            router: Self.makeRouter())
        defer { server.stop() }
        var first: RawHTTPClient? = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        let second = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try first!.sendRequest("GET", "/healthz")
        try second.sendRequest("GET", "/healthz")
        #expect(try first!.readResponse().status == 200)
        #expect(try second.readResponse().status == 200)
        #expect(server.stats.connectionsOpen == 2)
        let third = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try third.sendRequest("GET", "/healthz")
        #expect(server.stats.connectionsOpened == 2)
        first = nil  // closes the socket; MHD notices, frees the slot, and accepts the waiting connection
        #expect(try third.readResponse().status == 200)
        #expect(server.stats.connectionsOpened == 3)
    }

    @Test func stopWhileARequestIsOpen() throws {
        let server = try Self.start()
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        // Headers and part of the body: MHD has called the handler once and waits for the rest.
        try client.send("PUT /v1/targets/a HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
        let idle = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try idle.sendRequest("GET", "/healthz")
        #expect(try idle.readResponse().status == 200)
        // Wait (bounded, on an event, not a fixed sleep) until MHD has the partial request.
        #expect(Self.waitUntil { server.stats.liveRequestContexts >= 1 })
        server.stop()
        #expect(try client.readsEndOfStream())
        #expect(try idle.readsEndOfStream())
        #expect(server.stats.liveRequestContexts == 0)
        #expect(server.stats.connectionsOpen == 0)
    }

    @Test func quiesceClosesKeepAliveAfterTheNextResponse() throws {
        let server = try Self.start()
        defer { server.stop() }
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try client.sendRequest("GET", "/healthz")
        #expect(try client.readResponse().header("Connection")?.lowercased() != "close")
        server.quiesce()
        try client.sendRequest("GET", "/healthz")
        let last = try client.readResponse()
        #expect(last.status == 200)
        #expect(last.header("Connection")?.lowercased() == "close")
        #expect(try client.readsEndOfStream())
        #expect(throws: (any Error).self) { try RawHTTPClient(host: "127.0.0.1", port: server.port) }
    }
}

@Suite struct SharedBufferTests {
    func bytes(_ buffer: SharedBuffer) -> [UInt8] { buffer.withUnsafeBytes { Array($0) } }

    @Test func copiesContiguousAndOtherCollections() {
        let array = Array("0123456789".utf8)
        #expect(bytes(SharedBuffer(copying: array)) == array)
        #expect(bytes(SharedBuffer(copying: array[2..<5])) == Array("234".utf8))
        #expect(bytes(SharedBuffer(copying: "abc".utf8.reversed())) == Array("cba".utf8))
        #expect(SharedBuffer(copying: [UInt8]()).count == 0)
    }

    @Test("a rendered body becomes a shared buffer without a copy")
    func adoptsAWritersAllocation() {
        var writer = ExpositionWriter(format: .prometheusText)
        writer.sample("x_total", 3 as UInt64)
        let expected = writer.bytes
        let address = writer.withUnsafeBytes { $0.baseAddress }
        let shared = writer.sharedBuffer()
        #expect(shared.base == address)
        #expect(bytes(shared) == expected)
        #expect(bytes(shared) == Array("x_total 3\n".utf8))
    }
}
