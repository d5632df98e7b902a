import Synchronization

/// Bearer-token check for admin routes (docs/api.md).
///
/// - no token configured → 403 `admin_disabled` (admin routes exist but are switched off);
/// - no `Authorization: Bearer …` header → 401 `unauthorized` with `WWW-Authenticate: Bearer`;
/// - a token that differs → 403 `forbidden`;
/// - a client address with ``FailureThrottle/maxFailures`` wrong tokens in the last
///   ``FailureThrottle/window`` → 429 `too_many_attempts` (with `Retry-After`) without looking at the token,
///   which makes guessing it online hopeless.
/// The comparison takes time that depends only on the configured token's length, never on where the
/// presented token first differs. A rejected request never reaches the protected handler.
///
/// The token can be replaced while the server runs (``replaceToken(_:)``, for a SIGHUP reload); copies of an
/// `AdminAuth` share the token and the throttle (both behind a `Mutex`).
public struct AdminAuth: Sendable {
    private let state: Shared

    private final class Shared: Sendable {
        let token: Mutex<[UInt8]?>
        let throttle = Mutex(FailureThrottle())
        init(_ token: [UInt8]?) { self.token = Mutex(token) }
    }

    /// `token` nil or empty disables admin routes.
    public init(token: String?) {
        state = Shared(Self.bytes(token))
    }

    private static func bytes(_ token: String?) -> [UInt8]? {
        if let token, !token.isEmpty { Array(token.utf8) } else { nil }
    }

    public var isEnabled: Bool { state.token.withLock { $0 != nil } }

    /// Uses `token` from now on (nil or empty disables the admin routes).
    public func replaceToken(_ token: String?) {
        state.token.withLock { $0 = Self.bytes(token) }
    }

    /// Throws the error to answer with, or returns when the request carries the configured token.
    public func check(_ request: HTTPRequest) throws(HTTPError) {
        try check(authorization: request.headers["Authorization"])
    }

    /// The check of ``RouteAdmission/authorize``: on the headers, before the body is read, throttled per client.
    public func checkHeaders(_ headers: HTTPHeaders, client: String) throws(HTTPError) {
        try check(authorization: headers["Authorization"], client: client)
    }

    /// Same as `check(_:)`, from the raw `Authorization` header value; `client` (an address) is what failures
    /// are counted against (nil: not throttled).
    public func check(authorization: String?, client: String? = nil, now: ContinuousClock.Instant = .now) throws(HTTPError) {
        guard let token = state.token.withLock({ $0 }) else {
            throw HTTPError(status: 403, code: "admin_disabled", message: "Admin endpoints are disabled: no admin token is configured.")
        }
        if let client, let wait = state.throttle.withLock({ $0.blocked(client, now: now) }) {
            let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
            throw HTTPError(
                status: 429, code: "too_many_attempts",
                message: "Too many requests with a wrong admin token from this address; try again in \(seconds) s.",
                headers: ["Retry-After": "\(seconds)"])
        }
        guard let authorization, let presented = Self.bearerToken(authorization) else {
            throw HTTPError(
                status: 401, code: "unauthorized", message: "This endpoint needs an 'Authorization: Bearer <token>' header.",
                headers: ["WWW-Authenticate": "Bearer"])
        }
        guard Self.constantTimeEqual(Array(presented.utf8), token) else {
            if let client { state.throttle.withLock { $0.recordFailure(client, now: now) } }
            throw HTTPError(status: 403, code: "forbidden", message: "The admin token is not valid.")
        }
    }

    /// Wraps `handler` so that it runs only for authorized requests.
    public func protect(_ handler: @escaping HTTPHandler) -> HTTPHandler {
        { (request: HTTPRequest) throws(HTTPError) -> HTTPResponse in
            try self.check(request)
            return try handler(request)
        }
    }

    /// The token of a `Bearer` credential (scheme case-insensitive), or nil.
    static func bearerToken(_ header: String) -> Substring? {
        let trimmed = header.drop { $0 == " " || $0 == "\t" }
        guard trimmed.count > 7, trimmed.prefix(6).lowercased() == "bearer", trimmed.dropFirst(6).first == " " else {
            return nil
        }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        var end = token.endIndex
        while end > token.startIndex, token[token.index(before: end)] == " " || token[token.index(before: end)] == "\t" {
            end = token.index(before: end)
        }
        let result = token[..<end]
        return result.isEmpty ? nil : result
    }

    /// Compares in time that depends only on `expected.count`.
    static func constantTimeEqual(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        let n = presented.count
        for i in 0..<expected.count {
            let p: UInt8 = n == 0 ? 0 : presented[i % n]
            difference |= p ^ expected[i]
        }
        return difference == 0
    }
}
