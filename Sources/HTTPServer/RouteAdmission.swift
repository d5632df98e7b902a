/// What a route accepts before its body is read: checked on the request's headers alone.
///
/// The server consults it as soon as the headers are in, before reading a byte of the body, so that a client
/// cannot make the process buffer bodies that the route would refuse anyway (a body on a route that takes none,
/// a body larger than the route's own limit, an admin request without valid credentials, a body that is not
/// JSON). A refusal is answered at once and the connection is closed, so the unread body is never read.
public struct RouteAdmission: Sendable {
    /// The largest body this route reads; 0 means it takes none (any body is refused with 413).
    public var maxBodyBytes: Int
    /// The request must say `Content-Type: application/json` (parameters allowed), body or not; anything
    /// else is refused with 415. Requiring it also makes a browser send a CORS preflight for a cross-site
    /// request, which a form or a "simple" fetch cannot skip.
    public var requiresJSON: Bool
    /// Checks the headers (credentials) before the body is read; throws the answer to refuse with.
    public var authorize: (@Sendable (HTTPHeaders, _ client: String) throws(HTTPError) -> Void)?

    public init(
        maxBodyBytes: Int = 0, requiresJSON: Bool = false,
        authorize: (@Sendable (HTTPHeaders, _ client: String) throws(HTTPError) -> Void)? = nil
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.requiresJSON = requiresJSON
        self.authorize = authorize
    }

    /// A route that takes no body (every GET, DELETE).
    public static let noBody = RouteAdmission()

    /// A route that takes a JSON body of at most `maxBodyBytes`.
    public static func json(maxBodyBytes: Int) -> RouteAdmission {
        RouteAdmission(maxBodyBytes: maxBodyBytes, requiresJSON: true)
    }

    /// Whether `contentType` names JSON: `application/json`, any case, with or without parameters.
    public static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType: Substring = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmingSpaces.lowercased() == "application/json"
    }

    /// The refusal for `headers` (what the request announced), or nil when the route admits the request.
    /// `declaredLength` is the `Content-Length`; `chunked` says whether the body is chunked (length unknown).
    public func refusal(
        headers: HTTPHeaders, client: String, declaredLength: Int?, chunked: Bool
    ) -> HTTPError? {
        if let authorize {
            do {
                try authorize(headers, client)
            } catch {
                return error
            }
        }
        let hasBody = chunked || (declaredLength ?? 0) > 0
        if hasBody && maxBodyBytes == 0 {
            return HTTPError(status: 413, code: "body_too_large", message: "This resource takes no request body.")
        }
        if let declaredLength, declaredLength > maxBodyBytes {
            return .payloadTooLarge(limit: maxBodyBytes)
        }
        if requiresJSON && !Self.isJSON(headers["Content-Type"]) {
            return HTTPError(
                status: 415, code: "unsupported_media_type",
                message: "This resource takes a JSON body: send 'Content-Type: application/json'.")
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
