import SharedBytes

/// What a handler answers: a status, header fields and a body.
///
/// `Content-Length` and `Date` are added by libmicrohttpd; do not set them. For `HEAD` the server sends the
/// same status and headers (including the `Content-Length` of the body) and no body.
public struct HTTPResponse: Sendable {
    /// The bytes of a response.
    public enum Body: Sendable {
        /// Bytes owned by this response; MHD copies them once when the response is queued.
        case bytes([UInt8])
        /// Shared immutable buffers sent one after the other without copying (a kept `/metrics` body and its
        /// fresh tail).
        case parts([SharedBuffer])

        public var count: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .parts(let parts): parts.reduce(0) { $0 + $1.count }
            }
        }
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), shared: SharedBuffer) {
        self.status = status
        self.headers = headers
        self.body = .parts([shared])
    }

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), parts: [SharedBuffer]) {
        self.status = status
        self.headers = headers
        self.body = .parts(parts)
    }

    /// A response with a UTF-8 text body and the given content type.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    /// A response whose body is already-encoded JSON.
    public static func json(_ json: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(json.utf8))
    }

    /// The bytes of the body (a copy for shared buffers; meant for tests and small bodies).
    public var bodyBytes: [UInt8] {
        switch body {
        case .bytes(let bytes): bytes
        case .parts(let parts): parts.flatMap { part in part.withUnsafeBytes { Array($0) } }
        }
    }
}
