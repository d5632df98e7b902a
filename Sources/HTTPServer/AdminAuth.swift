/// Bearer-token check for admin routes (API.md "Admin endpoints").
///
/// - no token configured → 403 `admin_disabled` (admin routes exist but are switched off);
/// - no `Authorization: Bearer …` header → 401 `unauthorized` with `WWW-Authenticate: Bearer`;
/// - a token that differs → 403 `forbidden`.
/// The comparison takes time that depends only on the configured token's length, never on where the
/// presented token first differs. A rejected request never reaches the protected handler.
public struct AdminAuth: Sendable {
    private let token: [UInt8]?

    /// `token` nil or empty disables admin routes.
    public init(token: String?) {
        if let token, !token.isEmpty { self.token = Array(token.utf8) } else { self.token = nil }
    }

    public var isEnabled: Bool { token != nil }

    /// Throws the error to answer with, or returns when the request carries the configured token.
    public func check(_ request: HTTPRequest) throws(HTTPError) {
        try check(authorization: request.headers["Authorization"])
    }

    /// Same as `check(_:)`, from the raw `Authorization` header value.
    public func check(authorization: String?) throws(HTTPError) {
        guard let token else {
            throw HTTPError(status: 403, code: "admin_disabled", message: "Admin endpoints are disabled: no admin token is configured.")
        }
        guard let authorization, let presented = Self.bearerToken(authorization) else {
            throw HTTPError(
                status: 401, code: "unauthorized", message: "This endpoint needs an 'Authorization: Bearer <token>' header.",
                headers: ["WWW-Authenticate": "Bearer"])
        }
        guard Self.constantTimeEqual(Array(presented.utf8), token) else {
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
