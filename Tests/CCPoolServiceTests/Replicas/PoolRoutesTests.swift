import Foundation
import HTTPServer
import NIOCore
import Testing

@testable import CCPoolService

/// One-target routes between two replicas over real loopback HTTP: the owner answers, the other forwards
/// with the marker and the caller's credentials, a marked request is never forwarded again, a silent or
/// dead owner gives 503 within the deadline.
@Suite struct PoolRoutesTests {
    /// Replica 1's HTTP server: echoes what it received (method, marker, Authorization, body); `/slow/…`
    /// holds its thread for a second.
    static func startPeer() throws -> HTTPServer {
        var router = Router()
        router.add(.put, "/v1/targets/{name}") { request in
            let marker = request.headers[PeerClient.forwardedHeader] ?? "-"
            let auth = request.headers["Authorization"] ?? "-"
            let text = "\(request.method) \(request.parameter("name")!) by=\(marker) auth=\(auth) body=\(String(decoding: request.body, as: UTF8.self)) query=\(request.target.rawQuery ?? "")"
            return HTTPResponse(status: 201, headers: ["Content-Type": "text/plain", "X-Echo": "yes"], body: Array(text.utf8))
        }
        router.get("/slow/{name}") { _ in
            Thread.sleep(forTimeInterval: 1)
            return .json("{}")
        }
        return try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threadCount: 2), router: router)
    }

    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A name replica `owner` of 2 owns.
    static func name(ownedBy owner: Int) -> String {
        (0..<1000).map { "t\($0)" }.first { ReplicaIdentity(index: 0, count: 2).owner(of: $0) == owner }!
    }

    static func request(_ method: HTTPMethod, _ target: String, name: String, headers: HTTPHeaders = [:], body: String = "")
        throws -> HTTPRequest
    {
        HTTPRequest(
            method: method, target: try RequestTarget(parsing: target), headers: headers, body: Array(body.utf8),
            pathParameters: ["name": name])
    }

    func routes(peerPort: Int, timeout: TimeAmount = .seconds(2)) -> PoolRoutes {
        let urls = ["http://127.0.0.1:1", "http://127.0.0.1:\(peerPort)"]
        return PoolRoutes(
            replica: ReplicaIdentity(index: 0, count: 2),
            peers: PeerClient(urls: urls, selfIndex: 0, timeout: timeout, metrics: PeerRequestMetrics()))
    }

    let local: HTTPHandler = { request in .text("local \(request.parameter("name")!) query=\(request.query.map(\.name))") }

    @Test func theOwnerAnswersAndOthersForward() throws {
        let peer = try Self.startPeer()
        defer { peer.stop() }
        let handler = routes(peerPort: Int(peer.port)).owned(local)
        let theirs = Self.name(ownedBy: 1)
        let ours = Self.name(ownedBy: 0)

        let forwarded = try handler(Self.request(
            .put, "/v1/targets/\(theirs)?x=1", name: theirs, headers: ["Authorization": "Bearer tok", "Cookie": "no"], body: "{\"a\":1}"))
        #expect(forwarded.status == 201)
        #expect(forwarded.headers["X-Echo"] == "yes")
        #expect(String(decoding: forwarded.bodyBytes, as: UTF8.self) == "PUT \(theirs) by=0 auth=Bearer tok body={\"a\":1} query=x=1")

        let own = try handler(Self.request(.get, "/v1/targets/\(ours)", name: ours))
        #expect(String(decoding: own.bodyBytes, as: UTF8.self) == "local \(ours) query=[]")
        // `replicas=local` answers here, and the route never sees the parameter.
        let alone = try handler(Self.request(.get, "/v1/targets/\(theirs)?replicas=local", name: theirs))
        #expect(String(decoding: alone.bodyBytes, as: UTF8.self) == "local \(theirs) query=[]")
        #expect(throws: HTTPError.self) { try handler(Self.request(.get, "/v1/targets/\(theirs)?replicas=x", name: theirs)) }
    }

    @Test func aForwardedRequestIsNeverForwardedAgain() throws {
        let handler = routes(peerPort: try Self.closedPort()).owned(local)
        let theirs = Self.name(ownedBy: 1)
        let ours = Self.name(ownedBy: 0)
        #expect {
            try handler(Self.request(.get, "/v1/targets/\(theirs)", name: theirs, headers: [PeerClient.forwardedHeader: "1"]))
        } throws: { error in
            (error as? HTTPError)?.status == 421 && (error as? HTTPError)?.code == "misdirected_request"
        }
        let marked = try handler(Self.request(.get, "/v1/targets/\(ours)", name: ours, headers: [PeerClient.forwardedHeader: "1"]))
        #expect(marked.status == 200)
    }

    @Test func aDeadOrSilentOwnerAnswers503WithinTheDeadline() throws {
        let theirs = Self.name(ownedBy: 1)
        let dead = routes(peerPort: try Self.closedPort(), timeout: .milliseconds(300)).owned(local)
        var started = Date()
        #expect {
            try dead(Self.request(.get, "/v1/targets/\(theirs)", name: theirs))
        } throws: { error in
            guard let error = error as? HTTPError else { return false }
            return error.status == 503 && error.code == "replica_unavailable" && error.message.contains("replica 1")
        }
        #expect(Date().timeIntervalSince(started) < 1.0)

        let peer = try Self.startPeer()
        defer { peer.stop(grace: .seconds(2)) }
        let slow = routes(peerPort: Int(peer.port), timeout: .milliseconds(200)).owned(local)
        started = Date()
        #expect {
            try slow(Self.request(.get, "/slow/\(theirs)", name: theirs))
        } throws: { error in
            (error as? HTTPError)?.message.contains("no answer within 200ms") == true
        }
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.19 && waited < 0.8)
    }
}
