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
        /// Bytes written as they are sent, for a body too large to hold: libmicrohttpd calls `read` whenever
        /// the connection can take more, on a server thread, one call at a time. `read` copies the next bytes
        /// into the buffer and returns how many; 0 ends the body. The length is not known up front, so an
        /// HTTP/1.1 client gets it chunked. Keep each call short: it holds up that thread's other connections.
        case stream(read: @Sendable (UnsafeMutableRawBufferPointer) -> Int)

        /// The length of the body; nil for a stream, whose length is known only once it has been sent.
        public var count: Int? {
            switch self {
            case .bytes(let bytes): bytes.count
            case .parts(let parts): parts.reduce(0) { $0 + $1.count }
            case .stream: nil
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

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), stream read: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Int) {
        self.status = status
        self.headers = headers
        self.body = .stream(read: read)
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

    /// The bytes of the body (a copy for shared buffers; meant for tests and small bodies). Reads a stream to
    /// its end: a streamed body can be taken once.
    public var bodyBytes: [UInt8] {
        switch body {
        case .bytes(let bytes): return bytes
        case .parts(let parts): return parts.flatMap { part in part.withUnsafeBytes { Array($0) } }
        case .stream(let read):
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = chunk.withUnsafeMutableBytes { read($0) }
                if n == 0 { return bytes }
                bytes += chunk[..<n]
            }
        }
    }
}
