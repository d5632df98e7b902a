import HTTPServer
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the server refuses on the headers alone, before reading a byte of the body, and the deadline on a
/// request that trickles in. Real libmicrohttpd servers on loopback; the client sends only the headers of a
/// large announced body, so an answer proves the body was never waited for.
@Suite struct AdmissionTests {
    static func start(requestTimeoutSeconds: Int = 0, perIP: Int = 0) throws -> HTTPServer {
        var router = Router()
        let admin = AdminAuth(token: "0123456789abcdef")
        router.get("/healthz") { _ in .text("ok\n") }
        router.put(
            "/admin/{name}", admission: RouteAdmission(maxBodyBytes: 4096, requiresJSON: true, authorize: admin.checkHeaders),
            admin.protect { request in .json(#"{"bytes":\#(request.body.count)}"#) })
        router.post("/pick", admission: .json(maxBodyBytes: 64)) { request in .json(#"{"bytes":\#(request.body.count)}"#) }
        return try HTTPServer(
            configuration: HTTPServerConfiguration(
                host: "127.0.0.1", port: 0, threadCount: 2, perIPConnectionLimit: perIP, connectionTimeoutSeconds: 30,
                maxBodyBytes: 1 << 20, requestTimeoutSeconds: requestTimeoutSeconds),
            router: router)
    }

    /// Sends only the head of a request announcing `length` body bytes and reads the answer.
    static func answerToHead(_ server: HTTPServer, _ head: String, length: Int = 1 << 20) throws -> RawHTTPClient.Response {
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try client.send(head + "Content-Length: \(length)\r\n\r\n")
        return try client.readResponse()
    }

    @Test func aBodyOnARouteThatTakesNoneIsRefusedUnread() throws {
        let server = try Self.start()
        defer { server.stop() }
        let response = try Self.answerToHead(server, "GET /healthz HTTP/1.1\r\nHost: t\r\n")
        #expect(response.status == 413)
        #expect(response.bodyText.contains("body_too_large"))
        #expect(response.header("Connection")?.lowercased() == "close")
    }

    @Test func adminRoutesAuthenticateBeforeTheBody() throws {
        let server = try Self.start()
        defer { server.stop() }
        let missing = try Self.answerToHead(server, "PUT /admin/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n", length: 4000)
        #expect(missing.status == 401)
        let wrong = try Self.answerToHead(
            server, "PUT /admin/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer nope\r\n", length: 4000)
        #expect(wrong.status == 403)
        // Authorized but over the route's own limit (4096), far below the server's (1 MiB).
        let big = try Self.answerToHead(
            server, "PUT /admin/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer 0123456789abcdef\r\n",
            length: 5000)
        #expect(big.status == 413)
        let ok = try RawHTTPClient.request(
            "PUT", "/admin/x", port: server.port,
            headers: ["Content-Type: application/json", "Authorization: Bearer 0123456789abcdef"], body: Array("{}".utf8))
        #expect(ok.status == 200)
    }

    @Test func repeatedWrongTokensFromOneClientAreThrottled() throws {
        let server = try Self.start()
        defer { server.stop() }
        var statuses: [Int] = []
        for _ in 0..<12 {
            let response = try RawHTTPClient.request(
                "PUT", "/admin/x", port: server.port,
                headers: ["Content-Type: application/json", "Authorization: Bearer guess"], body: Array("{}".utf8))
            statuses.append(response.status)
        }
        #expect(statuses == Array(repeating: 403, count: 10) + [429, 429])
        // Even the right token waits out the window: the throttle does not look at the token.
        let right = try RawHTTPClient.request(
            "PUT", "/admin/x", port: server.port,
            headers: ["Content-Type: application/json", "Authorization: Bearer 0123456789abcdef"], body: Array("{}".utf8))
        #expect(right.status == 429)
        #expect(right.header("Retry-After") != nil)
    }

    @Test func postBodiesMustBeJSON() throws {
        let server = try Self.start()
        defer { server.stop() }
        let plain = try RawHTTPClient.request("POST", "/pick", port: server.port, headers: ["Content-Type: text/plain"], body: [])
        #expect(plain.status == 415)
        let none = try RawHTTPClient.request("POST", "/pick", port: server.port)
        #expect(none.status == 415)
        let json = try RawHTTPClient.request(
            "POST", "/pick", port: server.port, headers: ["Content-Type: application/json; charset=utf-8"], body: Array("{}".utf8))
        #expect(json.status == 200)
        let big = try Self.answerToHead(server, "POST /pick HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n", length: 65)
        #expect(big.status == 413)
    }

    @Test func aTricklingRequestIsCutOffAtTheDeadline() throws {
        let server = try Self.start(requestTimeoutSeconds: 1)
        defer { server.stop() }
        let client = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        let started = ContinuousClock.now
        // A byte every 100 ms: MHD's idle timeout (30 s) never fires, the deadline does.
        var closed = false
        for byte in "GET /healthz HTTP/1.1\r\nX-Slow: ".utf8 + Array(repeating: UInt8(ascii: "a"), count: 100) {
            do {
                try client.send([byte])
            } catch {
                closed = true
                break
            }
            if server.stats.connectionsTimedOut > 0 { break }
            usleep(100_000)
        }
        let ended = try closed || client.readsEndOfStream()
        #expect(ended)
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(server.stats.connectionsTimedOut == 1)
        // A prompt request on a new connection is served.
        #expect(try RawHTTPClient.request("GET", "/healthz", port: server.port).status == 200)
    }

    @Test func oneClientAddressHoldsAtMostItsShareOfConnections() throws {
        let server = try Self.start(perIP: 2)
        defer { server.stop() }
        let first = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        let second = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try first.sendRequest("GET", "/healthz")
        #expect(try first.readResponse().status == 200)
        try second.sendRequest("GET", "/healthz")
        #expect(try second.readResponse().status == 200)
        let third = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        // Accepted by the kernel, closed by MHD at once.
        #expect(try third.readsEndOfStream())
    }

    @Test func contentTypeParsing() {
        #expect(RouteAdmission.isJSON("application/json"))
        #expect(RouteAdmission.isJSON("Application/JSON ; charset=utf-8"))
        #expect(!RouteAdmission.isJSON("text/plain"))
        #expect(!RouteAdmission.isJSON("application/jsonx"))
        #expect(!RouteAdmission.isJSON(nil))
    }
}

/// Expensive routes run on offload workers: the MHD thread stays free for other requests, and a request beyond
/// the workers is refused at once.
@Suite struct OffloadTests {
    @Test func anOffloadedHandlerNeitherBlocksTheMHDThreadNorQueues() throws {
        let entered = Atomic<Bool>(false)
        let release = Atomic<Bool>(false)
        var router = Router()
        router.get("/healthz") { _ in .text("ok\n") }
        router.get("/slow", offload: true) { _ in
            entered.store(true, ordering: .relaxed)
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(10))
            while !release.load(ordering: .relaxed) && clock.now < deadline { usleep(1000) }
            return .text("slow\n")
        }
        // One MHD thread: were the slow handler on it, /healthz could not be answered meanwhile.
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 1, offloadThreads: 1),
            router: router)
        defer { server.stop() }
        let slow = try RawHTTPClient(host: "127.0.0.1", port: server.port)
        try slow.sendRequest("GET", "/slow")
        #expect(HTTPServerTests.waitUntil { entered.load(ordering: .relaxed) })
        let started = ContinuousClock.now
        let refused = try RawHTTPClient.request("GET", "/slow", port: server.port)
        #expect(refused.status == 503)
        #expect(refused.bodyText.contains("overloaded"))
        #expect(refused.header("Retry-After") == "1")
        #expect(try RawHTTPClient.request("GET", "/healthz", port: server.port).status == 200)
        #expect(ContinuousClock.now - started < .seconds(2))
        release.store(true, ordering: .relaxed)
        let answer = try slow.readResponse()
        #expect(answer.status == 200 && answer.bodyText == "slow\n")
        // The connection stays usable after the suspension.
        try slow.sendRequest("GET", "/healthz")
        #expect(try slow.readResponse().status == 200)
    }
}
