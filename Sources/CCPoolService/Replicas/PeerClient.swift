import AsyncHTTPClient
import Foundation
import struct HTTPServer.HTTPResponse
import MetricsExposition
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends requests to the other replicas of a sharded pool (async-http-client) and hands their answers to
/// the HTTP thread that waits for them.
///
/// Every request has a deadline: an HTTP handler blocks on ``PendingPeerAnswer/wait()`` at most that long,
/// so a slow or stopped peer cannot hold one of libmicrohttpd's threads beyond it. Requests to several
/// peers are all sent before any is waited for, so they run concurrently. Every request carries
/// ``PeerClient/forwardedHeader``: the receiver answers it from its own state and never sends it on.
public final class PeerClient: Sendable {
    /// The marker on requests between replicas; its value is the sender's replica index.
    public static let forwardedHeader = "X-CCPool-Forwarded-By"

    /// Every replica's base URL, by index (this replica's own is never called).
    public let urls: [String]
    /// This replica's index.
    public let selfIndex: Int
    /// How long a list waits for a peer, and the base of a one-target request's deadline.
    public let timeout: TimeAmount
    let metrics: PeerRequestMetrics

    public init(urls: [String], selfIndex: Int, timeout: TimeAmount, metrics: PeerRequestMetrics) {
        self.urls = urls
        self.selfIndex = selfIndex
        self.timeout = timeout
        self.metrics = metrics
    }

    /// The process's one client: no redirects (a peer's answer is relayed as it is), HTTP/1.1 (what
    /// libmicrohttpd speaks), connections kept between requests, no retried connection attempts. A global constant, so it is never
    /// shut down while requests may still use it (the process ends with it).
    private static let http = HTTPClient(
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
        configuration: {
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(1), read: nil),
                decompression: .disabled)
            configuration.httpVersion = .http1Only
            // A refused connection fails the request at once (a stopped replica is reported now, not at the
            // deadline); the next request tries again.
            configuration.connectionPool.retryConnectionEstablishment = false
            return configuration
        }())

    /// Sends `method target` (path and query, as a client would write them) to replica `replica`.
    func send(
        to replica: Int, method: ServerHTTPMethod, target: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: TimeAmount? = nil
    ) -> PendingPeerAnswer {
        let url = urls[replica]
        let limit = timeout ?? self.timeout
        let started = NIODeadline.now()
        let metrics = self.metrics
        var fields = NIOHTTP1.HTTPHeaders(headers)
        fields.replaceOrAdd(name: Self.forwardedHeader, value: String(selfIndex))
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: url + target, method: NIOHTTP1.HTTPMethod(rawValue: method.rawValue), headers: fields,
                body: body.isEmpty ? nil : .bytes(body))
        } catch {
            metrics.record(peer: url, outcome: .error, seconds: 0)
            let failure = PeerFailure(replica: replica, url: url, outcome: .error, reason: "cannot build the request: \(error)")
            return PendingPeerAnswer(future: Self.http.eventLoopGroup.any().makeFailedFuture(failure))
        }
        let future = Self.http.execute(request: request, deadline: started + limit)
            .flatMapErrorThrowing { error -> HTTPClient.Response in
                throw PeerFailure(replica: replica, url: url, error: error, timeout: limit)
            }
            .map { response in
                PeerAnswer(
                    status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                    body: response.body.map { Array($0.readableBytesView) } ?? [])
            }
        future.whenComplete { result in
            let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            switch result {
            case .success: metrics.record(peer: url, outcome: .answered, seconds: seconds)
            case .failure(let error):
                metrics.record(peer: url, outcome: (error as? PeerFailure)?.outcome ?? .error, seconds: seconds)
            }
        }
        return PendingPeerAnswer(future: future)
    }
}

/// A request sent to a peer, not yet waited for.
struct PendingPeerAnswer: Sendable {
    let future: EventLoopFuture<PeerAnswer>

    /// Blocks the calling (HTTP) thread until the answer or the request's deadline.
    func wait() -> Result<PeerAnswer, PeerFailure> {
        do {
            return .success(try future.wait())
        } catch let failure as PeerFailure {
            return .failure(failure)
        } catch {
            return .failure(PeerFailure(replica: -1, url: "", outcome: .error, reason: "\(error)"))
        }
    }
}

/// A peer's answer, whatever its status.
struct PeerAnswer: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    /// The answer as this replica's own, without the fields libmicrohttpd sets itself or that describe
    /// the hop.
    var relayed: HTTPResponse {
        var fields = ServerHTTPHeaders()
        for (name, value) in headers where !Self.hopFields.contains(name.lowercased()) { fields.add(name, value) }
        return HTTPResponse(status: status, headers: fields, body: body)
    }

    private static let hopFields: Set<String> = [
        "content-length", "date", "connection", "keep-alive", "transfer-encoding", "server",
    ]

    /// The `message` of an API error body, if the body is one.
    var errorMessage: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return error["message"] as? String
    }
}

/// Why a peer gave no answer: which replica, and a short human reason.
struct PeerFailure: Error, Sendable {
    var replica: Int
    var url: String
    var outcome: PeerMetrics.Outcome
    var reason: String

    init(replica: Int, url: String, outcome: PeerMetrics.Outcome, reason: String) {
        self.replica = replica
        self.url = url
        self.outcome = outcome
        self.reason = reason
    }

    init(replica: Int, url: String, error: any Error, timeout: TimeAmount) {
        self.replica = replica
        self.url = url
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            outcome = .timeout
            reason = "no answer within \(DurationText(timeout))"
        } else if let error = error as? HTTPClientError, error == .connectTimeout {
            outcome = .unreachable
            reason = "could not connect (timed out)"
        } else if error is NIOConnectionError || error is IOError || error is ChannelError
            || (error as? HTTPClientError) == .remoteConnectionClosed
        {
            outcome = .unreachable
            reason = Self.connectionReason(error)
        } else {
            outcome = .error
            reason = "\(error)"
        }
    }

    private static func connectionReason(_ error: any Error) -> String {
        var errno: CInt?
        if let error = error as? IOError { errno = error.errnoCode }
        if let error = error as? NIOConnectionError {
            errno = error.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }.first
            if errno == nil, error.dnsAAAAError != nil || error.dnsAError != nil { return "its name does not resolve" }
        }
        switch errno {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
        case .some(let code): return "could not connect (\(String(cString: strerror(code))))"
        case nil: return "connection failed: \(error)"
        }
    }
}
